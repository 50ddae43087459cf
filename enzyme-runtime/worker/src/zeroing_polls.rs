//! Interrupt polls in the zeroing of large shadows. Enzyme gives each `malloc` of a differentiated function a shadow
//! `malloc` zeroed by one `memset` of the same size: for `--fast-math` loop fission's buffer, 8 bytes per step, before
//! the first polled iteration. At 10^8 steps that memset (800 MB) took 1.1-1.9 s here (load 8), and an interrupt
//! raised meanwhile waited for it. After Enzyme every `memset` of zero whose length is not a small constant becomes a
//! call of `jenzyme.zero_polled(ptr, length)`, which zeroes [`CHUNK_BYTES`] at a time and polls between chunks
//! (reverse_polls' poll: the unwinder frees the shadow with the call's other blocks). The JIT's `calloc` (the
//! frontend's `new double[n]`) needs no poll: it zeroes blocks under 1 MiB itself and leaves larger ones to libc's
//! calloc, which writes none of their fresh pages (checked-allocation.ll).

use std::ffi::CString;

use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::{LLVMIntPredicate, LLVMLinkage};

use crate::llvm::{self, Module};
use crate::reverse_polls::{define_poll, INTERRUPT_FLAG};

/// Bytes zeroed between two polls: about 0.1-0.3 ms of memset on fresh pages here, far inside the interrupt bound.
const CHUNK_BYTES: u64 = 1 << 20;
const ZERO_POLLED: &str = "jenzyme.zero_polled";
const MEMSET: &str = "llvm.memset.p0.i64";

/// Replaces every zeroing of more than [`CHUNK_BYTES`] (or of a length known only at run time) in a module that has
/// the interrupt flag; returns how many. A module without the flag has no loop, hence no shadow that grows with one.
pub fn insert(module: &Module) -> usize {
    let flag_name = CString::new(INTERRUPT_FLAG).unwrap();
    // SAFETY: lookups and IR rewrites in a live module; each replaced memset is erased after its replacement is built.
    unsafe {
        let flag = LLVMGetNamedGlobal(module.raw(), flag_name.as_ptr());
        if flag.is_null() {
            return 0;
        }
        let zeroings: Vec<LLVMValueRef> = module.functions().into_iter()
            .filter(|f| !llvm::is_declaration(*f))
            .flat_map(|f| large_zeroings(f))
            .collect();
        if zeroings.is_empty() {
            return 0;
        }
        let zero = define_zero_polled(module.raw(), flag, LLVMGetCalledValue(zeroings[0]));
        let context = LLVMGetModuleContext(module.raw());
        let builder = LLVMCreateBuilderInContext(context);
        let zero_type = LLVMGlobalGetValueType(zero);
        for memset in &zeroings {
            LLVMPositionBuilderBefore(builder, *memset);
            let mut arguments = [LLVMGetOperand(*memset, 0), LLVMGetOperand(*memset, 2)];
            LLVMBuildCall2(builder, zero_type, zero, arguments.as_mut_ptr(), 2, c"".as_ptr());
            LLVMInstructionEraseFromParent(*memset);
        }
        LLVMDisposeBuilder(builder);
        zeroings.len()
    }
}

/// `memset(p, 0, n, false)` calls of `function` with `n` not a constant of at most [`CHUNK_BYTES`].
unsafe fn large_zeroings(function: LLVMValueRef) -> Vec<LLVMValueRef> {
    let mut found = Vec::new();
    let mut block = LLVMGetFirstBasicBlock(function);
    while !block.is_null() {
        let mut inst = LLVMGetFirstInstruction(block);
        while !inst.is_null() {
            if is_large_zeroing(inst) {
                found.push(inst);
            }
            inst = LLVMGetNextInstruction(inst);
        }
        block = LLVMGetNextBasicBlock(block);
    }
    found
}

