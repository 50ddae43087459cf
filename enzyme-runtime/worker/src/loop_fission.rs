//! `--fast-math` loop fission before Enzyme: a top-level counting loop whose running sum `s += v` gets `v` from one
//! per-iteration scalar `t` (and the counter `i`) through pure maths with vector variants (libmvec,
//! jenzyme.runtime.llvm.VectorMaths) is split in two: the loop stores `t` into a scratch buffer of trip-count
//! elements, and a new single-block loop maps the maths over the buffer and sums. LLVM 19 vectorises only innermost
//! loops, so maths that sits in an outer loop (`./bench`'s LogReg: `log1p(exp(±t))` per row, after the dot-product
//! loop) or beside a recurrence (Transcendental: `log1p(x*x) + sqrt(1 + b*b*t) * atan(x)` of each step's `x`) never
//! ran 4 rows at a time; the new loop is innermost, in the primal and in the gradient's forward sweep alike. A
//! diamond's phi becomes a select (its arms are pure, so both run), and calls of the same function in the two arms
//! become one call of selected arguments (`log1p(exp(t <= 0 ? t : -t))`: one exp and one log1p per row, not two of
//! each). Afterwards [`precompute`] moves maths of the counter alone out of the loops.
//!
//! The sum runs in the original order, so fission alone changes no bits; the tolerance comes from the vectorised
//! reduction and libmvec (docs/DERIVATIVES.md). The buffer is `malloc`ed before the loop and freed after the map;
//! a failure or interrupt inside the loop unwinds through the JIT's checked allocator, which frees it with the
//! call's other blocks. The map loop runs in chunks, each after a copy of the loop's interrupt poll ([`chunks`]); the
//! map loop itself polls nowhere, nor does its reverse (reverse_polls), which would keep them scalar.
//!
//! `./bench`'s LogReg 10^4 x 32 gradient (X, y Const), `--rounds 11` at load 4-7, relative to the strict gradient:
//! `--fast-math` 0.667 -> 0.389, JAX `jit(grad)` 0.408 (docs/DERIVATIVES.md). Only reverse-mode requests are split.

use std::collections::{HashMap, HashSet};

use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::{LLVMOpcode, LLVMTypeKind};

use crate::llvm::{self, Module};
mod chunks;
mod precompute;
mod rewrite;

use crate::cfg::{exit_test, loop_body, loop_headers, predecessors, successors, users};

pub(crate) const VECTOR_VARIANTS: &str = "vector-function-abi-variant";
/// The blocks of the loops fission adds are `fission.map`, `fission.pre`, `fission.chunk` etc.
pub const MAP_PREFIX: &str = "fission.";

/// Whether a block fission added belongs to a loop without a poll of its own (a map or precomputing loop, not the
/// chunk loop around it): reverse_polls leaves such a loop's reverse without a poll.
pub fn unpolled(block_name: &str) -> bool {
    block_name.starts_with(MAP_PREFIX) && !block_name.starts_with(chunks::CHUNK_PREFIX)
}

/// Splits every loop of the module that fits (see the module comment), then moves each loop's remaining
/// counter-only maths into a loop of its own ([`precompute`]); returns how many loops changed, by either. In this
/// order a sum's maths that reads the counter (`exp(-h k) * log1p(x*x)`) moves whole into the map: precomputed
/// first, its `exp` would have become a load, and the load kept the `log1p` in the loop.
pub fn distribute_vector_maths(module: &Module) -> usize {
    let mut split = 0;
    for function in module.functions().into_iter().filter(|f| !llvm::is_declaration(*f)) {
        let loops: Vec<(LLVMBasicBlockRef, Vec<LLVMBasicBlockRef>)> = loop_headers(function);
        let bodies: Vec<HashSet<LLVMBasicBlockRef>> = loops.iter().map(|(h, l)| loop_body(*h, l)).collect();
        for (index, (header, latches)) in loops.iter().enumerate() {
            let nested = bodies.iter().enumerate().any(|(other, body)| other != index && body.contains(header));
            if nested || latches.len() != 1 {
                continue;
            }
            // SAFETY: read-only analysis of a live function, then a rewrite of this loop alone (the other loops'
            // blocks are not touched, so their bodies stay valid).
            unsafe {
                if let Some(plan) = Plan::find(*header, latches[0], bodies[index].clone()) {
                    plan.apply(module.raw());
                    split += 1;
                }
            }
        }
    }
    split + precompute::precompute_counter_maths(module)
}

/// What a pure instruction of the slice computes from its inputs.
#[derive(Clone, Copy)]
enum Pure {
    /// Arithmetic, a compare, a select or a call of a function without memory effects: its operands.
    Plain,
    /// A phi joining the two sides of a branch on `condition`: `condition ? on_true : on_false`.
    Join { condition: LLVMValueRef, on_true: LLVMValueRef, on_false: LLVMValueRef, arms: [Option<LLVMBasicBlockRef>; 2] },
}

