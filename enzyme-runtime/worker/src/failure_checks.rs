//! The failure checks of reverse-mode modules, after Enzyme. The frontend emits every check (a bounds check, an
//! interrupt poll) of a gradient as a call of `jenzyme.fail_if` (jenzyme.runtime.lower.UnwindingFailures), kept out
//! of line while Enzyme differentiates: a branch to a failing path would be reversed too, and give each loop of
//! the backward sweep a second entry. Once the derivative exists, the check is made always-inline so O3 puts its
//! compare and cold branch back in place, and its unwinder is marked noreturn: the JIT's runtime never returns
//! from it while a guard is on the thread (and the modules that call it are always guarded).

use crate::llvm::{self, Module};

/// Named in jenzyme.runtime.lower.UnwindingFailures.
const FAIL_IF: &str = "jenzyme.fail_if";
/// Named in jenzyme.runtime.lower.RuntimeSymbols and defined by the JIT's runtime (checked-allocation.ll).
const FAIL_UNWIND: &str = "jenzyme.fail_unwind";

/// Lets O3 inline the module's failure check; returns whether it has one.
pub fn inline_after_ad(module: &Module) -> bool {
    let Some(check) = module.function(FAIL_IF) else {
        return false;
    };
    llvm::set_function_attribute(check, "noinline", false);
    // The check's memory(argmem: readwrite) told Enzyme it writes only the status block; the unwinder it calls
    // reads and frees more, which LLVM must now see.
    llvm::set_function_attribute(check, "memory", false);
    llvm::set_function_attribute(check, "alwaysinline", true);
    if let Some(unwind) = module.function(FAIL_UNWIND) {
        llvm::set_function_attribute(unwind, "noreturn", true);
    }
    true
}
