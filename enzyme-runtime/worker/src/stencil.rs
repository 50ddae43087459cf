//! `--fast-math` reverse gradients of stencil sums as one fused pull loop (issue 14's Rosenbrock target, the route
//! of docs/DERIVATIVES.md). A stencil sum is a function whose only work is a counted loop `s += term(x[i + c0],
//! x[i + c1], ..., p...)` over one read-only array `x` at constant offsets `c`, loop-invariant doubles `p`, with `s`
//! returned as it is: its adjoint is then the seed, known before the loop. Enzyme's derivative of such a loop is a
//! forward sweep and a reverse push loop (`g[i + c] += ...`), which needs the value pass, then x and g again; the
//! pull form computes `s` and, for each element `j`, `g[j] += seed * Σ_c ∂term(j - c)/∂a_c` in one pass in forward
//! order (XLA's form), the terms recomputed at the shifted indices. `∂term` is Enzyme's gradient of `term` as a
//! function of its loaded scalars ([`emit`]).
//!
//! Recognised strictly ([`recognise`]): a request with one duplicated array, every other argument const or an
//! active double (its adjoint `seed · Σ_i ∂term(i)/∂p` summed in the same pass), the
//! function after the pre-AD pipeline one single-block loop counting from a constant, its exit `i + e == bound`, a
//! guard entering it exactly when it has an iteration, a returned sum, and in the loop nothing but the term's pure
//! maths, loads of `x`, bounds checks and interrupt polls (`jenzyme.fail_if`). Anything else keeps Enzyme's
//! derivative. The Java frontend versions its loops (a chunked unchecked copy behind a `gate` block, chunked_loop
//! in jenzyme.runtime.lower); recognition runs on a copy of the module whose gates always take the checked copy,
//! which is the bytecode's loop as written. The fused derivative replaces nothing on the failing or short paths:
//! when a bounds check would fail, or the loop is shorter than the stencil is wide, Enzyme's derivative runs.

use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::{LLVMIntPredicate, LLVMOpcode};

use crate::llvm::{self, Module};
use crate::reverse_polls::INTERRUPT_FLAG;
use crate::spec::{Activity, ArgType, DiffRequest, Mode, Scalar};

pub mod emit;
mod fused;
mod recogniser;
mod term;

use fused::Store;
use recogniser::Recogniser;

/// Named in jenzyme.runtime.lower.UnwindingFailures (failure_checks.rs).
const FAIL_IF: &str = "jenzyme.fail_if";
/// The blocks that choose between a versioned loop's chunked and checked copies (jenzyme.runtime.lower.ChunkedLoop).
const GATE_PREFIX: &str = "gate";
const CHUNK_PREFIX: &str = "chunk";

/// `sext(parameter) + offset`, in i64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Affine {
    pub param: usize,
    pub offset: i64,
}

/// A node of the term's expression, in evaluation order; operands index earlier nodes.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// `x[i + offsets[k]]`: the term's k-th loaded scalar.
    Load(usize),
    /// A loop-invariant double parameter of the function.
    Param(usize),
    Constant(f64),
    Unary { op: &'static str, operand: usize },
    Binary { op: &'static str, lhs: usize, rhs: usize },
    /// A call of a pure declared function of doubles.
    Call { callee: String, args: Vec<usize> },
}

/// What the fused derivative needs to know of the function (see the module comment).
#[derive(Clone, Debug, PartialEq)]
pub struct Stencil {
    /// The duplicated array parameter.
    pub array: usize,
    /// The loop's trip count when it is entered.
    pub trips: Affine,
    /// The distinct offsets `c` of the loads, ascending, all >= 0 (iteration 0 reads `x[c]`).
    pub offsets: Vec<i64>,
    /// Bounds checks in the loop: the index `i + c` must be in `[0, length)`.
    pub bounds: Vec<(i64, Affine)>,
    /// The sum's value before the loop.
    pub start: f64,
    pub nodes: Vec<Node>,
    /// The status parameter the polls and checks report through, when the loop has any.
    pub status: Option<usize>,
    /// The loop's interrupt poll: `jenzyme.fail_if`'s constant arguments after the condition.
    pub poll: Option<[i64; 4]>,
}

/// A copy of the module before the pre-AD pipeline, when the request is one the pass could apply to (a
/// `--fast-math` reverse gradient, [`eligible`]): [`recognise`] reads the stencil from it.
pub fn copy_if_eligible<'ctx>(module: &Module<'ctx>, request: &DiffRequest) -> Option<Module<'ctx>> {
    eligible(request).map(|_| module.clone_module())
}

/// The stencil that the request's function computes. `optimised` is the module after the pre-AD pipeline, `copy`
/// the module before it ([`copy_if_eligible`]); the copy is optimised as the pre-AD pipeline does (`optimise`) with
/// every versioning gate taking the checked copy, unless a look at the optimised function rules a stencil out
/// (that second pipeline is most of the pass's compile time: ~5 ms for Rosenbrock).
pub fn recognise(copy: Module, optimised: &Module, request: &DiffRequest,
                 optimise: impl Fn(&Module) -> Result<(), String>) -> Option<Stencil> {
    let array = eligible(request)?;
    // SAFETY: read-only analysis of the optimised function, edits of the copy's branches, then read-only analysis
    // of the optimised copy.
    unsafe {
        if !may_be_stencil(optimised.function(&request.function)?) {
            return None;
        }
        take_checked_copies(copy.function(&request.function)?);
        optimise(&copy).ok()?;
        Recogniser::new(copy.function(&request.function)?, array)?.stencil()
    }
}