struct Plan {
    body: HashSet<LLVMBasicBlockRef>,
    preheader: LLVMBasicBlockRef,
    latch: LLVMBasicBlockRef,
    exit: LLVMBasicBlockRef,
    counter: LLVMValueRef,
    trip_count: LLVMValueRef,
    sum: LLVMValueRef,
    next_sum: LLVMValueRef,
    /// The operand of `next_sum` that is not `sum`.
    term: LLVMValueRef,
    seed: LLVMValueRef,
    /// The instructions computed from `seed` alone that `term` needs, operands before users.
    slice: Vec<LLVMValueRef>,
    kinds: HashMap<LLVMValueRef, Pure>,
    /// The loop's interrupt poll, copied into the map's chunk loop.
    poll: Option<LLVMValueRef>,
}

impl Plan {
    unsafe fn find(header: LLVMBasicBlockRef, latch: LLVMBasicBlockRef, body: HashSet<LLVMBasicBlockRef>) -> Option<Plan> {
        let (preheader, exit, counter, trip_count) = counted_loop(header, latch, &body)?;
        let (sum, next_sum, term) = running_sum(header, latch, &body)?;
        let poll = chunks::interrupt_poll(&body);
        let mut plan = Plan {
            body, preheader, latch, exit, counter, trip_count, sum, next_sum, term,
            seed: std::ptr::null_mut(), slice: Vec::new(), kinds: HashMap::new(), poll,
        };
        plan.choose_seed(header)?;
        Some(plan)
    }

    fn in_loop(&self, value: LLVMValueRef) -> bool {
        // SAFETY: type queries on a live value.
        unsafe { !LLVMIsAInstruction(value).is_null() && self.body.contains(&LLVMGetInstructionParent(value)) }
    }

    /// The seed with the largest slice that holds a vectorisable call and shares no call with the rest of the loop.
    unsafe fn choose_seed(&mut self, header: LLVMBasicBlockRef) -> Option<()> {
        let mut candidates = Vec::new();
        let mut seen = HashSet::new();
        let mut work = vec![self.term];
        while let Some(value) = work.pop() {
            if !self.in_loop(value) || value == self.counter || !seen.insert(value) {
                continue;
            }
            if LLVMGetTypeKind(LLVMTypeOf(value)) == LLVMTypeKind::LLVMDoubleTypeKind {
                candidates.push(value);
            }
            if let Some(kind) = self.pure_kind(value) {
                self.kinds.insert(value, kind);
                work.extend(self.inputs(value, kind));
            }
        }
        let mut best: Option<(LLVMValueRef, Vec<LLVMValueRef>)> = None;
        for seed in candidates {
            if !dominates(header, LLVMGetInstructionParent(seed), self.latch, &self.body) {
                continue;
            }
            let mut order = Vec::new();
            let mut state = HashMap::new();
            if !self.computable(self.term, seed, &mut state, &mut order) {
                continue;
            }
            let vector = order.iter().any(|i| has_vector_variants(*i));
            if vector && self.cheap_to_share(&order) && best.as_ref().is_none_or(|(_, b)| b.len() < order.len()) {
                best = Some((seed, order));
            }
        }
        let (seed, slice) = best?;
        self.seed = seed;
        self.slice = slice;
        Some(())
    }

    /// Whether what the loop still needs of the slice (its members used outside it, and what they are computed from)
    /// is free of calls: those members are computed in both loops, which must not cost a second `sin` per row
    /// (Transcendental's `t = k * STEP` feeds the sum's `sqrt(1 + b*b*t)` and the recurrence's `sin(b*x + t)`).
    unsafe fn cheap_to_share(&self, order: &[LLVMValueRef]) -> bool {
        let members: HashSet<LLVMValueRef> = order.iter().copied().collect();
        let mut work: Vec<LLVMValueRef> = order.iter().copied().filter(|i| {
            users(*i).iter().any(|u| !members.contains(u) && *u != self.next_sum && LLVMIsATerminatorInst(*u).is_null())
        }).collect();
        let mut shared = HashSet::new();
        while let Some(value) = work.pop() {
            if !members.contains(&value) || !shared.insert(value) {
                continue;
            }
            if !LLVMIsACallInst(value).is_null() {
                return false;
            }
            work.extend(self.inputs(value, self.kinds[&value]));
        }
        true
    }

