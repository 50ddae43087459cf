//! The loop's shape for [`super::recognise`]: one single-block loop, its counters, trip count, guard and returned
//! sum. The term and the checks inside the loop are `term.rs`'s.

use std::collections::HashMap;

use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::{LLVMIntPredicate, LLVMOpcode, LLVMTypeKind};

use super::{blocks, incoming, is_flag_load, poll_of, Affine, Node, Stencil};
use crate::cfg::{exit_test, loop_headers, predecessors, successors, users};

pub(super) struct Recogniser {
    pub(super) function: LLVMValueRef,
    pub(super) array: usize,
    pub(super) header: LLVMBasicBlockRef,
    /// Each integer phi of the header: its value at iteration `i` is `i + offset`.
    pub(super) counters: HashMap<LLVMValueRef, i64>,
    pub(super) offsets: Vec<i64>,
    /// Double phis that carry a load to the next iteration (GVN's load PRE: `x[i]` is the last iteration's `x[i +
    /// 1]`), with the offset of the load before the loop.
    pub(super) forwarded: HashMap<LLVMValueRef, i64>,
    pub(super) nodes: Vec<Node>,
    pub(super) node_of: HashMap<LLVMValueRef, usize>,
}

impl Recogniser {
    pub(super) unsafe fn new(function: LLVMValueRef, array: usize) -> Option<Recogniser> {
        let loops = loop_headers(function);
        let [(header, latches)] = loops.as_slice() else { return None };
        if latches.as_slice() != [*header] {
            return None;
        }
        Some(Recogniser { function, array, header: *header, counters: HashMap::new(), offsets: Vec::new(),
                          forwarded: HashMap::new(), nodes: Vec::new(), node_of: HashMap::new() })
    }

    pub(super) fn param_index(&self, value: LLVMValueRef) -> Option<usize> {
        // SAFETY: parameter queries on a live function.
        unsafe { (0..LLVMCountParams(self.function)).find(|i| LLVMGetParam(self.function, *i) == value).map(|i| i as usize) }
    }

    pub(super) unsafe fn in_loop(&self, value: LLVMValueRef) -> bool {
        !LLVMIsAInstruction(value).is_null() && LLVMGetInstructionParent(value) == self.header
    }

    pub(super) unsafe fn stencil(mut self) -> Option<Stencil> {
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
    pub(super) unsafe fn addend(&self, sum: LLVMValueRef, next: LLVMValueRef) -> Option<LLVMValueRef> {
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
    pub(super) unsafe fn counting(&self, value: LLVMValueRef) -> Option<i64> {
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
    pub(super) unsafe fn invariant(&self, value: LLVMValueRef) -> Option<Affine> {
        if let Some(param) = self.param_index(value) {
            return (LLVMGetTypeKind(LLVMTypeOf(value)) == LLVMTypeKind::LLVMIntegerTypeKind)
                .then_some(Affine { param, offset: 0 });
        }
        if LLVMIsAInstruction(value).is_null() || self.in_loop(value) {
            return None;
        }
        let constant = |v: LLVMValueRef| (!LLVMIsAConstantInt(v).is_null()).then(|| LLVMConstIntGetSExtValue(v));
        let shifted = |a: Affine, k: i64| Affine { param: a.param, offset: a.offset + k };
        // Without `nsw` the narrow sum could wrap where the i64 one does not.
        let exact = |v: LLVMValueRef| LLVMGetNSW(v) != 0;
        match LLVMGetInstructionOpcode(value) {
            LLVMOpcode::LLVMAdd if exact(value) => {
                Some(shifted(self.invariant(LLVMGetOperand(value, 0))?, constant(LLVMGetOperand(value, 1))?))
            }
            LLVMOpcode::LLVMSub if exact(value) => {
                Some(shifted(self.invariant(LLVMGetOperand(value, 0))?, -constant(LLVMGetOperand(value, 1))?))
            }
            LLVMOpcode::LLVMSExt => self.invariant(LLVMGetOperand(value, 0)),
            LLVMOpcode::LLVMZExt if LLVMGetNNeg(value) != 0 => self.invariant(LLVMGetOperand(value, 0)),
            _ => None,
        }
    }

    /// The trip count from the latch's exit test `i + e == bound` (the loop runs `bound - e + 1` times).
    pub(super) unsafe fn trips(&self, exit: LLVMBasicBlockRef) -> Option<(Affine, LLVMValueRef)> {
        let compare = exit_test(self.header, exit)?;
        let (a, b) = (LLVMGetOperand(compare, 0), LLVMGetOperand(compare, 1));
        let (e, bound) = match (self.counting(a), self.counting(b)) {
            (Some(e), None) => (e, self.invariant(b)?),
            (None, Some(e)) => (e, self.invariant(a)?),
            _ => return None,
        };
        Some((Affine { param: bound.param, offset: bound.offset - e + 1 }, compare))
    }

    /// The function's only return gives `s'` after the loop and the start value when the loop is skipped.
    pub(super) unsafe fn returned_sum(&self, next: LLVMValueRef, exit: LLVMBasicBlockRef, start: f64) -> Option<()> {
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
    pub(super) unsafe fn guarded(&self, exit: LLVMBasicBlockRef, trips: Affine) -> Option<()> {
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
    pub(super) unsafe fn reaches_loop(&self, mut block: LLVMBasicBlockRef, exit: LLVMBasicBlockRef) -> Option<bool> {
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
    pub(super) unsafe fn evaluate(&self, condition: LLVMValueRef, param: usize, p: i64) -> Option<bool> {
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

}
