//! Long straight-line code, cut into functions before Enzyme. Enzyme's time grew quadratically with the length of
//! a basic block (a generated method of `s += Math.sin(p[i] * c) * p[j];` lines: 500 lines 5.6 s, 1000 lines 23 s
//! in Enzyme alone, 2000 lines past the kernel's 120 s timeout): its activity analysis and its caching decisions
//! walk the users of each value along the running sum, and the instructions after each load, so every instruction
//! costs time in the length of its block. Each run of more than `2 * CHUNK` movable instructions of one block
//! becomes calls to internal, never-inlined functions of `CHUNK` instructions each, taking the values they use and
//! returning the values used after them; Enzyme differentiates each on its own. Nothing is reordered, so results
//! are bit-identical.
//!
//! Measured (Enzyme phase alone, 2 cores at load 11-19, so indicative): one block 500 lines 5.6 s, 1000 lines 23 s;
//! in chunks 500 lines 1.9 s, 1000 lines 1.0-2.3 s, 2000 lines 4.9 s, 3000 lines 8.3 s. Letting
//! O3 inline the chunks back after Enzyme was dropped: one huge function again made O3 and the JIT's code
//! generation superlinear (2000 lines: JIT 9.9 s inlined, 3.4 s as chunks); a call per 200 instructions costs
//! nothing measurable.

use std::collections::{HashMap, HashSet};
use std::ffi::CString;

use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::{LLVMLinkage, LLVMOpcode};

use crate::cfg::users;
use crate::llvm::{self, Module};

/// Instructions per outlined function (at least; up to twice as many); runs up to twice as long are left alone.
const CHUNK: usize = 200;
const PREFIX: &str = "jenzyme.chunk.";

/// Outlines the long runs of every defined function of the module; returns how many functions it created.
pub fn split_long_blocks(module: &Module) -> usize {
    let mut created = 0;
    for function in module.functions() {
        if llvm::is_declaration(function) {
            continue;
        }
        for block in blocks_of(function) {
            for run in movable_runs(block) {
                if run.len() <= 2 * CHUNK {
                    continue;
                }
                // Equal pieces of at least CHUNK instructions: no short remainder.
                let size = run.len().div_ceil(run.len() / CHUNK);
                for piece in run.chunks(size) {
                    // SAFETY: `piece` is a run of consecutive, movable instructions of one live block.
                    unsafe { outline(module.raw(), piece, created) };
                    created += 1;
                }
            }
        }
    }
    created
}

fn blocks_of(function: LLVMValueRef) -> Vec<LLVMBasicBlockRef> {
    let mut blocks = Vec::new();
    // SAFETY: iteration over a live function's blocks.
    unsafe {
        let mut block = LLVMGetFirstBasicBlock(function);
        while !block.is_null() {
            blocks.push(block);
            block = LLVMGetNextBasicBlock(block);
        }
    }
    blocks
}

/// Maximal runs of instructions that may move into another function: anything but phis, allocas (they must stay
/// in the frame that owns them), terminators and calls to intrinsics with frame or debug meaning.
fn movable_runs(block: LLVMBasicBlockRef) -> Vec<Vec<LLVMValueRef>> {
    let mut runs = vec![Vec::new()];
    // SAFETY: read-only walk over a live block.
    unsafe {
        let mut inst = LLVMGetFirstInstruction(block);
        while !inst.is_null() {
            if movable(inst) {
                runs.last_mut().unwrap().push(inst);
            } else if !runs.last().unwrap().is_empty() {
                runs.push(Vec::new());
            }
            inst = LLVMGetNextInstruction(inst);
        }
    }
    runs
}

unsafe fn movable(inst: LLVMValueRef) -> bool {
    use LLVMOpcode::*;
    match LLVMGetInstructionOpcode(inst) {
        LLVMPHI | LLVMAlloca | LLVMRet | LLVMBr | LLVMSwitch | LLVMIndirectBr | LLVMInvoke | LLVMUnreachable
        | LLVMCallBr | LLVMResume | LLVMLandingPad | LLVMCleanupPad | LLVMCatchPad | LLVMCatchSwitch
        | LLVMCleanupRet | LLVMCatchRet | LLVMVAArg => false,
        LLVMCall => {
            let callee = LLVMGetCalledValue(inst);
            let name = if LLVMIsAFunction(callee).is_null() { String::new() } else { llvm::name_of(callee) };
            !["llvm.dbg.", "llvm.stack", "llvm.lifetime.", "llvm.localescape", "llvm.frameaddress", "llvm.returnaddress"]
                .iter()
                .any(|prefix| name.starts_with(prefix))
        }
        _ => true,
    }
}

