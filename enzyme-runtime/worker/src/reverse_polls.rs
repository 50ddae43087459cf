//! Interrupt polls in the loops of Enzyme's reverse sweeps. The frontend polls the interrupt flag at every loop
//! header of the primal, so an interrupt ends the forward sweep at once; but Enzyme's reverse sweep then replays
//! every iteration done so far, and has no poll (it took ~250 ms for a long loop, and the kernel gave the thread
//! up). After Enzyme, each reverse loop (Enzyme names its blocks `invert<block>`) gets a call to a tiny internal
//! function that reads the flag (volatile) and, when it is raised, calls `jenzyme.interrupt_unwind`: the JIT's
//! runtime (checked-allocation.ll) longjmps from there to the call's allocation guard, which frees the tape and
//! every other block of the call and writes the INTERRUPTED status. O3 inlines the poll: a load and a branch per
//! reverse iteration.
//!
//! Not taken: a custom reverse rule (`enzyme_gradient`) on a poll identity function, so that Enzyme itself emits
//! the poll into the reverse sweep; it would need the call kept live through the pre-AD pipeline and a rule per
//! mode, where a rewrite after Enzyme needs neither.

use std::ffi::CString;

use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::{LLVMIntPredicate, LLVMLinkage};

use crate::cfg;
use crate::llvm::{self, Module};
use crate::loop_fission;

/// The frontend's interrupt flag (`jenzyme.runtime.lower.RuntimeSymbols.INTERRUPT_FLAG`).
pub const INTERRUPT_FLAG: &str = "jenzyme_interrupt_enzyme_const";
/// Defined by the JIT's runtime (`checked-allocation.ll`, named in `AllocationGuards`); never returns while a
/// guarded call runs on the thread.
pub const INTERRUPT_UNWIND: &str = "jenzyme.interrupt_unwind";
const POLL: &str = "jenzyme.reverse_poll";
const REVERSE_BLOCK_PREFIX: &str = "invert";
/// The blocks of a versioned loop's unchecked copy (jenzyme.runtime.lower.MethodLowering names them).
const UNCHECKED_PREFIX: &str = "u";

/// Adds a poll to the header of every reverse-sweep loop of the module but the reverses of strip-mined inner loops
/// ([`reverses_only`]); returns how many it added. A module
/// without the interrupt flag has no loop the frontend wrote, hence no reverse loop.
pub fn insert(module: &Module) -> usize {
    let flag_name = CString::new(INTERRUPT_FLAG).unwrap();
    // SAFETY: lookup in a live module.
    let flag = unsafe { LLVMGetNamedGlobal(module.raw(), flag_name.as_ptr()) };
    if flag.is_null() {
        return 0;
    }
    let headers: Vec<LLVMBasicBlockRef> = module
        .functions()
        .into_iter()
        .filter(|f| !llvm::is_declaration(*f))
        .flat_map(cfg::loop_headers)
        .filter(|(header, _)| block_name(*header).starts_with(REVERSE_BLOCK_PREFIX))
        .filter(|(header, latches)| {
            !reverses_only(*header, latches, |f| f.starts_with(UNCHECKED_PREFIX))
                && !reverses_only(*header, latches, loop_fission::unpolled)
        })
        .map(|(header, _)| header)
        .collect();
    if headers.is_empty() {
        return 0;
    }
    // SAFETY: IR building in the module's own context; every block is live and gets the call after its phis.
    unsafe {
        let poll = define_poll(module.raw(), flag);
        let context = LLVMGetModuleContext(module.raw());
        let builder = LLVMCreateBuilderInContext(context);
        let poll_type = LLVMFunctionType(LLVMVoidTypeInContext(context), std::ptr::null_mut(), 0, 0);
        for block in &headers {
            let mut first = LLVMGetFirstInstruction(*block);
            while !LLVMIsAPHINode(first).is_null() {
                first = LLVMGetNextInstruction(first);
            }
            LLVMPositionBuilderBefore(builder, first);
            LLVMBuildCall2(builder, poll_type, poll, std::ptr::null_mut(), 0, c"".as_ptr());
        }
        LLVMDisposeBuilder(builder);
    }
    headers.len()
}