    /// Whether `value` follows from `seed`, the counter and loop invariants through pure instructions; appends the
    /// in-loop ones to `order` after their operands. The map loop counts as the loop did, so the counter is its own.
    unsafe fn computable(&self, value: LLVMValueRef, seed: LLVMValueRef, state: &mut HashMap<LLVMValueRef, bool>,
                         order: &mut Vec<LLVMValueRef>) -> bool {
        if value == seed || value == self.counter || !self.in_loop(value) {
            return true;
        }
        if let Some(known) = state.get(&value) {
            return *known;
        }
        state.insert(value, false); // a cycle is not computable
        let Some(kind) = self.kinds.get(&value).copied() else { return false };
        for input in self.inputs(value, kind) {
            if !self.computable(input, seed, state, order) {
                return false;
            }
        }
        state.insert(value, true);
        order.push(value);
        true
    }

    unsafe fn inputs(&self, value: LLVMValueRef, kind: Pure) -> Vec<LLVMValueRef> {
        match kind {
            Pure::Plain => (0..LLVMGetNumOperands(value) as u32).map(|i| LLVMGetOperand(value, i)).collect(),
            Pure::Join { condition, on_true, on_false, .. } => vec![condition, on_true, on_false],
        }
    }

    unsafe fn pure_kind(&self, value: LLVMValueRef) -> Option<Pure> {
        use LLVMOpcode::*;
        match LLVMGetInstructionOpcode(value) {
            LLVMFNeg | LLVMFAdd | LLVMFSub | LLVMFMul | LLVMFDiv | LLVMFCmp | LLVMSelect | LLVMFPExt | LLVMFPTrunc
            | LLVMSIToFP | LLVMUIToFP | LLVMAdd | LLVMSub | LLVMMul | LLVMTrunc | LLVMZExt | LLVMSExt => Some(Pure::Plain),
            LLVMCall if is_pure_call(value) => Some(Pure::Plain),
            LLVMPHI => join(value),
            _ => None,
        }
    }
}

/// The preheader, exit, counter and trip count of a loop entered from one block and left only by the latch's exit
/// edge (failures leave through calls, not branches), counting `i` = 0, 1, ..., n - 1.
unsafe fn counted_loop(header: LLVMBasicBlockRef, latch: LLVMBasicBlockRef, body: &HashSet<LLVMBasicBlockRef>)
                       -> Option<(LLVMBasicBlockRef, LLVMBasicBlockRef, LLVMValueRef, LLVMValueRef)> {
    let preds = predecessors(header);
    let preheader = *preds.iter().find(|b| !body.contains(b))?;
    if preds.len() != 2 {
        return None;
    }
    let exits: Vec<LLVMBasicBlockRef> = successors(latch).into_iter().filter(|b| !body.contains(b)).collect();
    if exits.len() != 1 || body.iter().any(|b| *b != latch && successors(*b).iter().any(|s| !body.contains(s))) {
        return None;
    }
    let (counter, trip_count) = counting(header, latch, preheader, exits[0], body)?;
    Some((preheader, exits[0], counter, trip_count))
}

/// The header's counter `i` (0, 1, ..., n - 1) and `n` when the latch leaves once `i + 1 == n`, `n` invariant.
unsafe fn counting(header: LLVMBasicBlockRef, latch: LLVMBasicBlockRef, preheader: LLVMBasicBlockRef,
                   exit: LLVMBasicBlockRef, body: &HashSet<LLVMBasicBlockRef>) -> Option<(LLVMValueRef, LLVMValueRef)> {
    let compare = exit_test(latch, exit)?;
    let (next, bound) = (LLVMGetOperand(compare, 0), LLVMGetOperand(compare, 1));
    let bound_in_loop = !LLVMIsAInstruction(bound).is_null() && body.contains(&LLVMGetInstructionParent(bound));
    if bound_in_loop || LLVMIsAInstruction(next).is_null() || LLVMGetInstructionOpcode(next) != LLVMOpcode::LLVMAdd {
        return None;
    }
    let counter = LLVMGetOperand(next, 0);
    let one = LLVMGetOperand(next, 1);
    if LLVMIsAConstantInt(one).is_null() || LLVMConstIntGetSExtValue(one) != 1 || LLVMIsAPHINode(counter).is_null()
        || LLVMGetInstructionParent(counter) != header {
        return None;
    }
    let start = incoming_from(counter, preheader);
    if start.is_null() || LLVMIsAConstantInt(start).is_null() || LLVMConstIntGetSExtValue(start) != 0
        || incoming_from(counter, latch) != next {
        return None;
    }
    Some((counter, bound))
}