/// Whether the function, versioned loops and all, could be a stencil sum: no stores, no calls but checks, polls and
/// pure maths, and no more loops than one versioned loop makes (its chunks, their unchecked loop, the checked copy).
unsafe fn may_be_stencil(function: LLVMValueRef) -> bool {
    if crate::cfg::loop_headers(function).len() > 3 {
        return false;
    }
    blocks(function).into_iter().all(|block| {
        let mut inst = LLVMGetFirstInstruction(block);
        while !inst.is_null() {
            let allowed = match LLVMGetInstructionOpcode(inst) {
                LLVMOpcode::LLVMStore => false,
                LLVMOpcode::LLVMCall => is_fail_if(inst) || crate::loop_fission::is_pure_call(inst),
                _ => true,
            };
            if !allowed {
                return false;
            }
            inst = LLVMGetNextInstruction(inst);
        }
        true
    })
}

/// The duplicated array of a reverse request whose other arguments are const or active doubles and whose return
/// is active.
fn eligible(request: &DiffRequest) -> Option<usize> {
    // A gradient that is differentiated again (an hvp's, `defer_failure_checks`) stays Enzyme's: its second sweep
    // is only tested over Enzyme's own derivative.
    if request.mode != Mode::REVERSE || request.ret != Activity::Active || !request.options.fast_math
        || request.options.ad_before_opt || request.options.defer_failure_checks {
        return None;
    }
    let mut array = None;
    for (i, arg) in request.args.iter().enumerate() {
        match (arg.activity, arg.ty) {
            (Activity::Const, _) => {}
            (Activity::Duplicated, ArgType::PointerTo(Scalar::Double)) if array.is_none() => array = Some(i),
            (Activity::Active, ArgType::Value(Scalar::Double)) => {}
            _ => return None,
        }
    }
    array
}

/// Links the fused derivative of `stencil` beside Enzyme's `derivative`; returns the accumulating one and, when the
/// request asks for it and the stencil writes every element of the array, the overwriting one with its parts. An
/// error leaves only unused internal functions in the module (the IR text is verified before it is linked), so the
/// caller can keep Enzyme's derivative.
pub fn fuse(module: &Module, stencil: &Stencil, request: &DiffRequest, derivative: LLVMValueRef)
            -> Result<(LLVMValueRef, Option<emit::Fused>), String> {
    let prefix = emit::term_functions(module, stencil, request)?;
    let accumulating = emit::fused_function(module, stencil, request, &prefix, derivative, Store::Accumulate)?;
    let overwriting = if request.options.overwrite && emit::covered_length(stencil).is_some() {
        Some(emit::fused_function(module, stencil, request, &prefix, derivative, Store::Overwrite)?)
    } else {
        None
    };
    Ok((accumulating.whole, overwriting))
}

/// Points every versioning gate of `function` at its checked copy, so the chunked copy becomes dead code.
unsafe fn take_checked_copies(function: LLVMValueRef) {
    let mut block = LLVMGetFirstBasicBlock(function);
    while !block.is_null() {
        let terminator = LLVMGetBasicBlockTerminator(block);
        if llvm::block_name(block).starts_with(GATE_PREFIX) && LLVMIsConditional(terminator) != 0 {
            let chunked_first = llvm::block_name(LLVMGetSuccessor(terminator, 0)).starts_with(CHUNK_PREFIX);
            let context = LLVMGetModuleContext(LLVMGetGlobalParent(function));
            LLVMSetCondition(terminator, LLVMConstInt(LLVMInt1TypeInContext(context), (!chunked_first) as u64, 0));
        }
        block = LLVMGetNextBasicBlock(block);
    }
}

unsafe fn is_fail_if(inst: LLVMValueRef) -> bool {
    !LLVMIsACallInst(inst).is_null() && llvm::name_of(LLVMGetCalledValue(inst)) == FAIL_IF
}

unsafe fn is_flag_load(address: LLVMValueRef) -> bool {
    !LLVMIsAGlobalVariable(address).is_null() && llvm::name_of(address) == INTERRUPT_FLAG
}

/// The constant arguments of a `jenzyme.fail_if` call whose condition is the interrupt flag being set.
unsafe fn poll_of(call: LLVMValueRef) -> Option<[i64; 4]> {
    if !is_fail_if(call) || LLVMGetNumArgOperands(call) != 6 {
        return None;
    }
    let compare = LLVMIsAICmpInst(LLVMGetOperand(call, 1));
    if compare.is_null() || LLVMGetICmpPredicate(compare) != LLVMIntPredicate::LLVMIntNE {
        return None;
    }
    let (flag, zero) = (LLVMGetOperand(compare, 0), LLVMGetOperand(compare, 1));
    let flag_load = !LLVMIsALoadInst(flag).is_null() && is_flag_load(LLVMGetOperand(flag, 0));
    if !flag_load || LLVMIsAConstantInt(zero).is_null() || LLVMConstIntGetSExtValue(zero) != 0 {
        return None;
    }
    let mut constants = [0; 4];
    for (k, slot) in constants.iter_mut().enumerate() {
        let v = LLVMGetOperand(call, 2 + k as u32);
        if LLVMIsAConstantInt(v).is_null() {
            return None;
        }
        *slot = LLVMConstIntGetSExtValue(v);
    }
    Some(constants)
}

unsafe fn incoming(phi: LLVMValueRef, block: LLVMBasicBlockRef) -> Option<LLVMValueRef> {
    (0..LLVMCountIncoming(phi)).find(|i| LLVMGetIncomingBlock(phi, *i) == block).map(|i| LLVMGetIncomingValue(phi, i))
}

unsafe fn blocks(function: LLVMValueRef) -> Vec<LLVMBasicBlockRef> {
    let mut all = Vec::new();
    let mut block = LLVMGetFirstBasicBlock(function);
    while !block.is_null() {
        all.push(block);
        block = LLVMGetNextBasicBlock(block);
    }
    all
}