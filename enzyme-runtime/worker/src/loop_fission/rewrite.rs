//! The rewrite of a loop that [`Plan::find`](super::Plan) matched: the scratch buffer, the store of the seed, the map
//! loop (the slice copied with joins as selects and paired calls merged, run in polled chunks), the exit rerouted
//! through it.

use std::collections::HashMap;
use std::ffi::CString;

use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::LLVMIntPredicate;

use super::chunks::Chunks;
use super::{incoming_from, Plan, Pure};
use crate::cfg::{successors, users};

impl Plan {
    pub(super) unsafe fn apply(mut self, module: LLVMModuleRef) {
        let context = LLVMGetModuleContext(module);
        let builder = LLVMCreateBuilderInContext(context);
        self.dedicate_preheader(context, builder);
        let i64_type = LLVMInt64TypeInContext(context);
        let double = LLVMTypeOf(self.seed);
        let (malloc_type, malloc) = declared(module, "malloc", i64_type, true);
        let (free_type, free) = declared(module, "free", LLVMVoidTypeInContext(context), false);

        LLVMPositionBuilderBefore(builder, LLVMGetBasicBlockTerminator(self.preheader));
        let count = widened(builder, self.trip_count, i64_type);
        let mut bytes = LLVMBuildMul(builder, count, LLVMConstInt(i64_type, 8, 0), c"fission.bytes".as_ptr());
        let buffer = LLVMBuildCall2(builder, malloc_type, malloc, &mut bytes, 1, c"fission.buffer".as_ptr());

        let mut after_seed = LLVMGetNextInstruction(self.seed);
        while !LLVMIsAPHINode(after_seed).is_null() {
            after_seed = LLVMGetNextInstruction(after_seed);
        }
        LLVMPositionBuilderBefore(builder, after_seed);
        let mut index = widened(builder, self.counter, i64_type);
        let slot = LLVMBuildInBoundsGEP2(builder, double, buffer, &mut index, 1, c"".as_ptr());
        LLVMBuildStore(builder, self.seed, slot);

        let start = LLVMInsertBasicBlockInContext(context, self.exit, c"fission.start".as_ptr());
        let map = LLVMInsertBasicBlockInContext(context, self.exit, c"fission.map".as_ptr());
        let done = LLVMInsertBasicBlockInContext(context, self.exit, c"fission.done".as_ptr());
        let chunks = self.poll.map(|poll| Chunks::around(context, builder, poll, start, map, done, count));
        LLVMPositionBuilderAtEnd(builder, start);
        LLVMBuildBr(builder, chunks.as_ref().map_or(map, |c| c.header));
        LLVMPositionBuilderAtEnd(builder, map);
        let k = LLVMBuildPhi(builder, i64_type, c"fission.k".as_ptr());
        let acc = LLVMBuildPhi(builder, double, c"fission.sum".as_ptr());
        let mut k_index = k;
        let element = LLVMBuildInBoundsGEP2(builder, double, buffer, &mut k_index, 1, c"".as_ptr());
        let loaded = LLVMBuildLoad2(builder, double, element, c"fission.t".as_ptr());
        let mut emitted = HashMap::from([(self.seed, loaded)]);
        if self.slice.iter().any(|v| self.uses_counter(*v)) {
            let counter_type = LLVMTypeOf(self.counter);
            let own = if counter_type == i64_type { k } else { LLVMBuildTrunc(builder, k, counter_type, c"".as_ptr()) };
            emitted.insert(self.counter, own);
        }
        let pairs = self.paired_calls();
        for value in &self.slice {
            self.emit(builder, *value, &pairs, &mut emitted);
        }
        let next_acc = LLVMInstructionClone(self.next_sum);
        LLVMInsertIntoBuilder(builder, next_acc);
        for i in 0..2 {
            let operand = LLVMGetOperand(self.next_sum, i);
            LLVMSetOperand(next_acc, i, if operand == self.sum { acc } else { emitted[&self.term] });
        }
        let next_k = LLVMBuildNUWAdd(builder, k, LLVMConstInt(i64_type, 1, 0), c"fission.k.next".as_ptr());
        let (end, leave) = chunks.as_ref().map_or((count, done), |c| (c.end, c.latch));
        let finished = LLVMBuildICmp(builder, LLVMIntPredicate::LLVMIntEQ, next_k, end, c"".as_ptr());
        LLVMBuildCondBr(builder, finished, leave, map);
        let initial = incoming_from(self.sum, self.preheader);
        let (mut first_k, mut initial_acc, mut entry) = match &chunks {
            Some(c) => (c.base, c.carried(builder, initial, next_acc), c.header),
            None => (LLVMConstInt(i64_type, 0, 0), initial, start),
        };
        LLVMAddIncoming(k, &mut first_k, &mut entry, 1);
        let mut map_block = map;
        let mut next_k_value = next_k;
        LLVMAddIncoming(k, &mut next_k_value, &mut map_block, 1);
        LLVMAddIncoming(acc, &mut initial_acc, &mut entry, 1);
        let mut next_acc_value = next_acc;
        LLVMAddIncoming(acc, &mut next_acc_value, &mut map_block, 1);
        LLVMPositionBuilderAtEnd(builder, done);
        let mut freed = buffer;
        LLVMBuildCall2(builder, free_type, free, &mut freed, 1, c"".as_ptr());
        LLVMBuildBr(builder, self.exit);

        // The loop now leaves through the map; the exit sees the map's sum where it saw the loop's.
        let terminator = LLVMGetBasicBlockTerminator(self.latch);
        for i in 0..LLVMGetNumSuccessors(terminator) {
            if LLVMGetSuccessor(terminator, i) == self.exit {
                LLVMSetSuccessor(terminator, i, start);
            }
        }
        let next_sum = self.next_sum;
        retarget_phis(builder, self.exit, self.latch, done, |v| if v == next_sum { next_acc } else { v });
        for user in users(self.next_sum) {
            if !self.in_loop(user) {
                for i in 0..LLVMGetNumOperands(user) as u32 {
                    if LLVMGetOperand(user, i) == self.next_sum {
                        LLVMSetOperand(user, i, next_acc);
                    }
                }
            }
        }
        LLVMInstructionEraseFromParent(self.next_sum);
        LLVMInstructionEraseFromParent(self.sum);
        for value in self.slice.iter().rev() {
            if LLVMGetFirstUse(*value).is_null() {
                LLVMInstructionEraseFromParent(*value); // a branch condition stays
            }
        }
        LLVMDisposeBuilder(builder);
    }

