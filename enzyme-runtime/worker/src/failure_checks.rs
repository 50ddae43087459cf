//! The failure checks of reverse-mode modules, after Enzyme. The frontend emits every check (a bounds check, an
//! interrupt poll) of a gradient inside a loop as a call of `jenzyme.fail_if` (jenzyme.runtime.lower.UnwindingFailures),
//! kept out of line while Enzyme differentiates: a branch to a failing path would be reversed too, and give each loop
//! of the backward sweep a second entry. Every other failure (a `throw`, a check outside loops, the recursion depth
//! check) branches to the function's fail block, which calls `jenzyme.fail_unwind`. Once the derivative exists, the
//! check is made always-inline so O3 puts its compare and cold branch back in place, and the unwinder is marked
//! noreturn: the JIT's runtime never returns from it while a guard is on the thread (and the modules that call it
//! are always guarded).

use crate::llvm::{self, Module};

/// Named in jenzyme.runtime.lower.UnwindingFailures.
const FAIL_IF: &str = "jenzyme.fail_if";
/// Named in jenzyme.runtime.lower.RuntimeSymbols and defined by the JIT's runtime (checked-allocation.ll).
const FAIL_UNWIND: &str = "jenzyme.fail_unwind";

/// Lets O3 inline the module's failure check and marks the unwinder noreturn; returns whether the module unwinds.
pub fn inline_after_ad(module: &Module) -> bool {
    let check = module.function(FAIL_IF);
    let unwind = module.function(FAIL_UNWIND);
    // Enzyme's preprocessing clone marks every call it copies `willreturn mustprogress` (setFullWillReturn in
    // FunctionUtils.cpp). A `willreturn` call of a noreturn function is undefined behaviour, so O3 deleted the
    // path to every such call in the differentiated functions: a `throw` (the fail block's call) vanished from
    // reverse gradients and returned a gradient instead (thr2_grad(v, -1.5) = 6.75), and so did the recursion
    // depth check. Checks inside `jenzyme.fail_if` kept theirs only because Enzyme does not clone an inactive
    // callee. So every call of either function loses the marks before the unwinder becomes noreturn.
    for function in check.iter().chain(unwind.iter()) {
        llvm::remove_call_site_attribute(*function, "willreturn");
        llvm::remove_call_site_attribute(*function, "mustprogress");
    }
    if let Some(check) = check {
        llvm::set_function_attribute(check, "noinline", false);
        // The check's memory(argmem: readwrite) told Enzyme it writes only the status block; the unwinder it calls
        // reads and frees more, which LLVM must now see.
        llvm::set_function_attribute(check, "memory", false);
        llvm::set_function_attribute(check, "alwaysinline", true);
    }
    if let Some(unwind) = unwind {
        llvm::set_function_attribute(unwind, "noreturn", true);
    }
    unwind.is_some()
}