/// Whether the reverse loop at `header` is the reverse of the inner loop of a strip-mined loop: every block of it
/// (the header and what reaches its latches without passing the header) reverses a block of a versioned loop's
/// unchecked copy, which the frontend names `u...` (jenzyme.runtime.lower.ChunkedLoop). Such a loop runs at most
/// one chunk, a bounded amount of work, and the reverse of the chunk loop around it polls: a poll inside would keep
/// the loop from vectorising (a second exit), and with it Enzyme's shadow updates paired into overlapping 16-byte
/// stores that stall store forwarding every iteration (Rosenbrock n = 1000: 4.5 us against 1.95 without).
///
/// The reverse of a `--fast-math` map or precomputing loop (`loop_fission`, blocks `fission.map...`) has no poll
/// either: it runs at most one chunk, and the reverse of the chunk loop around it (`fission.chunk...`) polls; a poll
/// inside would keep it scalar (LogReg: one exp per row, not four at a time).
fn reverses_only(header: LLVMBasicBlockRef, latches: &[LLVMBasicBlockRef], forward: impl Fn(&str) -> bool) -> bool {
    let body = cfg::loop_body(header, latches);
    body.iter().all(|block| reverses(&block_name(*block), &forward))
}

/// Enzyme names the reverse of block `X` `invertX`, and adds `incinvertX` (the counter step) and `invertX_phi...`.
fn reverses(name: &str, forward: impl Fn(&str) -> bool) -> bool {
    let name = name.strip_prefix("inc").unwrap_or(name);
    name.strip_prefix(REVERSE_BLOCK_PREFIX).is_some_and(forward)
}

fn block_name(block: LLVMBasicBlockRef) -> String {
    // SAFETY: a live block's value.
    llvm::name_of(unsafe { LLVMBasicBlockAsValue(block) })
}

/// `void jenzyme.reverse_poll()`: if the flag is raised, call the unwinder (cold); internal and always inlined.
/// Defined once per module (zeroing_polls calls it too).
pub(crate) unsafe fn define_poll(module: LLVMModuleRef, flag: LLVMValueRef) -> LLVMValueRef {
    let poll_name = CString::new(POLL).unwrap();
    let defined = LLVMGetNamedFunction(module, poll_name.as_ptr());
    if !defined.is_null() {
        return defined;
    }
    let context = LLVMGetModuleContext(module);
    let void = LLVMVoidTypeInContext(context);
    let i32_type = LLVMInt32TypeInContext(context);
    let void_fn = LLVMFunctionType(void, std::ptr::null_mut(), 0, 0);
    let unwind_name = CString::new(INTERRUPT_UNWIND).unwrap();
    let mut unwind = LLVMGetNamedFunction(module, unwind_name.as_ptr());
    if unwind.is_null() {
        unwind = LLVMAddFunction(module, unwind_name.as_ptr(), void_fn);
        llvm::set_function_attribute(unwind, "cold", true);
        llvm::set_function_attribute(unwind, "nounwind", true);
    }
    let poll = LLVMAddFunction(module, poll_name.as_ptr(), void_fn);
    LLVMSetLinkage(poll, LLVMLinkage::LLVMInternalLinkage);
    llvm::set_function_attribute(poll, "alwaysinline", true);
    llvm::set_function_attribute(poll, "nounwind", true);
    let entry = LLVMAppendBasicBlockInContext(context, poll, c"entry".as_ptr());
    let stop = LLVMAppendBasicBlockInContext(context, poll, c"interrupted".as_ptr());
    let done = LLVMAppendBasicBlockInContext(context, poll, c"go_on".as_ptr());
    let builder = LLVMCreateBuilderInContext(context);
    LLVMPositionBuilderAtEnd(builder, entry);
    // volatile: another thread writes the flag, and the load must stay inside the loop it polls.
    let raised = LLVMBuildLoad2(builder, i32_type, flag, c"interrupt".as_ptr());
    LLVMSetVolatile(raised, 1);
    LLVMSetAlignment(raised, 4);
    let zero = LLVMConstInt(i32_type, 0, 0);
    let is_raised = LLVMBuildICmp(builder, LLVMIntPredicate::LLVMIntNE, raised, zero, c"raised".as_ptr());
    LLVMBuildCondBr(builder, is_raised, stop, done);
    LLVMPositionBuilderAtEnd(builder, stop);
    LLVMBuildCall2(builder, void_fn, unwind, std::ptr::null_mut(), 0, c"".as_ptr());
    LLVMBuildBr(builder, done); // without a guard on the thread the unwinder returns: the sweep finishes
    LLVMPositionBuilderAtEnd(builder, done);
    LLVMBuildRetVoid(builder);
    LLVMDisposeBuilder(builder);
    poll
}
