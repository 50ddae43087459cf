package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.function.Supplier;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The IR of one strip-mined loop ({@link LoopShapes}): every entry from outside goes to an entry block that polls
 * the interrupt flag and refills a budget of {@link LoopShape#chunk} iterations, then jumps to the header (or, for a
 * versioned loop, to the dispatch that chooses a copy: {@link LoopVersion}). The header's exit test stays in the
 * loop only while the condition holds and the budget lasts: one exit, which LLVM can vectorise. When the budget
 * ran out but the condition holds, the loop goes back to the entry block: poll, refill, header again.
 *
 * <p>Measured on Rosenbrock n=1000 (fast math): the loop vectorises once the poll is out of the iteration; with
 * the per-iteration poll O3 kept it scalar, and contraction chained two FMAs on the sum (slower than strict).
 *
 * <p>A {@link LoopShape#plainWhenShort} loop is entered from outside through a gate instead, which sends a trip
 * too short to pay for the chunks to the checked copy (polling every iteration) and the others to the entry block.
 */
final class ChunkedLoop {

    private final IrBuilder ir;
    private final ExitPaths exits;
    private final LoopShape shape;
    private final LLVMBasicBlockRef entry;
    private final LLVMBasicBlockRef gate;
    private final LLVMValueRef budget;
    private LLVMBasicBlockRef dispatch;

    ChunkedLoop(IrModule module, FrameSlots slots, ExitPaths exits, LLVMValueRef function, LoopShape shape) {
        this.ir = module.ir();
        this.exits = exits;
        this.shape = shape;
        // The worker reads these names: its stencil pass (stencil.rs) points each gate at the checked copy.
        this.entry = ir.appendBlock(function, "chunk" + shape.header());
        this.gate = shape.plainWhenShort() ? ir.appendBlock(function, "gate" + shape.header()) : entry;
        this.budget = slots.newInitialisedSlot(ir.i32(), ir.zero(ir.i32()), "chunk" + shape.header() + ".budget");
    }

    LoopShape shape() {
        return shape;
    }

    /** Where jumps into the loop from outside go. */
    LLVMBasicBlockRef outsideEntry() {
        return gate;
    }

    /** The block that polls and starts a chunk. */
    LLVMBasicBlockRef entry() {
        return entry;
    }

    /**
     * The gate of a {@link LoopShape#plainWhenShort} loop: to the chunks if {@code longTrip} (computed in the gate)
     * holds, else to {@code plain}.
     */
    void emitGate(Supplier<LLVMValueRef> longTrip, LLVMBasicBlockRef plain) {
        ir.positionAtEnd(gate);
        ir.condBr(longTrip.get(), entry, plain);
    }

    /**
     * Emits the entry block, once: poll, refill the budget. Returns true the first time, with the builder at the end
     * of the dispatch block, which the caller ends with the jump to the header.
     */
    boolean emitEntry() {
        if (dispatch != null) {
            return false;
        }
        ir.positionAtEnd(entry);
        exits.pollInterrupt();
        ir.store(ir.constInt(ir.i32(), shape.chunk()), budget);
        dispatch = ir.currentBlock();
        return true;
    }

    LLVMBasicBlockRef dispatch() {
        return dispatch;
    }

    /**
     * The header's exit test: {@code stay} is the loop condition. Stays while it holds and the budget lasts; leaves to
     * {@code exit} when it fails, to the entry block (poll, new chunk) when only the budget ran out. The builder
     * ends in the loop body, a block named {@code prefix} and the test's offset: "u" in a versioned loop's
     * unchecked copy, whose blocks all start so (the worker polls no reverse loop made of them alone: the
     * budget bounds it, and the reverse of the chunk loop around it polls).
     */
    void exitTest(LLVMValueRef function, LLVMValueRef stay, LLVMBasicBlockRef exit, String prefix) {
        LLVMValueRef left = ir.load(ir.i32(), budget, "budget");
        LLVMValueRef go = ir.and(stay, ir.icmp(LLVMIntNE, left, ir.zero(ir.i32())));
        LLVMBasicBlockRef body = ir.appendBlock(function, prefix + shape.branchBci() + ".next");
        LLVMBasicBlockRef out = ir.appendBlock(function, "b" + shape.branchBci() + ".out");
        ir.condBr(go, body, out);
        ir.positionAtEnd(out);
        ir.condBr(stay, entry, exit);
        ir.positionAtEnd(body);
        ir.store(ir.sub(left, ir.constInt(ir.i32(), 1)), budget);
    }
}