unsafe fn is_large_zeroing(inst: LLVMValueRef) -> bool {
    if LLVMIsACallInst(inst).is_null() {
        return false;
    }
    let callee = LLVMIsAFunction(LLVMGetCalledValue(inst));
    if callee.is_null() || llvm::name_of(callee) != MEMSET {
        return false;
    }
    let constant = |i: u32| {
        let operand = LLVMIsAConstantInt(LLVMGetOperand(inst, i));
        (!operand.is_null()).then(|| LLVMConstIntGetZExtValue(operand))
    };
    constant(1) == Some(0) && constant(3) == Some(0) && constant(2).is_none_or(|length| length > CHUNK_BYTES)
}

/// `void jenzyme.zero_polled(ptr p, i64 n)`: `memset(p + off, 0, min(CHUNK_BYTES, n - off))` for off = 0, CHUNK_BYTES,
/// ... < n, each chunk after a poll; internal.
unsafe fn define_zero_polled(module: LLVMModuleRef, flag: LLVMValueRef, memset: LLVMValueRef) -> LLVMValueRef {
    let context = LLVMGetModuleContext(module);
    let (i64_type, i8_type, ptr) = (LLVMInt64TypeInContext(context), LLVMInt8TypeInContext(context),
                                    LLVMPointerTypeInContext(context, 0));
    let void = LLVMVoidTypeInContext(context);
    let mut params = [ptr, i64_type];
    let function_type = LLVMFunctionType(void, params.as_mut_ptr(), 2, 0);
    let name = CString::new(ZERO_POLLED).unwrap();
    let function = LLVMAddFunction(module, name.as_ptr(), function_type);
    LLVMSetLinkage(function, LLVMLinkage::LLVMInternalLinkage);
    llvm::set_function_attribute(function, "nounwind", true);
    let poll = define_poll(module, flag);
    let poll_type = LLVMFunctionType(void, std::ptr::null_mut(), 0, 0);
    let (start, length) = (LLVMGetParam(function, 0), LLVMGetParam(function, 1));
    let entry = LLVMAppendBasicBlockInContext(context, function, c"entry".as_ptr());
    let chunk = LLVMAppendBasicBlockInContext(context, function, c"chunk".as_ptr());
    let done = LLVMAppendBasicBlockInContext(context, function, c"done".as_ptr());
    let builder = LLVMCreateBuilderInContext(context);
    LLVMPositionBuilderAtEnd(builder, entry);
    LLVMBuildBr(builder, chunk);
    LLVMPositionBuilderAtEnd(builder, chunk);
    let offset = LLVMBuildPhi(builder, i64_type, c"offset".as_ptr());
    LLVMBuildCall2(builder, poll_type, poll, std::ptr::null_mut(), 0, c"".as_ptr());
    let left = LLVMBuildSub(builder, length, offset, c"left".as_ptr());
    let most = LLVMConstInt(i64_type, CHUNK_BYTES, 0);
    let short = LLVMBuildICmp(builder, LLVMIntPredicate::LLVMIntULT, left, most, c"".as_ptr());
    let bytes = LLVMBuildSelect(builder, short, left, most, c"bytes".as_ptr());
    let mut index = offset;
    let at = LLVMBuildInBoundsGEP2(builder, i8_type, start, &mut index, 1, c"at".as_ptr());
    let mut arguments = [at, LLVMConstInt(i8_type, 0, 0), bytes, LLVMConstInt(LLVMInt1TypeInContext(context), 0, 0)];
    LLVMBuildCall2(builder, LLVMGlobalGetValueType(memset), memset, arguments.as_mut_ptr(), 4, c"".as_ptr());
    let next = LLVMBuildNUWAdd(builder, offset, bytes, c"next".as_ptr());
    let finished = LLVMBuildICmp(builder, LLVMIntPredicate::LLVMIntEQ, next, length, c"".as_ptr());
    LLVMBuildCondBr(builder, finished, done, chunk);
    let (mut values, mut blocks) = ([LLVMConstInt(i64_type, 0, 0), next], [entry, chunk]);
    LLVMAddIncoming(offset, values.as_mut_ptr(), blocks.as_mut_ptr(), 2);
    LLVMPositionBuilderAtEnd(builder, done);
    LLVMBuildRetVoid(builder);
    LLVMDisposeBuilder(builder);
    function
}