    /// Gives the loop a block of its own before the header when it is entered straight from a branch (the entry's
    /// `if (n > 0)` when no invariant was hoisted): the buffer's malloc must run only when the loop does, or it leaks.
    unsafe fn dedicate_preheader(&mut self, context: LLVMContextRef, builder: LLVMBuilderRef) {
        if successors(self.preheader).len() == 1 {
            return;
        }
        let header = LLVMGetInstructionParent(self.sum);
        let (own, rebuilt) = own_preheader(context, builder, header, self.preheader);
        for (old, new) in rebuilt {
            for held in [&mut self.counter, &mut self.sum, &mut self.seed] {
                if *held == old {
                    *held = new;
                }
            }
        }
        self.preheader = own;
    }

    unsafe fn uses_counter(&self, value: LLVMValueRef) -> bool {
        match self.kinds[&value] {
            Pure::Plain => (0..LLVMGetNumOperands(value) as u32).any(|i| LLVMGetOperand(value, i) == self.counter),
            Pure::Join { condition, on_true, on_false, .. } => [condition, on_true, on_false].contains(&self.counter),
        }
    }

    /// Calls of the same functions, in the same order, in the two arms of a join: each pair becomes one call.
    unsafe fn paired_calls(&self) -> HashMap<LLVMValueRef, (LLVMValueRef, LLVMValueRef, LLVMValueRef)> {
        let mut pairs = HashMap::new();
        for member in &self.slice {
            let Some(Pure::Join { condition, arms: [Some(on_true), Some(on_false)], .. }) = self.kinds.get(member).copied()
            else { continue };
            let calls_in = |block| -> Vec<LLVMValueRef> {
                self.slice.iter().copied()
                    .filter(|i| LLVMGetInstructionParent(*i) == block && !LLVMIsACallInst(*i).is_null()).collect()
            };
            let (first, second) = (calls_in(on_true), calls_in(on_false));
            let callee = |call: &LLVMValueRef| LLVMGetCalledValue(*call);
            if first.len() == second.len() && first.iter().map(callee).eq(second.iter().map(callee)) {
                for (a, b) in first.into_iter().zip(second) {
                    pairs.insert(a, (a, b, condition));
                    pairs.insert(b, (a, b, condition));
                }
            }
        }
        pairs
    }

