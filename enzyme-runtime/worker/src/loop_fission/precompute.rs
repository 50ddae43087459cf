//! `--fast-math`, before the sum's fission: maths in a counting loop that depends on the counter and loop invariants
//! alone (`./bench`'s Transcendental: `cos(a * t) * exp(-c * t)` with `t = k * STEP`, inside the recurrence
//! `x = x + STEP * (sin(b*x + t) - c*tanh(x) + ...)`) is computed for every iteration first, in a new innermost loop
//! that stores it in a buffer of trip-count doubles; the loop loads it instead. The recurrence never vectorises, the
//! new loop does, 4 iterations a time through libmvec, in the primal and in both sweeps of the gradient (Enzyme
//! differentiates the new loop like any other). Only loops that carry a floating-point recurrence (others vectorise
//! whole), only values computed on every iteration whose maths holds a call with vector variants, and only the
//! largest such values (a root: one of its users depends on something else); cheap ones (`t` itself) stay.
//!
//! Same operations on the same operands, so the split alone changes no bits. The buffers are `malloc`ed before the
//! new loop and freed on the loop's way out; a failure inside the loop unwinds through the JIT's checked allocator,
//! which frees them. The new loop polls for interrupts once per chunk ([`super::chunks`]).

use std::collections::{HashMap, HashSet};

use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::{LLVMIntPredicate, LLVMOpcode, LLVMTypeKind};

use super::chunks::{interrupt_poll, Chunks};
use super::rewrite::{declared, own_preheader, retarget_phis, widened};
use super::{counted_loop, dominates, has_vector_variants, incoming_from, is_pure_call, MAP_PREFIX};
use crate::cfg::{loop_body, loop_headers, users};
use crate::llvm::{self, Module};

/// Moves the counter-only maths of every top-level counting loop that has some; returns how many loops changed.
pub fn precompute_counter_maths(module: &Module) -> usize {
    let mut changed = 0;
    for function in module.functions().into_iter().filter(|f| !llvm::is_declaration(*f)) {
        // One loop per pass over the function: a rewrite adds blocks and loops, so the analysis is redone after it.
        // SAFETY: read-only analysis of a live function, then a rewrite of one loop.
        while let Some(hoist) = unsafe { find_in(function) } {
            unsafe { hoist.apply(module.raw()) };
            changed += 1;
        }
    }
    changed
}

struct Hoist {
    header: LLVMBasicBlockRef,
    preheader: LLVMBasicBlockRef,
    latch: LLVMBasicBlockRef,
    exit: LLVMBasicBlockRef,
    counter: LLVMValueRef,
    trip_count: LLVMValueRef,
    /// The values the loop will load, each from its own buffer.
    roots: Vec<LLVMValueRef>,
    /// The in-loop instructions the roots are computed from, operands before users.
    slice: Vec<LLVMValueRef>,
    /// The loop's interrupt poll, copied into the new loop's chunk loop.
    poll: Option<LLVMValueRef>,
}

unsafe fn find_in(function: LLVMValueRef) -> Option<Hoist> {
    let loops = loop_headers(function);
    let bodies: Vec<HashSet<LLVMBasicBlockRef>> = loops.iter().map(|(h, l)| loop_body(*h, l)).collect();
    for (index, (header, latches)) in loops.iter().enumerate() {
        let nested = bodies.iter().enumerate().any(|(other, body)| other != index && body.contains(header));
        // The loops this pass and the sum's fission made are left alone (each stores what it computed: a root).
        if nested || latches.len() != 1 || llvm::name_of(LLVMBasicBlockAsValue(*header)).starts_with(MAP_PREFIX) {
            continue;
        }
        if let Some(hoist) = Hoist::find(*header, latches[0], &bodies[index]) {
            return Some(hoist);
        }
    }
    None
}

