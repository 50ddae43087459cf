//! `--fast-math` reverse gradients of stencil sums as one fused pull loop (issue 14's Rosenbrock target, the route
//! of docs/DERIVATIVES.md). A stencil sum is a function whose only work is a counted loop `s += term(x[i + c0],
//! x[i + c1], ..., p...)` over one read-only array `x` at constant offsets `c`, loop-invariant doubles `p`, with `s`
//! returned as it is: its adjoint is then the seed, known before the loop. Enzyme's derivative of such a loop is a
//! forward sweep and a reverse push loop (`g[i + c] += ...`), which needs the value pass, then x and g again; the
//! pull form computes `s` and, for each element `j`, `g[j] += seed * Σ_c ∂term(j - c)/∂a_c` in one pass in forward
//! order (XLA's form), the terms recomputed at the shifted indices. `∂term` is Enzyme's gradient of `term` as a
//! function of its loaded scalars ([`emit`]).
//!
//! Recognised strictly ([`recognise`]): a request with one duplicated array and every other argument const, the
//! function after the pre-AD pipeline one single-block loop counting from a constant, its exit `i + e == bound`, a
//! guard entering it exactly when it has an iteration, a returned sum, and in the loop nothing but the term's pure
//! maths, loads of `x`, bounds checks and interrupt polls (`jenzyme.fail_if`). Anything else keeps Enzyme's
//! derivative. The Java frontend versions its loops (a chunked unchecked copy behind a `gate` block, chunked_loop
//! in jenzyme.runtime.lower); recognition runs on a copy of the module whose gates always take the checked copy,
//! which is the bytecode's loop as written. The fused derivative replaces nothing on the failing or short paths:
//! when a bounds check would fail, or the loop is shorter than the stencil is wide, Enzyme's derivative runs.

use std::collections::HashMap;

use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::{LLVMIntPredicate, LLVMOpcode, LLVMTypeKind};

use crate::cfg::{loop_headers, predecessors, successors, users};
use crate::llvm::{self, Module};
use crate::reverse_polls::INTERRUPT_FLAG;
use crate::spec::{Activity, ArgType, DiffRequest, Mode, Scalar};

pub mod emit;

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

/// The stencil that `function_name` of `module` (before the pre-AD pipeline) computes, when the request is a
/// `--fast-math` reverse gradient of it; recognised on a copy of the module that is optimised as the pre-AD
/// pipeline does (`optimise`) with every versioning gate taking the checked copy.
pub fn recognise(module: &Module, request: &DiffRequest, optimise: impl Fn(&Module) -> Result<(), String>)
                 -> Option<Stencil> {
    let array = eligible(request)?;
    let copy = module.clone_module();
    let function = copy.function(&request.function)?;
    // SAFETY: edits of the copy's branches, then read-only analysis of the optimised copy.
    unsafe {
        take_checked_copies(function);
        optimise(&copy).ok()?;
        let function = copy.function(&request.function)?;
        Recogniser::new(function, array)?.stencil()
    }
}

/// The duplicated array of a reverse request whose other arguments are const and whose return is active.
fn eligible(request: &DiffRequest) -> Option<usize> {
    if request.mode != Mode::Reverse || request.ret != Activity::Active || !request.options.fast_math
        || request.options.ad_before_opt {
        return None;
    }
    let mut array = None;
    for (i, arg) in request.args.iter().enumerate() {
        match (arg.activity, arg.ty) {
            (Activity::Const, _) => {}
            (Activity::Duplicated, ArgType::PointerTo(Scalar::Double)) if array.is_none() => array = Some(i),
            _ => return None,
        }
    }
    array
}