    /// The map loop's copy of `value`, its operands copied first (a paired call: both calls' operands).
    unsafe fn emit(&self, builder: LLVMBuilderRef, value: LLVMValueRef,
                   pairs: &HashMap<LLVMValueRef, (LLVMValueRef, LLVMValueRef, LLVMValueRef)>,
                   emitted: &mut HashMap<LLVMValueRef, LLVMValueRef>) -> LLVMValueRef {
        if !self.in_loop(value) {
            return value;
        }
        if let Some(copy) = emitted.get(&value) {
            return *copy;
        }
        let operands = |v: LLVMValueRef| (0..LLVMGetNumOperands(v) as u32).map(move |i| LLVMGetOperand(v, i));
        let copy = if let Some(&(on_true, on_false, condition)) = pairs.get(&value) {
            let choose = self.emit(builder, condition, pairs, emitted);
            let mut chosen = Vec::new();
            for (a, b) in operands(on_true).zip(operands(on_false)) {
                let (a, b) = (self.emit(builder, a, pairs, emitted), self.emit(builder, b, pairs, emitted));
                chosen.push(if a == b { a } else { LLVMBuildSelect(builder, choose, a, b, c"fission.arg".as_ptr()) });
            }
            let merged = LLVMInstructionClone(on_true);
            LLVMInsertIntoBuilder(builder, merged);
            for (i, operand) in chosen.into_iter().enumerate() {
                LLVMSetOperand(merged, i as u32, operand);
            }
            emitted.insert(on_true, merged);
            emitted.insert(on_false, merged);
            merged
        } else if let Some(Pure::Join { condition, on_true, on_false, .. }) = self.kinds.get(&value).copied() {
            let (c, t, f) = (self.emit(builder, condition, pairs, emitted), self.emit(builder, on_true, pairs, emitted),
                             self.emit(builder, on_false, pairs, emitted));
            LLVMBuildSelect(builder, c, t, f, c"fission.join".as_ptr())
        } else {
            let copied: Vec<LLVMValueRef> = operands(value).map(|o| self.emit(builder, o, pairs, emitted)).collect();
            let copy = LLVMInstructionClone(value);
            LLVMInsertIntoBuilder(builder, copy);
            for (i, operand) in copied.into_iter().enumerate() {
                LLVMSetOperand(copy, i as u32, operand);
            }
            copy
        };
        emitted.insert(value, copy);
        copy
    }
}

/// A new block between `preheader` and `header`, the header's phis rebuilt to come from it (the C API cannot change
/// a phi's incoming block); returns it and each replaced phi with its replacement.
pub(super) unsafe fn own_preheader(context: LLVMContextRef, builder: LLVMBuilderRef, header: LLVMBasicBlockRef,
                                   preheader: LLVMBasicBlockRef) -> (LLVMBasicBlockRef, Vec<(LLVMValueRef, LLVMValueRef)>) {
    let own = LLVMInsertBasicBlockInContext(context, header, c"fission.preheader".as_ptr());
    LLVMPositionBuilderAtEnd(builder, own);
    LLVMBuildBr(builder, header);
    let terminator = LLVMGetBasicBlockTerminator(preheader);
    for i in 0..LLVMGetNumSuccessors(terminator) {
        if LLVMGetSuccessor(terminator, i) == header {
            LLVMSetSuccessor(terminator, i, own);
        }
    }
    (own, retarget_phis(builder, header, preheader, own, |value| value))
}

/// Rebuilds the phis of `block` so that what came from `from` comes from `to`, through `value_of`.
pub(super) unsafe fn retarget_phis(builder: LLVMBuilderRef, block: LLVMBasicBlockRef, from: LLVMBasicBlockRef,
                                   to: LLVMBasicBlockRef, value_of: impl Fn(LLVMValueRef) -> LLVMValueRef)
                                   -> Vec<(LLVMValueRef, LLVMValueRef)> {
    let mut rebuilt = Vec::new();
    let mut phi = LLVMGetFirstInstruction(block);
    while !phi.is_null() && !LLVMIsAPHINode(phi).is_null() {
        let following = LLVMGetNextInstruction(phi);
        LLVMPositionBuilderBefore(builder, phi);
        let new = LLVMBuildPhi(builder, LLVMTypeOf(phi), c"".as_ptr());
        for i in 0..LLVMCountIncoming(phi) {
            let (mut value, mut incoming) = (LLVMGetIncomingValue(phi, i), LLVMGetIncomingBlock(phi, i));
            if incoming == from {
                incoming = to;
                value = value_of(value);
            }
            LLVMAddIncoming(new, &mut value, &mut incoming, 1);
        }
        LLVMReplaceAllUsesWith(phi, new);
        rebuilt.push((phi, new));
        phi = following;
    }
    // Erased last, so that no new phi can take an erased one's address while the pairs are compared.
    for (old, _) in &rebuilt {
        LLVMInstructionEraseFromParent(*old);
    }
    rebuilt
}

pub(super) unsafe fn widened(builder: LLVMBuilderRef, value: LLVMValueRef, i64_type: LLVMTypeRef) -> LLVMValueRef {
    if LLVMTypeOf(value) == i64_type { value } else { LLVMBuildZExt(builder, value, i64_type, c"".as_ptr()) }
}

/// `malloc(i64) -> ptr` or `free(ptr)`, declared if the module has no such function yet.
pub(super) unsafe fn declared(module: LLVMModuleRef, name: &str, ret: LLVMTypeRef, takes_size: bool) -> (LLVMTypeRef, LLVMValueRef) {
    let context = LLVMGetModuleContext(module);
    let (mut param, ret) = if takes_size {
        (LLVMInt64TypeInContext(context), LLVMPointerTypeInContext(context, 0))
    } else {
        (LLVMPointerTypeInContext(context, 0), ret)
    };
    let function_type = LLVMFunctionType(ret, &mut param, 1, 0);
    let c_name = CString::new(name).unwrap();
    let mut function = LLVMGetNamedFunction(module, c_name.as_ptr());
    if function.is_null() {
        function = LLVMAddFunction(module, c_name.as_ptr(), function_type);
    }
    (function_type, function)
}