impl Hoist {
    unsafe fn find(header: LLVMBasicBlockRef, latch: LLVMBasicBlockRef, body: &HashSet<LLVMBasicBlockRef>) -> Option<Hoist> {
        let (preheader, exit, counter, trip_count) = counted_loop(header, latch, body)?;
        if !carries_recurrence(header, latch) {
            return None;
        }
        let in_loop = |v: LLVMValueRef| !LLVMIsAInstruction(v).is_null() && body.contains(&LLVMGetInstructionParent(v));
        let mut known = HashMap::new();
        let mut roots = Vec::new();
        // In the function's block order, so that the same module always gives the same code.
        let mut block = LLVMGetFirstBasicBlock(LLVMGetBasicBlockParent(header));
        while !block.is_null() {
            if !body.contains(&block) {
                block = LLVMGetNextBasicBlock(block);
                continue;
            }
            // Maths on a path some iterations skip is left where it is: computing it for all of them may cost more.
            let every_iteration = dominates(header, block, latch, body);
            let mut inst = LLVMGetFirstInstruction(block);
            while !inst.is_null() {
                let root = LLVMGetTypeKind(LLVMTypeOf(inst)) == LLVMTypeKind::LLVMDoubleTypeKind
                    && every_iteration
                    && counter_only(inst, counter, &in_loop, &mut known)
                    && users(inst).iter().all(|u| in_loop(*u))
                    && users(inst).iter().any(|u| !counter_only(*u, counter, &in_loop, &mut known));
                if root {
                    roots.push(inst);
                }
                inst = LLVMGetNextInstruction(inst);
            }
            block = LLVMGetNextBasicBlock(block);
        }
        let mut slice = Vec::new();
        let mut placed = HashSet::new();
        roots.retain(|root| {
            let mut own = Vec::new();
            order(*root, counter, &in_loop, &mut HashSet::new(), &mut own);
            let worth = own.iter().any(|i| has_vector_variants(*i));
            if worth {
                for member in own {
                    if placed.insert(member) {
                        slice.push(member);
                    }
                }
            }
            worth
        });
        if roots.is_empty() {
            return None;
        }
        Some(Hoist { header, preheader, latch, exit, counter, trip_count, roots, slice, poll: interrupt_poll(body) })
    }

    unsafe fn apply(mut self, module: LLVMModuleRef) {
        let context = LLVMGetModuleContext(module);
        let builder = LLVMCreateBuilderInContext(context);
        let i64_type = LLVMInt64TypeInContext(context);
        let double = LLVMDoubleTypeInContext(context);
        let (malloc_type, malloc) = declared(module, "malloc", i64_type, true);
        let (free_type, free) = declared(module, "free", LLVMVoidTypeInContext(context), false);

        // preheader -> start (buffers) -> pre (the new loop) -> own preheader -> header: the invariants the maths
        // reads are computed by then, and nothing runs when the loop is skipped.
        let (own, rebuilt) = own_preheader(context, builder, self.header, self.preheader);
        if let Some((_, new)) = rebuilt.iter().find(|(old, _)| *old == self.counter) {
            self.counter = *new;
        }
        let start = LLVMInsertBasicBlockInContext(context, own, c"fission.pre.start".as_ptr());
        let pre = LLVMInsertBasicBlockInContext(context, own, c"fission.pre".as_ptr());
        let terminator = LLVMGetBasicBlockTerminator(self.preheader);
        for i in 0..LLVMGetNumSuccessors(terminator) {
            if LLVMGetSuccessor(terminator, i) == own {
                LLVMSetSuccessor(terminator, i, start);
            }
        }
        LLVMPositionBuilderAtEnd(builder, start);
        let count = widened(builder, self.trip_count, i64_type);
        let mut bytes = LLVMBuildMul(builder, count, LLVMConstInt(i64_type, 8, 0), c"fission.pre.bytes".as_ptr());
        let buffers: Vec<LLVMValueRef> = self.roots.iter()
            .map(|_| LLVMBuildCall2(builder, malloc_type, malloc, &mut bytes, 1, c"fission.pre.buffer".as_ptr()))
            .collect();
        let chunks = self.poll.map(|poll| Chunks::around(context, builder, poll, start, pre, own, count));
        LLVMPositionBuilderAtEnd(builder, start);
        LLVMBuildBr(builder, chunks.as_ref().map_or(pre, |c| c.header));

        LLVMPositionBuilderAtEnd(builder, pre);
        let k = LLVMBuildPhi(builder, i64_type, c"fission.pre.k".as_ptr());
        let counter_type = LLVMTypeOf(self.counter);
        let own_counter = if counter_type == i64_type { k } else { LLVMBuildTrunc(builder, k, counter_type, c"".as_ptr()) };
        let mut copies = HashMap::from([(self.counter, own_counter)]);
        for member in &self.slice {
            let copy = LLVMInstructionClone(*member);
            LLVMInsertIntoBuilder(builder, copy);
            for i in 0..LLVMGetNumOperands(*member) as u32 {
                if let Some(operand) = copies.get(&LLVMGetOperand(*member, i)) {
                    LLVMSetOperand(copy, i, *operand);
                }
            }
            copies.insert(*member, copy);
        }
        for (root, buffer) in self.roots.iter().zip(&buffers) {
            let mut index = k;
            let slot = LLVMBuildInBoundsGEP2(builder, double, *buffer, &mut index, 1, c"".as_ptr());
            LLVMBuildStore(builder, copies[root], slot);
        }
        let next_k = LLVMBuildNUWAdd(builder, k, LLVMConstInt(i64_type, 1, 0), c"fission.pre.k.next".as_ptr());
        let (end, leave) = chunks.as_ref().map_or((count, own), |c| (c.end, c.latch));
        let finished = LLVMBuildICmp(builder, LLVMIntPredicate::LLVMIntEQ, next_k, end, c"".as_ptr());
        LLVMBuildCondBr(builder, finished, leave, pre);
        let (mut first_k, mut entry) = chunks.as_ref().map_or((LLVMConstInt(i64_type, 0, 0), start), |c| (c.base, c.header));
        LLVMAddIncoming(k, &mut first_k, &mut entry, 1);
        let (mut next, mut from_pre) = (next_k, pre);
        LLVMAddIncoming(k, &mut next, &mut from_pre, 1);

        // The loop loads each root where it computed it.
        for (root, buffer) in self.roots.iter().zip(&buffers) {
            LLVMPositionBuilderBefore(builder, *root);
            let mut index = widened(builder, self.counter, i64_type);
            let slot = LLVMBuildInBoundsGEP2(builder, double, *buffer, &mut index, 1, c"".as_ptr());
            let loaded = LLVMBuildLoad2(builder, double, slot, c"fission.pre.value".as_ptr());
            LLVMReplaceAllUsesWith(*root, loaded);
        }
        for member in self.slice.iter().rev() {
            if LLVMGetFirstUse(*member).is_null() {
                LLVMInstructionEraseFromParent(*member);
            }
        }

        // Freed on the latch's way out.
        let freeing = LLVMInsertBasicBlockInContext(context, self.exit, c"fission.pre.free".as_ptr());
        LLVMPositionBuilderAtEnd(builder, freeing);
        for buffer in &buffers {
            let mut freed = *buffer;
            LLVMBuildCall2(builder, free_type, free, &mut freed, 1, c"".as_ptr());
        }
        LLVMBuildBr(builder, self.exit);
        let terminator = LLVMGetBasicBlockTerminator(self.latch);
        for i in 0..LLVMGetNumSuccessors(terminator) {
            if LLVMGetSuccessor(terminator, i) == self.exit {
                LLVMSetSuccessor(terminator, i, freeing);
            }
        }
        retarget_phis(builder, self.exit, self.latch, freeing, |value| value);
        LLVMDisposeBuilder(builder);
    }
}

