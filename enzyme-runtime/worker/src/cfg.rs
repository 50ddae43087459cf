//! Control-flow questions the worker's rewrites ask of a function through LLVM's C API, which has no loop or
//! dominator analyses: loops (retreating edges of a depth-first walk), their bodies, predecessors and users.

use std::collections::HashSet;

use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::LLVMIntPredicate;

/// Targets of retreating edges of a depth-first walk from the entry (every cycle of the CFG has one), each with
/// the sources of its retreating edges.
pub fn loop_headers(function: LLVMValueRef) -> Vec<(LLVMBasicBlockRef, Vec<LLVMBasicBlockRef>)> {
    // SAFETY: read-only walk over a live function's CFG.
    unsafe {
        let entry = LLVMGetEntryBasicBlock(function);
        let mut headers: Vec<(LLVMBasicBlockRef, Vec<LLVMBasicBlockRef>)> = Vec::new();
        let mut seen = HashSet::from([entry]);
        let mut on_path = HashSet::from([entry]);
        let mut stack = vec![(entry, 0u32)];
        while let Some((block, next)) = stack.last_mut() {
            let terminator = LLVMGetBasicBlockTerminator(*block);
            let count = if terminator.is_null() { 0 } else { LLVMGetNumSuccessors(terminator) };
            if *next == count {
                on_path.remove(block);
                stack.pop();
                continue;
            }
            let source = *block;
            let successor = LLVMGetSuccessor(terminator, *next);
            *next += 1;
            if on_path.contains(&successor) {
                match headers.iter_mut().find(|(header, _)| *header == successor) {
                    Some((_, latches)) => latches.push(source),
                    None => headers.push((successor, vec![source])),
                }
            } else if seen.insert(successor) {
                on_path.insert(successor);
                stack.push((successor, 0));
            }
        }
        headers
    }
}

pub fn successors(block: LLVMBasicBlockRef) -> Vec<LLVMBasicBlockRef> {
    // SAFETY: a live block's terminator.
    unsafe {
        let terminator = LLVMGetBasicBlockTerminator(block);
        if terminator.is_null() {
            return Vec::new();
        }
        (0..LLVMGetNumSuccessors(terminator)).map(|i| LLVMGetSuccessor(terminator, i)).collect()
    }
}

/// The blocks whose terminators branch to `block` (each once).
pub fn predecessors(block: LLVMBasicBlockRef) -> Vec<LLVMBasicBlockRef> {
    let mut found = Vec::new();
    // SAFETY: walks the use list of a live block's value.
    unsafe {
        let mut using = LLVMGetFirstUse(LLVMBasicBlockAsValue(block));
        while !using.is_null() {
            let user = LLVMGetUser(using);
            if !LLVMIsATerminatorInst(user).is_null() {
                let from = LLVMGetInstructionParent(user);
                if !found.contains(&from) {
                    found.push(from);
                }
            }
            using = LLVMGetNextUse(using);
        }
    }
    found
}

/// The header and every block that reaches a latch without passing the header.
pub fn loop_body(header: LLVMBasicBlockRef, latches: &[LLVMBasicBlockRef]) -> HashSet<LLVMBasicBlockRef> {
    let mut body = HashSet::from([header]);
    let mut work = latches.to_vec();
    while let Some(block) = work.pop() {
        if body.insert(block) {
            work.extend(predecessors(block));
        }
    }
    body
}

/// The `icmp eq`/`icmp ne` on which `block`'s conditional branch leaves for `exit`: how a counted loop's latch
/// tests its bound. `None` for any other terminator.
pub fn exit_test(block: LLVMBasicBlockRef, exit: LLVMBasicBlockRef) -> Option<LLVMValueRef> {
    // SAFETY: reads a live block's terminator; the condition is read only from a conditional branch.
    unsafe {
        let terminator = LLVMGetBasicBlockTerminator(block);
        if terminator.is_null() || LLVMIsABranchInst(terminator).is_null() || LLVMIsConditional(terminator) == 0 {
            return None;
        }
        let compare = LLVMIsAICmpInst(LLVMGetCondition(terminator));
        if compare.is_null() {
            return None;
        }
        let leaves_on = match LLVMGetICmpPredicate(compare) {
            LLVMIntPredicate::LLVMIntEQ => 0,
            LLVMIntPredicate::LLVMIntNE => 1,
            _ => return None,
        };
        (LLVMGetSuccessor(terminator, leaves_on) == exit).then_some(compare)
    }
}

pub fn users(value: LLVMValueRef) -> Vec<LLVMValueRef> {
    let mut all = Vec::new();
    // SAFETY: walks a live value's use list without changing it.
    unsafe {
        let mut using = LLVMGetFirstUse(value);
        while !using.is_null() {
            all.push(LLVMGetUser(using));
            using = LLVMGetNextUse(using);
        }
    }
    all
}

