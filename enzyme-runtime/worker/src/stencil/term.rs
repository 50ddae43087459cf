//! The term of the loop's sum as [`Node`]s (loads of `x[i + c]`, invariant parameters, pure maths) and the loop's
//! checks: every other instruction of the loop must be a counter's, a bounds check or an interrupt poll.

use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::{LLVMIntPredicate, LLVMOpcode, LLVMTypeKind};

use super::recogniser::Recogniser;
use super::{incoming, is_fail_if, is_flag_load, poll_of, Affine, Node};
use crate::cfg::users;
use crate::llvm;

impl Recogniser {
    /// The term's node for `value`, after those of its operands.
    pub(super) unsafe fn node(&mut self, value: LLVMValueRef) -> Option<usize> {
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
    pub(super) unsafe fn constant_load(&self, load: LLVMValueRef) -> Option<i64> {
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
    pub(super) unsafe fn element(&self, address: LLVMValueRef) -> Option<(bool, i64)> {
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
    pub(super) unsafe fn forwarded_load(&mut self, phi: LLVMValueRef, start: i64) -> Option<Node> {
        let carried = self.node(incoming(phi, self.header)?)?;
        let Node::Load(k) = self.nodes[carried] else { return None };
        let c = self.offsets[k] - 1;
        if c != start {
            return None;
        }
        Some(Node::Load(self.offset_index(c)))
    }

    pub(super) fn offset_index(&mut self, c: i64) -> usize {
        if let Some(k) = self.offsets.iter().position(|o| *o == c) {
            return k;
        }
        self.offsets.push(c);
        self.offsets.len() - 1
    }

    /// The index of `load`'s offset in `self.offsets`: a plain double load of `x[i + c]`.
    pub(super) unsafe fn load_offset(&mut self, load: LLVMValueRef) -> Option<usize> {
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
    pub(super) unsafe fn checks(&self, sum: LLVMValueRef, next: LLVMValueRef, exit_condition: LLVMValueRef)
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
    pub(super) unsafe fn bounds_check(&self, call: LLVMValueRef) -> Option<(i64, Affine)> {
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