/// Links the fused derivative of `stencil` beside Enzyme's `derivative`; returns the accumulating one and, when the
/// request asks for it and the stencil writes every element of the array, the overwriting one.
pub fn fuse(module: &Module, stencil: &Stencil, request: &DiffRequest, derivative: LLVMValueRef)
            -> Result<(LLVMValueRef, Option<LLVMValueRef>), String> {
    let prefix = emit::term_functions(module, stencil, &request.function)?;
    let accumulating = emit::fused_function(module, stencil, request, &prefix, derivative, emit::Store::Accumulate)?;
    let overwriting = if request.options.overwrite && emit::covered_length(stencil).is_some() {
        Some(emit::fused_function(module, stencil, request, &prefix, derivative, emit::Store::Overwrite)?)
    } else {
        None
    };
    Ok((accumulating, overwriting))
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

struct Recogniser {
    function: LLVMValueRef,
    array: usize,
    header: LLVMBasicBlockRef,
    /// Each integer phi of the header: its value at iteration `i` is `i + offset`.
    counters: HashMap<LLVMValueRef, i64>,
    offsets: Vec<i64>,
    /// Double phis that carry a load to the next iteration (GVN's load PRE: `x[i]` is the last iteration's `x[i +
    /// 1]`), with the offset of the load before the loop.
    forwarded: HashMap<LLVMValueRef, i64>,
    nodes: Vec<Node>,
    node_of: HashMap<LLVMValueRef, usize>,
}

impl Recogniser {
    unsafe fn new(function: LLVMValueRef, array: usize) -> Option<Recogniser> {
        let loops = loop_headers(function);
        let [(header, latches)] = loops.as_slice() else { return None };
        if latches.as_slice() != [*header] {
            return None;
        }
        Some(Recogniser { function, array, header: *header, counters: HashMap::new(), offsets: Vec::new(),
                          forwarded: HashMap::new(), nodes: Vec::new(), node_of: HashMap::new() })
    }

    fn param_index(&self, value: LLVMValueRef) -> Option<usize> {
        // SAFETY: parameter queries on a live function.
        unsafe { (0..LLVMCountParams(self.function)).find(|i| LLVMGetParam(self.function, *i) == value).map(|i| i as usize) }
    }

    unsafe fn in_loop(&self, value: LLVMValueRef) -> bool {
        !LLVMIsAInstruction(value).is_null() && LLVMGetInstructionParent(value) == self.header
    }

    unsafe fn stencil(mut self) -> Option<Stencil> {
        let header = self.header;
        let preheader = predecessors(header).into_iter().find(|b| *b != header)?;
        let exits: Vec<_> = successors(header).into_iter().filter(|b| *b != header).collect();
        let [exit] = exits.as_slice() else { return None };
        // The phis: integer counters from constants, one double sum.
        let mut sum = None;
        let mut phi = LLVMGetFirstInstruction(header);
        while !LLVMIsAPHINode(phi).is_null() {
            let start = incoming(phi, preheader)?;
            match LLVMGetTypeKind(LLVMTypeOf(phi)) {
                LLVMTypeKind::LLVMIntegerTypeKind if !LLVMIsAConstantInt(start).is_null() => {
                    self.counters.insert(phi, LLVMConstIntGetSExtValue(start));
                }
                LLVMTypeKind::LLVMDoubleTypeKind if sum.is_none() && !LLVMIsAConstantFP(start).is_null() => sum = Some(phi),
                LLVMTypeKind::LLVMDoubleTypeKind => {
                    let offset = self.constant_load(start)?;
                    self.forwarded.insert(phi, offset);
                }
                _ => return None,
            }
            phi = LLVMGetNextInstruction(phi);
        }
        let sum = sum?;
        for (&counter, &offset) in &self.counters {
            if self.counting(incoming(counter, header)?)? != offset + 1 {
                return None;
            }
        }
        let next_sum = incoming(sum, header)?;
        let term = self.addend(sum, next_sum)?;
        let (trips, exit_condition) = self.trips(*exit)?;
        let mut lost = 0;
        let start = LLVMConstRealGetDouble(incoming(sum, preheader)?, &mut lost);
        self.returned_sum(next_sum, *exit, start)?;
        self.guarded(*exit, trips)?;
        let root = self.node(term)?;
        if root + 1 != self.nodes.len() {
            return None;
        }
        let (bounds, poll, status) = self.checks(sum, next_sum, exit_condition)?;
        if self.offsets.iter().chain(bounds.iter().map(|(c, _)| c)).any(|c| *c < 0) {
            return None;
        }
        let mut offsets = self.offsets.clone();
        offsets.sort();
        let order: Vec<usize> = self.offsets.iter().map(|c| offsets.iter().position(|o| o == c).unwrap()).collect();
        let nodes = self.nodes.into_iter().map(|n| match n { Node::Load(k) => Node::Load(order[k]), n => n }).collect();
        Some(Stencil { array: self.array, trips, offsets, bounds, start, nodes, status, poll })
    }

    /// `v` of `s' = s + v`, with `s` used only there and `s'` only by `s` and outside the loop.
    unsafe fn addend(&self, sum: LLVMValueRef, next: LLVMValueRef) -> Option<LLVMValueRef> {
        if !self.in_loop(next) || LLVMGetInstructionOpcode(next) != LLVMOpcode::LLVMFAdd || users(sum) != vec![next] {
            return None;
        }
        if users(next).iter().any(|u| *u != sum && self.in_loop(*u)) {
            return None;
        }
        let (a, b) = (LLVMGetOperand(next, 0), LLVMGetOperand(next, 1));
        match (a == sum, b == sum) {
            (true, false) => Some(b),
            (false, true) => Some(a),
            _ => None,
        }
    }

    /// `k` when `value` is `i + k` at iteration `i` (a counter plus constants, through integer casts).
    unsafe fn counting(&self, value: LLVMValueRef) -> Option<i64> {
        if let Some(offset) = self.counters.get(&value) {
            return Some(*offset);
        }
        if !self.in_loop(value) {
            return None;
        }
        let constant = |v: LLVMValueRef| (!LLVMIsAConstantInt(v).is_null()).then(|| LLVMConstIntGetSExtValue(v));
        match LLVMGetInstructionOpcode(value) {
            LLVMOpcode::LLVMAdd => {
                let (a, b) = (LLVMGetOperand(value, 0), LLVMGetOperand(value, 1));
                match (constant(a), constant(b)) {
                    (None, Some(k)) => Some(self.counting(a)? + k),
                    (Some(k), None) => Some(self.counting(b)? + k),
                    _ => None,
                }
            }
            LLVMOpcode::LLVMSub => Some(self.counting(LLVMGetOperand(value, 0))? - constant(LLVMGetOperand(value, 1))?),
            LLVMOpcode::LLVMZExt | LLVMOpcode::LLVMSExt | LLVMOpcode::LLVMTrunc => self.counting(LLVMGetOperand(value, 0)),
            _ => None,
        }
    }

    /// `sext(parameter) + k` for a value computed outside the loop.
    unsafe fn invariant(&self, value: LLVMValueRef) -> Option<Affine> {
        if let Some(param) = self.param_index(value) {
            return (LLVMGetTypeKind(LLVMTypeOf(value)) == LLVMTypeKind::LLVMIntegerTypeKind)
                .then_some(Affine { param, offset: 0 });
        }
        if LLVMIsAInstruction(value).is_null() || self.in_loop(value) {
            return None;
        }
        let constant = |v: LLVMValueRef| (!LLVMIsAConstantInt(v).is_null()).then(|| LLVMConstIntGetSExtValue(v));
        let shifted = |a: Affine, k: i64| Affine { param: a.param, offset: a.offset + k };
        match LLVMGetInstructionOpcode(value) {
            LLVMOpcode::LLVMAdd => Some(shifted(self.invariant(LLVMGetOperand(value, 0))?, constant(LLVMGetOperand(value, 1))?)),
            LLVMOpcode::LLVMSub => Some(shifted(self.invariant(LLVMGetOperand(value, 0))?, -constant(LLVMGetOperand(value, 1))?)),
            LLVMOpcode::LLVMSExt => self.invariant(LLVMGetOperand(value, 0)),
            LLVMOpcode::LLVMZExt if LLVMGetNNeg(value) != 0 => self.invariant(LLVMGetOperand(value, 0)),
            _ => None,
        }
    }

    /// The trip count from the latch's exit test `i + e == bound` (the loop runs `bound - e + 1` times).
    unsafe fn trips(&self, exit: LLVMBasicBlockRef) -> Option<(Affine, LLVMValueRef)> {
        let branch = LLVMGetBasicBlockTerminator(self.header);
        let compare = LLVMIsAICmpInst(LLVMGetCondition(branch));
        if compare.is_null() {
            return None;
        }
        let leaves_on = match LLVMGetICmpPredicate(compare) {
            LLVMIntPredicate::LLVMIntEQ => 0,
            LLVMIntPredicate::LLVMIntNE => 1,
            _ => return None,
        };
        if LLVMGetSuccessor(branch, leaves_on) != exit {
            return None;
        }
        let (a, b) = (LLVMGetOperand(compare, 0), LLVMGetOperand(compare, 1));
        let (e, bound) = match (self.counting(a), self.counting(b)) {
            (Some(e), None) => (e, self.invariant(b)?),
            (None, Some(e)) => (e, self.invariant(a)?),
            _ => return None,
        };
        Some((Affine { param: bound.param, offset: bound.offset - e + 1 }, compare))
    }

    /// The function's only return gives `s'` after the loop and the start value when the loop is skipped.
    unsafe fn returned_sum(&self, next: LLVMValueRef, exit: LLVMBasicBlockRef, start: f64) -> Option<()> {
        let returns: Vec<LLVMValueRef> = blocks(self.function).into_iter().map(|b| LLVMGetBasicBlockTerminator(b))
            .filter(|t| LLVMGetInstructionOpcode(*t) == LLVMOpcode::LLVMRet).collect();
        let [ret] = returns.as_slice() else { return None };
        let value = LLVMGetOperand(*ret, 0);
        if value == next {
            return Some(());
        }
        if LLVMIsAPHINode(value).is_null() || LLVMGetInstructionParent(value) != exit || users(value) != vec![*ret] {
            return None;
        }
        for k in 0..LLVMCountIncoming(value) {
            let v = LLVMGetIncomingValue(value, k);
            let mut lost = 0;
            let is_start = !LLVMIsAConstantFP(v).is_null() && LLVMConstRealGetDouble(v, &mut lost) == start;
            if !(v == next && LLVMGetIncomingBlock(value, k) == self.header) && !is_start {
                return None;
            }
        }
        Some(())
    }

    /// Outside the loop only polls and integer tests, and one test that enters the loop exactly when `trips >= 1`.
    unsafe fn guarded(&self, exit: LLVMBasicBlockRef, trips: Affine) -> Option<()> {
        let mut guard = None;
        for block in blocks(self.function).into_iter().filter(|b| *b != self.header) {
            let mut inst = LLVMGetFirstInstruction(block);
            while !inst.is_null() {
                let allowed = match LLVMGetInstructionOpcode(inst) {
                    LLVMOpcode::LLVMCall => poll_of(inst).is_some(),
                    LLVMOpcode::LLVMLoad => is_flag_load(LLVMGetOperand(inst, 0)) || self.constant_load(inst).is_some(),
                    LLVMOpcode::LLVMGetElementPtr => true,
                    LLVMOpcode::LLVMRet | LLVMOpcode::LLVMPHI | LLVMOpcode::LLVMICmp | LLVMOpcode::LLVMAdd
                    | LLVMOpcode::LLVMSub | LLVMOpcode::LLVMSExt | LLVMOpcode::LLVMZExt => true,
                    LLVMOpcode::LLVMBr => {
                        if LLVMIsConditional(inst) != 0 {
                            if guard.is_some() {
                                return None;
                            }
                            guard = Some(inst);
                        }
                        true
                    }
                    _ => false,
                };
                if !allowed {
                    return None;
                }
                inst = LLVMGetNextInstruction(inst);
            }
        }
        let branch = guard?;
        let (enters_on_true, enters_on_false) = (self.reaches_loop(LLVMGetSuccessor(branch, 0), exit),
                                                 self.reaches_loop(LLVMGetSuccessor(branch, 1), exit));
        let enter = |p: i64| -> Option<bool> {
            let taken = self.evaluate(LLVMGetCondition(branch), trips.param, p)?;
            Some(if taken { enters_on_true? } else { enters_on_false? })
        };
        // The test is monotone in the parameter (a signed compare of it with a constant): one step at the threshold.
        let threshold = 1 - trips.offset;
        (enter(threshold)? && !enter(threshold - 1)? && enter(threshold + 1000)? && !enter(threshold - 1000)?)
            .then_some(())
    }

    /// Whether the straight path from `block` reaches the loop (Some(true)) or the exit (Some(false)).
    unsafe fn reaches_loop(&self, mut block: LLVMBasicBlockRef, exit: LLVMBasicBlockRef) -> Option<bool> {
        for _ in 0..8 {
            if block == self.header {
                return Some(true);
            }
            if block == exit {
                return Some(false);
            }
            let next = successors(block);
            let [only] = next.as_slice() else { return None };
            block = *only;
        }
        None
    }

    /// A signed compare of `sext(parameter) + k` with a constant, at `parameter == p`.
    unsafe fn evaluate(&self, condition: LLVMValueRef, param: usize, p: i64) -> Option<bool> {
        let compare = LLVMIsAICmpInst(condition);
        if compare.is_null() {
            return None;
        }
        let side = |v: LLVMValueRef| -> Option<i64> {
            if !LLVMIsAConstantInt(v).is_null() {
                return Some(LLVMConstIntGetSExtValue(v));
            }
            let affine = self.invariant(v)?;
            (affine.param == param).then_some(p + affine.offset)
        };
        let (a, b) = (side(LLVMGetOperand(compare, 0))?, side(LLVMGetOperand(compare, 1))?);
        use LLVMIntPredicate::*;
        Some(match LLVMGetICmpPredicate(compare) {
            LLVMIntSGT => a > b,
            LLVMIntSGE => a >= b,
            LLVMIntSLT => a < b,
            LLVMIntSLE => a <= b,
            _ => return None,
        })
    }

    /// The term's node for `value`, after those of its operands.
    unsafe fn node(&mut self, value: LLVMValueRef) -> Option<usize> {
        if let Some(index) = self.node_of.get(&value) {
            return Some(*index);
        }
        let node = if !LLVMIsAConstantFP(value).is_null() {
            let mut lost = 0;
            Node::Constant(LLVMConstRealGetDouble(value, &mut lost))
        } else if let Some(param) = self.param_index(value) {
            if LLVMGetTypeKind(LLVMTypeOf(value)) != LLVMTypeKind::LLVMDoubleTypeKind {
                return None;
            }
            Node::Param(param)
        } else if let Some(start) = self.forwarded.get(&value).copied() {
            self.forwarded_load(value, start)?
        } else if !self.in_loop(value) || LLVMGetTypeKind(LLVMTypeOf(value)) != LLVMTypeKind::LLVMDoubleTypeKind {
            return None;
        } else {
            let operand = |i| LLVMGetOperand(value, i);
            match LLVMGetInstructionOpcode(value) {
                LLVMOpcode::LLVMLoad => Node::Load(self.load_offset(value)?),
                LLVMOpcode::LLVMFNeg => Node::Unary { op: "fneg", operand: self.node(operand(0))? },
                opcode @ (LLVMOpcode::LLVMFAdd | LLVMOpcode::LLVMFSub | LLVMOpcode::LLVMFMul | LLVMOpcode::LLVMFDiv) => {
                    let op = match opcode {
                        LLVMOpcode::LLVMFAdd => "fadd",
                        LLVMOpcode::LLVMFSub => "fsub",
                        LLVMOpcode::LLVMFMul => "fmul",
                        _ => "fdiv",
                    };
                    Node::Binary { op, lhs: self.node(operand(0))?, rhs: self.node(operand(1))? }
                }
                LLVMOpcode::LLVMCall if crate::loop_fission::is_pure_call(value) => {
                    let callee = llvm::name_of(LLVMGetCalledValue(value));
                    let count = LLVMGetNumArgOperands(value);
                    let args = (0..count).map(|i| self.node(operand(i))).collect::<Option<Vec<_>>>()?;
                    Node::Call { callee, args }
                }
                _ => return None,
            }
        };
        self.nodes.push(node);
        self.node_of.insert(value, self.nodes.len() - 1);
        Some(self.nodes.len() - 1)
    }

    /// `k` for a load of `x[k]` outside the loop.
    unsafe fn constant_load(&self, load: LLVMValueRef) -> Option<i64> {
        if LLVMIsALoadInst(load).is_null() || LLVMGetVolatile(load) != 0 || self.in_loop(load) {
            return None;
        }
        match self.element(LLVMGetOperand(load, 0))? {
            (false, k) => Some(k),
            (true, _) => None,
        }
    }

    /// `(false, k)` for the address of `x[k]`, `(true, c)` for that of `x[i + c]`: `x` offset by GEPs of doubles
    /// (at the counter or constants) and of bytes (constant multiples of 8, as LLVM 19 writes constant offsets).
    unsafe fn element(&self, address: LLVMValueRef) -> Option<(bool, i64)> {
        if self.param_index(address) == Some(self.array) {
            return Some((false, 0));
        }
        if LLVMIsAGetElementPtrInst(address).is_null() || LLVMGetNumOperands(address) != 2 {
            return None;
        }
        let (counted, base) = self.element(LLVMGetOperand(address, 0))?;
        let index = LLVMGetOperand(address, 1);
        let constant = (!LLVMIsAConstantInt(index).is_null()).then(|| LLVMConstIntGetSExtValue(index));
        match (llvm::type_name(LLVMGetGEPSourceElementType(address)).as_str(), constant) {
            ("double", Some(k)) => Some((counted, base + k)),
            ("double", None) if !counted => Some((true, base + self.counting(index)?)),
            ("i8", Some(k)) if k % 8 == 0 => Some((counted, base + k / 8)),
            _ => None,
        }
    }

    /// The node of a forwarded load: `x[i + c - 1]` when the phi starts with `x[c - 1]` and carries `x[i + c]`.
    unsafe fn forwarded_load(&mut self, phi: LLVMValueRef, start: i64) -> Option<Node> {
        let carried = self.node(incoming(phi, self.header)?)?;
        let Node::Load(k) = self.nodes[carried] else { return None };
        let c = self.offsets[k] - 1;
        if c != start {
            return None;
        }
        Some(Node::Load(self.offset_index(c)))
    }

    fn offset_index(&mut self, c: i64) -> usize {
        if let Some(k) = self.offsets.iter().position(|o| *o == c) {
            return k;
        }
        self.offsets.push(c);
        self.offsets.len() - 1
    }

    /// The index of `load`'s offset in `self.offsets`: a plain double load of `x[i + c]`.
    unsafe fn load_offset(&mut self, load: LLVMValueRef) -> Option<usize> {
        if LLVMGetVolatile(load) != 0 {
            return None;
        }
        match self.element(LLVMGetOperand(load, 0))? {
            (true, c) => Some(self.offset_index(c)),
            (false, _) => None,
        }
    }

    /// Every instruction of the loop is the term's, the counters', the sum's, or a check: returns the bounds
    /// checks, the poll and the status parameter.
    unsafe fn checks(&self, sum: LLVMValueRef, next: LLVMValueRef, exit_condition: LLVMValueRef)
                     -> Option<(Vec<(i64, Affine)>, Option<[i64; 4]>, Option<usize>)> {
        let mut bounds = Vec::new();
        let mut poll = None;
        let mut status = None;
        let mut inst = LLVMGetFirstInstruction(self.header);
        while !inst.is_null() {
            let opcode = LLVMGetInstructionOpcode(inst);
            let accounted = self.node_of.contains_key(&inst) || inst == sum || inst == next || inst == exit_condition
                || opcode == LLVMOpcode::LLVMBr
                || (LLVMGetTypeKind(LLVMTypeOf(inst)) == LLVMTypeKind::LLVMIntegerTypeKind && self.counting(inst).is_some())
                || (opcode == LLVMOpcode::LLVMGetElementPtr
                    && users(inst).iter().all(|u| self.node_of.contains_key(u) || !LLVMIsAGetElementPtrInst(*u).is_null()))
                || (opcode == LLVMOpcode::LLVMLoad && is_flag_load(LLVMGetOperand(inst, 0)))
                || (opcode == LLVMOpcode::LLVMICmp && users(inst).iter().all(|u| is_fail_if(*u)));
            if opcode == LLVMOpcode::LLVMCall && !self.node_of.contains_key(&inst) {
                if !is_fail_if(inst) {
                    return None;
                }
                let reporter = self.param_index(LLVMGetOperand(inst, 0))?;
                if status.is_some_and(|s| s != reporter) {
                    return None;
                }
                status = Some(reporter);
                if let Some(found) = poll_of(inst) {
                    if poll.is_some_and(|p| p != found) {
                        return None;
                    }
                    poll = Some(found);
                } else {
                    bounds.push(self.bounds_check(inst)?);
                }
            } else if !accounted {
                return None;
            }
            inst = LLVMGetNextInstruction(inst);
        }
        Some((bounds, poll, status))
    }

    /// A bounds check `jenzyme.fail_if(status, index uge length, 1, index, length, line)` of `index = i + c` with
    /// `length` invariant; the pre-AD pipeline folds the condition to `false` where it proves the index in range.
    unsafe fn bounds_check(&self, call: LLVMValueRef) -> Option<(i64, Affine)> {
        let (condition, kind) = (LLVMGetOperand(call, 1), LLVMGetOperand(call, 2));
        if LLVMGetNumArgOperands(call) != 6 || LLVMIsAConstantInt(kind).is_null() || LLVMConstIntGetSExtValue(kind) != 1 {
            return None;
        }
        let (index, length) = (self.counting(LLVMGetOperand(call, 3))?, self.invariant(LLVMGetOperand(call, 4))?);
        // The length is an array's, never negative: its zero extension (indvars widens the compare) is exact.
        let widened = |v: LLVMValueRef| {
            let zext = !LLVMIsAZExtInst(v).is_null();
            self.invariant(if zext { LLVMGetOperand(v, 0) } else { v })
        };
        let compare = LLVMIsAICmpInst(condition);
        let proven = !LLVMIsAConstantInt(condition).is_null() && LLVMConstIntGetZExtValue(condition) == 0;
        let tested = !compare.is_null() && LLVMGetICmpPredicate(compare) == LLVMIntPredicate::LLVMIntUGE
            && self.counting(LLVMGetOperand(compare, 0)) == Some(index)
            && widened(LLVMGetOperand(compare, 1)) == Some(length);
        (proven || tested).then_some((index, length))
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