/// Whether a floating-point value carries from one iteration to the next other than as a running sum `s += e`: then
/// the loop cannot vectorise, and its maths runs one iteration at a time unless it is moved out. A loop without one
/// vectorises whole (libmvec's variants included), and a buffer would only add memory traffic.
unsafe fn carries_recurrence(header: LLVMBasicBlockRef, latch: LLVMBasicBlockRef) -> bool {
    let mut phi = LLVMGetFirstInstruction(header);
    while !phi.is_null() && !LLVMIsAPHINode(phi).is_null() {
        if LLVMGetTypeKind(LLVMTypeOf(phi)) == LLVMTypeKind::LLVMDoubleTypeKind && users(phi) != vec![incoming_from(phi, latch)] {
            return true;
        }
        phi = LLVMGetNextInstruction(phi);
    }
    false
}

/// Whether `value` follows from the counter and loop invariants through arithmetic (integer arithmetic and casts
/// too: O2 widens a Java `int` counter to 64 bits and truncates it back) and calls without memory effects.
unsafe fn counter_only(value: LLVMValueRef, counter: LLVMValueRef, in_loop: &impl Fn(LLVMValueRef) -> bool,
                       known: &mut HashMap<LLVMValueRef, bool>) -> bool {
    if value == counter || !in_loop(value) {
        return true;
    }
    if let Some(answer) = known.get(&value) {
        return *answer;
    }
    known.insert(value, false); // a cycle (a phi's) is not counter-only
    use LLVMOpcode::*;
    let plain = match LLVMGetInstructionOpcode(value) {
        LLVMFNeg | LLVMFAdd | LLVMFSub | LLVMFMul | LLVMFDiv | LLVMSIToFP | LLVMUIToFP | LLVMFPExt | LLVMFPTrunc
        | LLVMAdd | LLVMSub | LLVMMul | LLVMTrunc | LLVMZExt | LLVMSExt => true,
        LLVMCall => is_pure_call(value),
        _ => false,
    };
    let answer = plain && (0..LLVMGetNumOperands(value) as u32)
        .all(|i| counter_only(LLVMGetOperand(value, i), counter, in_loop, known));
    known.insert(value, answer);
    answer
}

/// Appends the in-loop instructions `value` is computed from (itself last) to `out`, operands first, once each.
unsafe fn order(value: LLVMValueRef, counter: LLVMValueRef, in_loop: &impl Fn(LLVMValueRef) -> bool,
                seen: &mut HashSet<LLVMValueRef>, out: &mut Vec<LLVMValueRef>) {
    if value == counter || !in_loop(value) || !seen.insert(value) {
        return;
    }
    for i in 0..LLVMGetNumOperands(value) as u32 {
        order(LLVMGetOperand(value, i), counter, in_loop, seen, out);
    }
    out.push(value);
}
