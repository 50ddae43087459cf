package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.llvm.IrBuilder;
import jenzyme.runtime.llvm.Metadata;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMMetadataRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * How a lowered function leaves: every return stores its value and jumps to one exit block, which frees the arrays
 * the call allocated and returns; every Java exception writes the status block (see {@link StatusCode}) and jumps to a
 * fail block that returns zero through the same exit. In a module whose failures unwind
 * ({@link IrModule#unwindsFailures}) the fail block first unwinds to the call's guard (that frees what the call
 * allocated), and a check inside a loop is a call of {@link UnwindingFailures}' check instead ({@link #insideLoop}).
 * Error branches are weighted as cold.
 */
final class ExitPaths {

    private final IrModule module;
    private final IrBuilder ir;
    private final LLVMValueRef function;
    private final LLVMValueRef status;
    private final LLVMTypeRef returnType;
    private final LLVMValueRef returnSlot;
    private final LLVMBasicBlockRef exitBlock;
    private final List<LLVMValueRef> allocationSlots = new ArrayList<>();
    private final List<LLVMValueRef[]> matrixAllocations = new ArrayList<>();
    /** The cells of loop allocation sites Enzyme found constant: freed out of its sight ({@link #free}). */
    private final java.util.Set<LLVMValueRef> untracked = new java.util.HashSet<>();
    /** What every way out emits first: the copy-out of the JVM's objects ({@link ParameterObjects}). */
    private final List<Runnable> beforeLeaving = new ArrayList<>();
    private LLVMBasicBlockRef failBlock;
    private int site;
    private boolean insideLoop;
    /** Set when the function hands a new array to its caller: the exit copies it before it frees the call's arrays. */
    private ArrayHandOver handOver;

    /** @param returnType the LLVM type the function returns, {@code null} for void */
    ExitPaths(IrModule module, LLVMValueRef function, LLVMValueRef status, LLVMTypeRef returnType, FrameSlots slots) {
        this.module = module;
        this.ir = module.ir();
        this.function = function;
        this.status = status;
        this.returnType = returnType;
        this.returnSlot = returnType == null ? null : slots.newInitialisedSlot(returnType, ir.zero(returnType), "retval");
        this.exitBlock = ir.appendBlock(function, "exit");
    }

    /** Returns {@code value} (null for void), already converted to the boundary type. */
    void returnValue(LLVMValueRef value) {
        if (returnSlot != null) {
            ir.store(value, returnSlot);
        }
        ir.br(exitBlock);
    }

    /** The {@link FailureSites} id of the line being lowered, recorded by the failures emitted from now on. */
    void atSite(int site) {
        this.site = site;
    }

    /**
     * Whether the code lowered from now on is inside a loop. Where failures unwind, a check inside a loop is a call
     * of {@link UnwindingFailures}' check, so no reverse loop gets a second entry; outside loops it stays a branch
     * to the fail block, which unwinds too: a branch lets LLVM merge the checks of straight-line code (every
     * {@code p[3]} after {@code p[6]}), and as calls they kept a 2000-line method's loads apart, so the worker's
     * outlining passed element pointers between its pieces, and Enzyme's gradient came out 19% off.
     */
    void insideLoop(boolean inside) {
        this.insideLoop = inside;
    }

    /** Continues in a new block if {@code failed} is false; otherwise records {@code code} and leaves. */
    void failIf(LLVMValueRef failed, StatusCode code, LLVMValueRef detail1, LLVMValueRef detail2) {
        if (module.unwindsFailures() && insideLoop) {
            Callee check = module.failureCheck();
            LLVMValueRef zero = ir.zero(ir.i32());
            ir.inactiveForAd(ir.call(check.type(), check.function(), status, failed, ir.constInt(ir.i32(), code.code()),
                    detail1 == null ? zero : detail1, detail2 == null ? zero : detail2, ir.constInt(ir.i32(), site)));
            return;
        }
        LLVMBasicBlockRef raise = ir.appendBlock(function, "raise." + code.name().toLowerCase());
        LLVMBasicBlockRef ok = ir.appendBlock(function, "ok");
        coldBranch(failed, raise, ok);
        ir.positionAtEnd(raise);
        module.tbaa().attach(ir.store(ir.constInt(ir.i32(), code.code()), status), JavaType.INT);
        if (detail1 != null) {
            module.tbaa().attach(ir.store(detail1, statusWord(1)), JavaType.INT);
        }
        if (detail2 != null) {
            module.tbaa().attach(ir.store(detail2, statusWord(2)), JavaType.INT);
        }
        if (site != 0) {
            module.tbaa().attach(ir.store(ir.constInt(ir.i32(), site), statusWord(StatusCode.SITE_WORD)), JavaType.INT);
        }
        ir.br(failBlock());
        ir.positionAtEnd(ok);
    }

    /** {@link #failIf} with a third detail, stored at {@link StatusCode#WIDE_WORDS}. */
    void failIfDetails(LLVMValueRef failed, StatusCode code, LLVMValueRef detail1, LLVMValueRef detail2,
                       LLVMValueRef detail3) {
        LLVMBasicBlockRef raise = ir.appendBlock(function, "raise.details");
        LLVMBasicBlockRef ok = ir.appendBlock(function, "ok.details");
        coldBranch(failed, raise, ok);
        ir.positionAtEnd(raise);
        module.tbaa().attach(ir.store(detail3, statusWord(StatusCode.WIDE_WORDS)), JavaType.INT);
        failIf(ir.constInt(ir.i1(), 1), code, detail1, detail2);
        ir.br(ok); // never taken: the branch above always fails
        ir.positionAtEnd(ok);
    }

    /** Records {@code code} with {@code detail1} and leaves: the block ends here (a {@code throw}). */
    void raise(StatusCode code, LLVMValueRef detail1) {
        module.tbaa().attach(ir.store(ir.constInt(ir.i32(), code.code()), status), JavaType.INT);
        module.tbaa().attach(ir.store(detail1, statusWord(1)), JavaType.INT);
        if (site != 0) {
            module.tbaa().attach(ir.store(ir.constInt(ir.i32(), site), statusWord(StatusCode.SITE_WORD)), JavaType.INT);
        }
        ir.br(failBlock());
    }

    /**
     * Records a throw whose message joins {@code values} ({@link JoinedMessage}; {@code kinds} their descriptor
     * letters, stored by {@link ThrownValues}) and leaves. Only the throw path stores them, into the status block,
     * which is inactive: the derivative does not see them.
     */
    void raiseJoined(LLVMValueRef thrownId, String kinds, List<LLVMValueRef> values) {
        ThrownValues.store(module, status, kinds, values);
        raise(StatusCode.THROWN, thrownId);
    }

    /**
     * {@link #failIf} with two 64-bit details (i64 values) stored as four i32 words from
     * {@link StatusCode#WIDE_WORDS} on, low word first. Stored as i32 halves, like every other status word: an i64
     * store made from a double's bits clashed with the status block's integer type in Enzyme's type analysis (the
     * worker exited).
     */
    void failIfWide(LLVMValueRef failed, StatusCode code, LLVMValueRef detail1, LLVMValueRef wide1,
                    LLVMValueRef wide2) {
        LLVMBasicBlockRef raise = ir.appendBlock(function, "raise.wide");
        LLVMBasicBlockRef ok = ir.appendBlock(function, "ok.wide");
        coldBranch(failed, raise, ok);
        ir.positionAtEnd(raise);
        int word = StatusCode.WIDE_WORDS;
        for (LLVMValueRef wide : new LLVMValueRef[] {wide1, wide2}) {
            LLVMValueRef low = ir.trunc(wide, ir.i32());
            LLVMValueRef high = ir.trunc(ir.lshr(wide, ir.constInt(ir.i64(), 32)), ir.i32());
            module.tbaa().attach(ir.store(low, statusWord(word++)), JavaType.INT);
            module.tbaa().attach(ir.store(high, statusWord(word++)), JavaType.INT);
        }
        failIf(ir.constInt(ir.i1(), 1), code, detail1, null);
        ir.br(ok); // never taken: the branch above always fails
        ir.positionAtEnd(ok);
    }

    /** What {@link #beforeCall} changed in the status block, for {@link #afterCall} to restore. */
    record CallFrame(LLVMValueRef depth, LLVMValueRef callerWord, LLVMValueRef savedCaller) {}

    /**
     * Before a call to another lowered method: raises {@link StatusCode#STACK_OVERFLOW} at the depth limit, else
     * counts the call in the status block. When failures unwind ({@link IrModule#unwindsFailures}) the callee's
     * failure never comes back here, so the line of the call is recorded now as this caller's frame (see
     * {@link StatusCode#CALLER_WORD}), and the word's old value is restored after the call.
     */
    CallFrame beforeCall() {
        LLVMValueRef depthWord = statusWord(3);
        LLVMValueRef depth = ir.load(ir.i32(), depthWord, "call.depth");
        module.tbaa().attach(depth, JavaType.INT);
        failIf(ir.icmp(LLVMIntSGE, depth, ir.constInt(ir.i32(), StatusCode.MAX_CALL_DEPTH)), StatusCode.STACK_OVERFLOW,
                depth, null);
        module.tbaa().attach(ir.store(ir.add(depth, ir.constInt(ir.i32(), 1)), statusWord(3)), JavaType.INT);
        if (!module.unwindsFailures()) {
            return new CallFrame(depth, null, null);
        }
        LLVMValueRef word = callerWord(depth);
        LLVMValueRef saved = ir.load(ir.i32(), word, "caller.saved");
        module.tbaa().attach(saved, JavaType.INT);
        module.tbaa().attach(ir.store(ir.constInt(ir.i32(), site), word), JavaType.INT);
        return new CallFrame(depth, word, saved);
    }

    /**
     * After a call to another lowered method: restores the call depth, then leaves at once if it failed, recording
     * the line of the call as this caller's frame (see {@link StatusCode#CALLER_WORD}) so that the Java exception
     * shows every compiled frame, not only the innermost. When failures unwind, the callee came back without one.
     */
    void afterCall(CallFrame frame) {
        module.tbaa().attach(ir.store(frame.depth(), statusWord(3)), JavaType.INT);
        if (frame.callerWord() != null) {
            module.tbaa().attach(ir.store(frame.savedCaller(), frame.callerWord()), JavaType.INT);
            return;
        }
        LLVMValueRef code = ir.load(ir.i32(), status, "callee.status");
        module.tbaa().attach(code, JavaType.INT);
        LLVMBasicBlockRef ok = ir.appendBlock(function, "ok");
        if (site == 0) {
            coldBranch(ir.icmp(LLVMIntNE, code, ir.zero(ir.i32())), failBlock(), ok);
        } else {
            LLVMBasicBlockRef failed = ir.appendBlock(function, "callee.failed");
            coldBranch(ir.icmp(LLVMIntNE, code, ir.zero(ir.i32())), failed, ok);
            ir.positionAtEnd(failed);
            module.tbaa().attach(ir.store(ir.constInt(ir.i32(), site), callerWord(frame.depth())), JavaType.INT);
            ir.br(failBlock());
        }
        ir.positionAtEnd(ok);
    }

    /** The status word of the caller at call depth {@code depth}: callers deeper than the last word share it. */
    private LLVMValueRef callerWord(LLVMValueRef depth) {
        LLVMValueRef last = ir.constInt(ir.i32(), StatusCode.CALLER_WORDS - 1);
        LLVMValueRef clamped = ir.select(ir.icmp(LLVMIntULT, depth, last), depth, last);
        return ir.inBoundsGep(ir.i32(), status, ir.add(ir.sext(clamped, ir.i64()),
                ir.constInt(ir.i64(), StatusCode.CALLER_WORD)));
    }

    /**
     * At a loop header (the target of a backward jump) or before a self-call: leave with
     * {@link StatusCode#INTERRUPTED} if the interrupt flag is raised. Always in a loop (or a recursion).
     */
    void pollInterrupt() {
        boolean outside = !insideLoop;
        insideLoop = true;
        LLVMValueRef flag = ir.load(ir.i32(), module.interruptFlag(), "interrupt");
        // volatile: the flag is written by another thread, and the poll must not be hoisted out of the loop.
        ir.setVolatile(flag);
        ir.setAlignment(flag, 4);
        failIf(ir.icmp(LLVMIntNE, flag, ir.zero(ir.i32())), StatusCode.INTERRUPTED, null, null);
        insideLoop = !outside;
    }

    /** Remembers an array allocated by this call so that every exit frees it. Returns its slot (holds null before). */
    LLVMValueRef newAllocationSlot(FrameSlots slots) {
        LLVMValueRef slot = slots.newInitialisedSlot(ir.ptr(), ir.zero(ir.ptr()), "new.array");
        allocationSlots.add(slot);
        return slot;
    }

    /**
     * {@link #newAllocationSlot} for an array allocated inside a loop at the module's allocation site {@code site}:
     * the cell is named by the site ({@link ConstantLoopArrays#CELL}), and when the site holds no derivative
     * ({@link IrModule#isConstantLoopArray}) its arrays are freed out of Enzyme's sight.
     */
    LLVMValueRef newLoopAllocationSlot(FrameSlots slots, int site) {
        LLVMValueRef slot = slots.newInitialisedSlot(ir.ptr(), ir.zero(ir.ptr()), ConstantLoopArrays.CELL + site);
        allocationSlots.add(slot);
        if (module.isConstantLoopArray(site)) {
            untracked.add(slot);
        }
        return slot;
    }

    /** Frees the array {@code slot} holds (null: nothing), through Enzyme's sight unless the slot is untracked. */
    void free(LLVMValueRef slot, String name) {
        LLVMValueRef array = ir.load(ir.ptr(), slot, name);
        if (untracked.contains(slot)) {
            module.freeUntracked(array);
        } else {
            ir.call(module.free().type(), module.free().function(), array);
        }
    }

    /**
     * Remembers a two-dimensional array allocated by this call: its row table, row-length table and row count
     * slots (null, null and 0 before), so that every exit frees each row and both tables.
     */
    LLVMValueRef[] newMatrixAllocation(FrameSlots slots) {
        return newMatrixAllocation(slots, "new.rows");
    }

    /**
     * {@link #newMatrixAllocation} for a matrix allocated inside a loop at the module's allocation site {@code site},
     * as {@link #newLoopAllocationSlot}: its row table's cell named by the site, its rows and table freed out of
     * Enzyme's sight when the site holds no derivative.
     */
    LLVMValueRef[] newLoopMatrixAllocation(FrameSlots slots, int site) {
        LLVMValueRef[] cells = newMatrixAllocation(slots, ConstantLoopArrays.ROWS_CELL + site);
        if (module.isConstantLoopArray(site)) {
            untracked.add(cells[0]);
        }
        return cells;
    }

    private LLVMValueRef[] newMatrixAllocation(FrameSlots slots, String tableName) {
        LLVMValueRef[] cells = {slots.newInitialisedSlot(ir.ptr(), ir.zero(ir.ptr()), tableName),
                slots.newInitialisedSlot(ir.ptr(), ir.zero(ir.ptr()), "new.rowlens"),
                slots.newInitialisedSlot(ir.i32(), ir.zero(ir.i32()), "new.count"),
                slots.newInitialisedSlot(ir.i32(), ir.zero(ir.i32()), "free.i")};
        matrixAllocations.add(cells);
        return cells;
    }

    /** The function returns a new array through {@code handOver} (its return type is the (ptr, i32) struct). */
    void handOverResult(ArrayHandOver handOver) {
        this.handOver = handOver;
    }

    /**
     * Emits {@code copyOut} wherever the function leaves: in the exit block, and in the fail block before it unwinds
     * (where failures unwind, the exit is not reached after one). Register before lowering the body.
     */
    void beforeLeaving(Runnable copyOut) {
        beforeLeaving.add(copyOut);
    }

    /** Emits the exit block; call once the whole method is lowered, so it frees every allocation site. */
    void finish() {
        ir.moveToEnd(function, exitBlock); // reads top to bottom in dumps
        ir.positionAtEnd(exitBlock);
        beforeLeaving.forEach(Runnable::run);
        if (handOver != null) {
            handOver.copyResult(function, returnSlot);
        }
        for (LLVMValueRef slot : allocationSlots) {
            free(slot, "array.to.free");
        }
        for (LLVMValueRef[] cells : matrixAllocations) {
            freeMatrix(cells);
        }
        if (returnSlot == null) {
            ir.retVoid();
        } else {
            ir.ret(ir.load(returnType, returnSlot, "result"));
        }
    }

    /**
     * Frees each row of a table (the loop ends at once when it was never allocated: count 0), then the tables, and
     * marks the slots empty (count 0), so freeing again — at the exit, after a loop's last iteration — is harmless.
     * The row-length table goes through {@link IrModule#freeRowLengths}; the rows and the table of a constant loop
     * matrix ({@link #newLoopMatrixAllocation}) through {@link IrModule#freeUntracked}.
     */
    void freeMatrix(LLVMValueRef[] cells) {
        boolean outOfSight = untracked.contains(cells[0]);
        java.util.function.Consumer<LLVMValueRef> free = memory -> {
            if (outOfSight) {
                module.freeUntracked(memory);
            } else {
                ir.call(module.free().type(), module.free().function(), memory);
            }
        };
        LLVMValueRef table = ir.load(ir.ptr(), cells[0], "rows.to.free");
        LLVMValueRef count = ir.load(ir.i32(), cells[2], "rows.count");
        CountedLoop.emit(ir, cells[3], count, "free.rows", i -> free.accept(ir.load(ir.ptr(),
                ir.inBoundsGep(ir.ptr(), table, ir.zext(i, ir.i64())), "row.to.free")));
        free.accept(table);
        module.freeRowLengths(ir.load(ir.ptr(), cells[1], "rowlens.to.free"));
        ir.store(ir.zero(ir.i32()), cells[2]);
        ir.store(ir.zero(ir.ptr()), cells[0]);
        ir.store(ir.zero(ir.ptr()), cells[1]);
    }

    private LLVMBasicBlockRef failBlock() {
        if (failBlock == null) {
            LLVMBasicBlockRef resume = ir.currentBlock();
            failBlock = ir.appendBlock(function, "fail");
            ir.positionAtEnd(failBlock);
            if (module.unwindsFailures()) {
                beforeLeaving.forEach(Runnable::run);
                // Never returns; the path still ends in the exit as Enzyme must see it: it deletes a block ending in
                // unreachable and folds the branch that led there (the checks vanished, session 5).
                Callee unwind = module.failUnwind();
                ir.inactiveForAd(ir.call(unwind.type(), unwind.function(), status));
            }
            if (returnSlot != null) {
                ir.store(ir.zero(returnType), returnSlot);
            }
            ir.br(exitBlock);
            ir.positionAtEnd(resume);
        }
        return failBlock;
    }

    private LLVMValueRef statusWord(int index) {
        return ir.inBoundsGep(ir.i32(), status, ir.constInt(ir.i64(), index));
    }

    private void coldBranch(LLVMValueRef condition, LLVMBasicBlockRef unlikely, LLVMBasicBlockRef likely) {
        LLVMValueRef branch = ir.condBr(condition, unlikely, likely);
        Metadata metadata = new Metadata(ir.context());
        LLVMMetadataRef weights = metadata.node(metadata.string("branch_weights"),
                metadata.constant(ir.i32(), 1), metadata.constant(ir.i32(), 1 << 20));
        metadata.attach(branch, metadata.kind("prof"), metadata.asValue(weights));
    }
}
