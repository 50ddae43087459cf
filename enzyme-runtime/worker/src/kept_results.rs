//! Marks the results of expensive math calls (`sin`, `exp`, `tanh`, `log1p`, ...) `!enzyme_mustcache` before
//! Enzyme, so the reverse sweep reads them from the tape instead of calling the function again. Enzyme's own
//! heuristic (`GradientUtils::shouldRecompute`) recomputes every libm call and math intrinsic whose operands it can
//! recompute, to save tape: in `./bench`'s Transcendental loop the reverse sweep called cos, exp, sin, tanh and atan
//! once more per iteration, on top of the calls the derivatives need (cos for sin', cosh for tanh', ...). A tape
//! entry is an 8-byte store and load per call and iteration, against 6–25 ns per call (glibc on this machine).
//! Results are bit-identical either way: the same function of the same operand. Cheap operations (`sqrt`, `fabs`,
//! `fma`, min/max) stay recomputed.
//!
//! Not in `--fast-math` loop fission's map and precomputing loops (blocks `fission.…`): they run in chunks
//! (loop_fission/chunks.rs), so Enzyme keeps their tape in one block per chunk, whose address the reverse loop then
//! reloads every iteration (cache_slots drops the `!invariant.group` that let LLVM hoist it), and the reverse stayed
//! scalar: Transcendental's `--fast-math` gradient 0.72 -> 0.87 of the strict one. Recomputed from the fission buffer
//! (alive until the reverse) with the calls' vector variants, it is 0.72-0.74, and LogReg's 0.36-0.38 -> 0.31-0.37.

use std::ffi::CString;

use llvm_sys::core::*;

use crate::llvm::{self, Module};
use crate::loop_fission;

/// Math intrinsics (by name stem, any overload) and C library functions worth a tape entry.
const EXPENSIVE: &[&str] = &[
    "llvm.sin.", "llvm.cos.", "llvm.tan.", "llvm.exp.", "llvm.exp2.", "llvm.exp10.", "llvm.log.", "llvm.log2.",
    "llvm.log10.", "llvm.pow.", "llvm.asin.", "llvm.acos.", "llvm.atan.", "llvm.atan2.", "llvm.sinh.", "llvm.cosh.",
    "llvm.tanh.", "sin", "cos", "tan", "exp", "log", "log10", "pow", "asin", "acos", "atan", "atan2", "sinh", "cosh",
    "tanh", "hypot", "expm1", "log1p", "cbrt",
];

fn is_expensive(name: &str) -> bool {
    EXPENSIVE.iter().any(|e| if e.ends_with('.') { name.starts_with(e) } else { name == *e })
}

/// Tags every call of an expensive math function in the module's defined functions but the blocks fission added;
/// returns how many.
pub fn keep_expensive_results(module: &Module) -> usize {
    let kind_name = CString::new("enzyme_mustcache").unwrap();
    let mut kept = 0;
    // SAFETY: walks the instruction lists of a live module and only attaches metadata nodes of its own context.
    unsafe {
        let context = LLVMGetModuleContext(module.raw());
        let kind = LLVMGetMDKindIDInContext(context, kind_name.as_ptr(), kind_name.as_bytes().len() as u32);
        let empty = LLVMMetadataAsValue(context, LLVMMDNodeInContext2(context, std::ptr::null_mut(), 0));
        for f in module.functions().into_iter().filter(|f| !llvm::is_declaration(*f)) {
            let mut block = LLVMGetFirstBasicBlock(f);
            while !block.is_null() {
                let split = llvm::name_of(LLVMBasicBlockAsValue(block)).starts_with(loop_fission::MAP_PREFIX);
                let mut inst = if split { std::ptr::null_mut() } else { LLVMGetFirstInstruction(block) };
                while !inst.is_null() {
                    if !LLVMIsACallInst(inst).is_null() {
                        let callee = LLVMIsAFunction(LLVMGetCalledValue(inst));
                        if !callee.is_null() && is_expensive(&llvm::name_of(callee)) {
                            LLVMSetMetadata(inst, kind, empty);
                            kept += 1;
                        }
                    }
                    inst = LLVMGetNextInstruction(inst);
                }
                block = LLVMGetNextBasicBlock(block);
            }
        }
    }
    kept
}