/// The header's `s` with `s' = s + v` from the latch, `s` used by nothing else and `s'` only by `s` in the loop.
unsafe fn running_sum(header: LLVMBasicBlockRef, latch: LLVMBasicBlockRef, body: &HashSet<LLVMBasicBlockRef>)
                      -> Option<(LLVMValueRef, LLVMValueRef, LLVMValueRef)> {
    let mut phi = LLVMGetFirstInstruction(header);
    while !phi.is_null() && !LLVMIsAPHINode(phi).is_null() {
        let next = incoming_from(phi, latch);
        let fits = LLVMGetTypeKind(LLVMTypeOf(phi)) == LLVMTypeKind::LLVMDoubleTypeKind
            && !next.is_null() && !LLVMIsAInstruction(next).is_null()
            && LLVMGetInstructionOpcode(next) == LLVMOpcode::LLVMFAdd
            && users(phi) == vec![next]
            && users(next).iter().all(|u| *u == phi || !body.contains(&LLVMGetInstructionParent(*u)));
        if fits {
            let (a, b) = (LLVMGetOperand(next, 0), LLVMGetOperand(next, 1));
            if (a == phi) != (b == phi) {
                return Some((phi, next, if a == phi { b } else { a }));
            }
        }
        phi = LLVMGetNextInstruction(phi);
    }
    None
}

/// A phi of two values joined from the two sides of one conditional branch (a diamond or a triangle).
unsafe fn join(phi: LLVMValueRef) -> Option<Pure> {
    if LLVMCountIncoming(phi) != 2 {
        return None;
    }
    let here = LLVMGetInstructionParent(phi);
    let mut branch = None;
    let mut sides = Vec::new();
    for i in 0..2 {
        let from = LLVMGetIncomingBlock(phi, i);
        let preds = predecessors(from);
        let (decider, arm) = if preds.len() == 1 && successors(from) == vec![here] { (preds[0], Some(from)) } else { (from, None) };
        if branch.is_some_and(|b| b != decider) {
            return None;
        }
        branch = Some(decider);
        sides.push((arm, LLVMGetIncomingValue(phi, i)));
    }
    let decider = branch?;
    let terminator = LLVMGetBasicBlockTerminator(decider);
    if LLVMIsConditional(terminator) == 0 {
        return None;
    }
    let (first, second) = (LLVMGetSuccessor(terminator, 0), LLVMGetSuccessor(terminator, 1));
    let takes_true = |arm: Option<LLVMBasicBlockRef>| match arm { Some(a) => a == first, None => here == first };
    let (true_side, false_side) = match (takes_true(sides[0].0), takes_true(sides[1].0)) {
        (true, false) => (sides[0], sides[1]),
        (false, true) => (sides[1], sides[0]),
        _ => return None,
    };
    if first == second || (true_side.0.is_none() && here != first) || (false_side.0.is_none() && here != second) {
        return None;
    }
    Some(Pure::Join { condition: LLVMGetCondition(terminator), on_true: true_side.1, on_false: false_side.1,
                      arms: [true_side.0, false_side.0] })
}

/// A call of a declared function that neither reads nor writes memory nor unwinds.
pub(crate) unsafe fn is_pure_call(call: LLVMValueRef) -> bool {
    let callee = LLVMIsAFunction(LLVMGetCalledValue(call));
    if callee.is_null() || !llvm::is_declaration(callee) {
        return false;
    }
    let attribute = |name: &str| {
        LLVMGetEnumAttributeAtIndex(callee, llvm_sys::LLVMAttributeFunctionIndex,
                                    LLVMGetEnumAttributeKindForName(name.as_ptr().cast(), name.len()))
    };
    let memory = attribute("memory");
    !memory.is_null() && LLVMGetEnumAttributeValue(memory) == 0 && !attribute("nounwind").is_null()
}

unsafe fn has_vector_variants(value: LLVMValueRef) -> bool {
    !LLVMIsACallInst(value).is_null()
        && !LLVMGetCallSiteStringAttribute(value, llvm_sys::LLVMAttributeFunctionIndex,
                                           VECTOR_VARIANTS.as_ptr().cast(), VECTOR_VARIANTS.len() as u32).is_null()
}

unsafe fn incoming_from(phi: LLVMValueRef, block: LLVMBasicBlockRef) -> LLVMValueRef {
    (0..LLVMCountIncoming(phi)).find(|i| LLVMGetIncomingBlock(phi, *i) == block)
        .map_or(std::ptr::null_mut(), |i| LLVMGetIncomingValue(phi, i))
}

/// Whether every path from the header to the latch passes `block`.
fn dominates(header: LLVMBasicBlockRef, block: LLVMBasicBlockRef, latch: LLVMBasicBlockRef,
             body: &HashSet<LLVMBasicBlockRef>) -> bool {
    if block == header {
        return true;
    }
    let mut seen = HashSet::from([block]);
    let mut work = vec![header];
    while let Some(at) = work.pop() {
        if at == latch {
            return false;
        }
        if seen.insert(at) {
            work.extend(successors(at).into_iter().filter(|s| body.contains(s) && *s != header));
        }
    }
    true
}