/// Moves `piece` into a new internal, never-inlined function and calls it where the piece was.
unsafe fn outline(module: LLVMModuleRef, piece: &[LLVMValueRef], serial: usize) {
    let inside: HashSet<LLVMValueRef> = piece.iter().copied().collect();
    let mut live_ins: Vec<LLVMValueRef> = Vec::new();
    let mut live_in_index: HashMap<LLVMValueRef, usize> = HashMap::new();
    for &inst in piece {
        for i in 0..LLVMGetNumOperands(inst) as u32 {
            let operand = LLVMGetOperand(inst, i);
            let local = !LLVMIsAInstruction(operand).is_null() || !LLVMIsAArgument(operand).is_null();
            if local && !inside.contains(&operand) && !live_in_index.contains_key(&operand) {
                live_in_index.insert(operand, live_ins.len());
                live_ins.push(operand);
            }
        }
    }
    let live_outs: Vec<LLVMValueRef> =
        piece.iter().copied().filter(|&inst| users(inst).iter().any(|user| !inside.contains(user))).collect();

    let context = LLVMGetModuleContext(module);
    let mut param_types: Vec<LLVMTypeRef> = live_ins.iter().map(|&v| LLVMTypeOf(v)).collect();
    let mut out_types: Vec<LLVMTypeRef> = live_outs.iter().map(|&v| LLVMTypeOf(v)).collect();
    let return_type = match out_types.len() {
        0 => LLVMVoidTypeInContext(context),
        1 => out_types[0],
        n => LLVMStructTypeInContext(context, out_types.as_mut_ptr(), n as u32, 0),
    };
    let function_type = LLVMFunctionType(return_type, param_types.as_mut_ptr(), param_types.len() as u32, 0);
    let name = CString::new(format!("{PREFIX}{serial}")).unwrap();
    let chunk = LLVMAddFunction(module, name.as_ptr(), function_type);
    LLVMSetLinkage(chunk, LLVMLinkage::LLVMInternalLinkage);
    llvm::set_function_attribute(chunk, "noinline", true);

    // The call, where the piece was; the values used after the piece come out of its result.
    let builder = LLVMCreateBuilderInContext(context);
    LLVMPositionBuilderBefore(builder, LLVMGetNextInstruction(*piece.last().unwrap()));
    let mut args = live_ins.clone();
    let call_name = if out_types.is_empty() { c"" } else { c"chunk" };
    let call = LLVMBuildCall2(builder, function_type, chunk, args.as_mut_ptr(), args.len() as u32, call_name.as_ptr());
    for (index, &out) in live_outs.iter().enumerate() {
        let value = if live_outs.len() == 1 { call } else { LLVMBuildExtractValue(builder, call, index as u32, c"".as_ptr()) };
        for user in users(out) {
            if inside.contains(&user) {
                continue;
            }
            for i in 0..LLVMGetNumOperands(user) as u32 {
                if LLVMGetOperand(user, i) == out {
                    LLVMSetOperand(user, i, value);
                }
            }
        }
    }

    // The piece itself, reading its inputs from the parameters.
    let entry = LLVMAppendBasicBlockInContext(context, chunk, c"entry".as_ptr());
    LLVMPositionBuilderAtEnd(builder, entry);
    for &inst in piece {
        LLVMInstructionRemoveFromParent(inst);
        LLVMInsertIntoBuilder(builder, inst);
        for i in 0..LLVMGetNumOperands(inst) as u32 {
            if let Some(&index) = live_in_index.get(&LLVMGetOperand(inst, i)) {
                LLVMSetOperand(inst, i, LLVMGetParam(chunk, index as u32));
            }
        }
    }
    match live_outs.len() {
        0 => {
            LLVMBuildRetVoid(builder);
        }
        1 => {
            LLVMBuildRet(builder, live_outs[0]);
        }
        _ => {
            let mut result = LLVMGetUndef(return_type);
            for (index, &out) in live_outs.iter().enumerate() {
                result = LLVMBuildInsertValue(builder, result, out, index as u32, c"".as_ptr());
            }
            LLVMBuildRet(builder, result);
        }
    }
    LLVMDisposeBuilder(builder);
}
