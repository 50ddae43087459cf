//! The interrupt poll of the loops fission adds (the map loop, the precomputing loop): each runs in chunks of at most
//! [`CHUNK`] iterations, and a chunk loop around it polls the flag once per chunk with a copy of the poll of the loop
//! it came from. Without it a 10^8-step `--fast-math` gradient went on for seconds after an interrupt: the
//! precomputing loop runs every step before the first polled iteration, and the map loop and both their reverses
//! poll nowhere (docs/DERIVATIVES.md: an interrupt stops a reverse pass). A poll inside the loop itself would keep it
//! scalar (a second exit); the inner loop keeps one block, one exit. The reverse of the chunk loop gets its poll from
//! reverse_polls, which leaves the inner loop's reverse alone ([`super::unpolled`]). A loop that never polled (the
//! worker's own tests' hand-written IR) gets no chunk loop.

use std::collections::HashSet;

use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::LLVMIntPredicate;

use crate::reverse_polls::INTERRUPT_FLAG;

/// Iterations per chunk: the frontend's chunk (jenzyme.runtime.lower.LoopShapes), a few µs of maths per poll.
const CHUNK: u64 = 4096;
/// The chunk loop's blocks: `fission.` like the loops it holds (precompute leaves them alone), but polled in reverse.
pub const CHUNK_PREFIX: &str = "fission.chunk";

/// The loop's interrupt poll, `call f(..., icmp ne (load volatile @flag), 0, ...)`, if it has one whose other
/// operands are loop invariants (the frontend's `jenzyme.fail_if(status, raised)` after O2).
pub(super) unsafe fn interrupt_poll(body: &HashSet<LLVMBasicBlockRef>) -> Option<LLVMValueRef> {
    let in_loop = |v: LLVMValueRef| !LLVMIsAInstruction(v).is_null() && body.contains(&LLVMGetInstructionParent(v));
    for block in body {
        let mut inst = LLVMGetFirstInstruction(*block);
        while !inst.is_null() {
            if !LLVMIsACallInst(inst).is_null() {
                let operands: Vec<LLVMValueRef> = (0..LLVMGetNumArgOperands(inst)).map(|i| LLVMGetOperand(inst, i)).collect();
                let raised: Vec<&LLVMValueRef> = operands.iter().filter(|o| reads_the_flag(**o)).collect();
                if raised.len() == 1 && operands.iter().all(|o| reads_the_flag(*o) || !in_loop(*o)) {
                    return Some(inst);
                }
            }
            inst = LLVMGetNextInstruction(inst);
        }
    }
    None
}

/// Whether `value` is `icmp ne (load volatile @INTERRUPT_FLAG), 0`.
unsafe fn reads_the_flag(value: LLVMValueRef) -> bool {
    let compare = LLVMIsAICmpInst(value);
    if compare.is_null() || LLVMGetICmpPredicate(compare) != LLVMIntPredicate::LLVMIntNE {
        return false;
    }
    let (load, zero) = (LLVMIsALoadInst(LLVMGetOperand(compare, 0)), LLVMGetOperand(compare, 1));
    if load.is_null() || LLVMGetVolatile(load) == 0 || LLVMIsAConstantInt(zero).is_null() || LLVMConstIntGetZExtValue(zero) != 0 {
        return false;
    }
    let flag = LLVMIsAGlobalVariable(LLVMGetOperand(load, 0));
    !flag.is_null() && crate::llvm::name_of(flag) == INTERRUPT_FLAG
}

/// A chunk loop around an inner loop: `header` polls and computes the chunk `[base, end)`, the inner loop counts from
/// `base` and leaves to `latch` once its counter reaches `end`, and `latch` goes on with the next chunk or leaves.
pub(super) struct Chunks {
    pub header: LLVMBasicBlockRef,
    pub latch: LLVMBasicBlockRef,
    pub base: LLVMValueRef,
    pub end: LLVMValueRef,
    entered_from: LLVMBasicBlockRef,
}

impl Chunks {
    /// Builds the chunk loop's blocks before `inner` (entered from `from`, which the caller branches from to
    /// `header`), leaving to `exit` after the chunk that reaches `count` (i64, at least 1). `poll` is copied.
    pub(super) unsafe fn around(context: LLVMContextRef, builder: LLVMBuilderRef, poll: LLVMValueRef, from: LLVMBasicBlockRef,
                                inner: LLVMBasicBlockRef, exit: LLVMBasicBlockRef, count: LLVMValueRef) -> Chunks {
        let i64_type = LLVMTypeOf(count);
        let header = LLVMInsertBasicBlockInContext(context, inner, c"fission.chunk".as_ptr());
        let latch = LLVMInsertBasicBlockInContext(context, exit, c"fission.chunk.next".as_ptr());
        LLVMPositionBuilderAtEnd(builder, header);
        let base = LLVMBuildPhi(builder, i64_type, c"fission.chunk.base".as_ptr());
        copy_poll(builder, poll);
        let full = LLVMBuildNUWAdd(builder, base, LLVMConstInt(i64_type, CHUNK, 0), c"".as_ptr());
        let short = LLVMBuildICmp(builder, LLVMIntPredicate::LLVMIntULT, count, full, c"".as_ptr());
        let end = LLVMBuildSelect(builder, short, count, full, c"fission.chunk.end".as_ptr());
        LLVMBuildBr(builder, inner);
        LLVMPositionBuilderAtEnd(builder, latch);
        let last = LLVMBuildICmp(builder, LLVMIntPredicate::LLVMIntEQ, end, count, c"".as_ptr());
        LLVMBuildCondBr(builder, last, exit, header);
        let chunks = Chunks { header, latch, base, end, entered_from: from };
        chunks.incoming(base, LLVMConstInt(i64_type, 0, 0), end);
        chunks
    }

    /// A value the inner loop carries from chunk to chunk: `initial` on entry, then `next` from the chunk before.
    pub(super) unsafe fn carried(&self, builder: LLVMBuilderRef, initial: LLVMValueRef, next: LLVMValueRef) -> LLVMValueRef {
        LLVMPositionBuilderBefore(builder, LLVMGetFirstInstruction(self.header));
        let phi = LLVMBuildPhi(builder, LLVMTypeOf(initial), c"fission.chunk.carried".as_ptr());
        self.incoming(phi, initial, next);
        phi
    }

    unsafe fn incoming(&self, phi: LLVMValueRef, initial: LLVMValueRef, next: LLVMValueRef) {
        let (mut values, mut blocks) = ([initial, next], [self.entered_from, self.latch]);
        LLVMAddIncoming(phi, values.as_mut_ptr(), blocks.as_mut_ptr(), 2);
    }
}

/// The poll's flag load, compare and call, copied at the builder.
unsafe fn copy_poll(builder: LLVMBuilderRef, poll: LLVMValueRef) {
    let copy = LLVMInstructionClone(poll);
    for i in 0..LLVMGetNumArgOperands(poll) {
        let operand = LLVMGetOperand(poll, i);
        if reads_the_flag(operand) {
            let load = LLVMInstructionClone(LLVMGetOperand(operand, 0));
            LLVMInsertIntoBuilder(builder, load);
            let compare = LLVMInstructionClone(operand);
            LLVMInsertIntoBuilder(builder, compare);
            LLVMSetOperand(compare, 0, load);
            LLVMSetOperand(copy, i, compare);
        }
    }
    LLVMInsertIntoBuilder(builder, copy);
}
