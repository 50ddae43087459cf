package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.List;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * A new array handed from a compiled callee to its caller ({@code double[] step(double[] y, double h)}): the
 * callee returns a copy of its result as (pointer, length), made at its exit before it frees every array of the call;
 * the caller remembers it in an allocation cell of its own, which frees it at the caller's exit, or — for a call
 * inside a loop — when the call runs again (an outer variable assigned it keeps a copy: {@link CarriedArrays}).
 * A two-dimensional result ({@code double[][] jacobian(double[] y)}) is handed over the same way, as (row table,
 * row-length table, row count), every row copied: the caller owns it like a {@code new double[n][m]} of its own
 * ({@link ExitPaths#newMatrixAllocation}), and rows the callee's result shared ({@code a[0] == a[1]}) become two.
 * A record holding arrays returned by a method other than its constructor ({@code State step(State s, double h)})
 * is handed over the same way, each array component copied ({@link #adoptRecord}); a constructor keeps the arrays
 * it is given, as on the JVM, and may not create any ({@link LoweredFunction#handsOverArrays}).
 *
 * <p>Why a copy, rather than handing over the callee's own array and freeing the others: that needs a run-time
 * test per array at the exit (is it the result?), and such conditional frees gave wrong reverse gradients (branch
 * lang-ownership-wip, before the worker's fix of nested-loop tapes, and not tried since); the copy is one pass over
 * the result. A callee returning one of its parameters is no such case: it hands back the caller's own array, not
 * copied ({@link ReturnedArrays}).
 */
final class ArrayHandOver {

    private final IrModule module;
    private final IrBuilder ir;
    private final Shape resultType;

    /** The counters of the copy loops: elements, and the rows of a two-dimensional result. */
    private final LLVMValueRef counter;
    private final LLVMValueRef rowCounter;

    /** @param resultType the callee's result type, {@code double[]}, {@code int[][]}, a record holding arrays */
    ArrayHandOver(IrModule module, Shape resultType, FrameSlots slots) {
        this.module = module;
        this.ir = module.ir();
        this.resultType = resultType;
        this.counter = slots.newInitialisedSlot(ir.i32(), ir.zero(ir.i32()), "handover.i");
        this.rowCounter = resultType instanceof JavaType type && type.isMatrix()
                ? slots.newInitialisedSlot(ir.i32(), ir.zero(ir.i32()), "handover.row") : null;
    }

    /** {@code return a;}: the struct the function returns, (pointer, length) or (rows, row lengths, count). */
    LLVMValueRef result(JValue array) {
        JavaType arrayType = (JavaType) resultType;
        List<LLVMValueRef> leaves = array.isMatrix() ? List.of(array.value(), array.rowLengths(), array.length())
                : List.of(array.value(), array.length());
        LLVMValueRef struct = ir.undef(module.arrayResultType(arrayType));
        for (int i = 0; i < leaves.size(); i++) {
            struct = ir.insertValue(struct, leaves.get(i), i);
        }
        return struct;
    }

    /**
     * At the callee's exit block, before it frees every allocation of the call: the result copied into a new array,
     * which the caller owns. After a failure the result slot holds (null, 0) and the copy is an empty array, which
     * the caller frees like any other.
     *
     * <p>Why no branch around the copy for the failure case: the returned pointer would then be a phi of null and
     * the fresh array, and Enzyme, which allocates this array's shadow only in the reverse sweep (the forward sweep
     * never writes it), cached that phi's shadow as null in the forward sweep and read through it in the reverse
     * sweep: a SIGSEGV in a caller's loop (QA6 R1, {@code LoopArrayLifetimeTest}).
     */
    void copyResult(LLVMValueRef function, LLVMValueRef resultSlot) {
        if (resultType instanceof RecordShape record) {
            copyArrayComponents(function, resultSlot, record);
            return;
        }
        JavaType arrayType = (JavaType) resultType;
        LLVMValueRef result = ir.load(module.arrayResultType(arrayType), resultSlot, "result");
        if (!arrayType.isMatrix()) {
            LLVMValueRef fresh = copy(function, JValue.array(ir.extractValue(result, 0), ir.extractValue(result, 1),
                    arrayType));
            ir.store(ir.insertValue(result, fresh, 0), resultSlot);
            return;
        }
        LLVMValueRef rows = ir.extractValue(result, 0);
        LLVMValueRef lengths = ir.extractValue(result, 1);
        LLVMValueRef count = ir.extractValue(result, 2);
        LLVMValueRef table = allocate(function, count, 8);
        LLVMValueRef freshLengths = allocate(function, count, 4);
        // Without either table no row is copied, and the caller frees no row (its count is 0).
        LLVMValueRef copied = ir.select(ir.or(ir.icmp(LLVMIntEQ, table, ir.zero(ir.ptr())),
                ir.icmp(LLVMIntEQ, freshLengths, ir.zero(ir.ptr()))), ir.zero(ir.i32()), count);
        CountedLoop.emit(ir, rowCounter, copied, "handover.rows", r -> {
            LLVMValueRef wide = ir.zext(r, ir.i64());
            LLVMValueRef row = ir.load(ir.ptr(), ir.inBoundsGep(ir.ptr(), rows, wide), "row");
            module.tbaa().attach(row, arrayType);
            LLVMValueRef length = ir.load(ir.i32(), ir.inBoundsGep(ir.i32(), lengths, wide), "row.len");
            module.tbaa().attach(length, JavaType.INT);
            LLVMValueRef fresh = copy(function, JValue.array(row, length, arrayType.row()));
            module.tbaa().attach(ir.store(fresh, ir.inBoundsGep(ir.ptr(), table, wide)), arrayType);
            module.tbaa().attach(ir.store(length, ir.inBoundsGep(ir.i32(), freshLengths, wide)), JavaType.INT);
        });
        LLVMValueRef handed = ir.insertValue(ir.insertValue(ir.insertValue(result, table, 0), freshLengths, 1),
                copied, 2);
        ir.store(handed, resultSlot);
    }

    /**
     * A record's result, a struct of its leaves ((pointer, length) for each array): each array replaced by a copy.
     * Records hold no two-dimensional arrays ({@link ClassLibrary}).
     */
    private void copyArrayComponents(LLVMValueRef function, LLVMValueRef resultSlot, RecordShape record) {
        LLVMValueRef result = ir.load(module.boundaryType(record), resultSlot, "result");
        int index = 0;
        for (JavaType leaf : record.leaves()) {
            if (leaf.isArray()) {
                LLVMValueRef fresh = copy(function, JValue.array(ir.extractValue(result, index),
                        ir.extractValue(result, index + 1), leaf));
                result = ir.insertValue(result, fresh, index);
            }
            index += leaf.llvmTypes().size();
        }
        ir.store(result, resultSlot);
    }

    /** A new copy of the one-dimensional {@code array}; nothing is copied when malloc failed. */
    private LLVMValueRef copy(LLVMValueRef function, JValue array) {
        JavaType element = ArrayOps.elementOf(array.arrayType());
        LLVMValueRef fresh = allocate(function, array.length(), ArrayOps.byteSize(element));
        LLVMValueRef copied = ir.select(ir.icmp(LLVMIntEQ, fresh, ir.zero(ir.ptr())), ir.zero(ir.i32()),
                array.length());
        // Element by element (Enzyme cannot tell the type a memcpy moves here).
        ArrayOps.copyElements(module, element, JValue.array(array.value(), copied, array.arrayType()), fresh,
                counter);
        return fresh;
    }

    /**
     * malloc of {@code count} elements of {@code size} bytes (at least one byte). Out of memory: the caller sees the
     * failure in the status block (its afterCall leaves) and a null pointer.
     */
    private LLVMValueRef allocate(LLVMValueRef function, LLVMValueRef count, int size) {
        LLVMValueRef bytes = ir.mul(ir.zext(count, ir.i64()), ir.constInt(ir.i64(), size));
        Callee umax = module.intrinsic("llvm.umax", ir.i64());
        LLVMValueRef request = ir.call(umax.type(), umax.function(), bytes, ir.constInt(ir.i64(), 1));
        LLVMValueRef fresh = ir.call(module.malloc().type(), module.malloc().function(), request);
        LLVMValueRef failed = ir.icmp(LLVMIntEQ, fresh, ir.zero(ir.ptr()));
        LLVMValueRef status = ir.param(function, EntryPoint.STATUS_PARAMETER_INDEX);
        LLVMValueRef code = ir.load(ir.i32(), status, "status");
        module.tbaa().attach(code, JavaType.INT);
        module.tbaa().attach(ir.store(ir.select(failed, ir.constInt(ir.i32(), StatusCode.OUT_OF_MEMORY.code()), code),
                status), JavaType.INT);
        return fresh;
    }

    /** The array a callee returned that is one of its caller's arguments: the caller's to use, not to free. */
    static JValue borrowed(IrBuilder ir, LLVMValueRef result, JavaType arrayType) {
        return arrayType.isMatrix() ? JValue.matrix(ir.extractValue(result, 0), ir.extractValue(result, 2),
                ir.extractValue(result, 1), arrayType)
                : JValue.array(ir.extractValue(result, 0), ir.extractValue(result, 1), arrayType);
    }

    /**
     * At the call site, right after the callee returned {@code result} and before its status is checked: the array,
     * remembered in an allocation cell of the caller's, so that the caller's exit frees it also when the callee
     * failed (then it is the empty copy). Inside a loop the cell still holds the previous run's array unless a local
     * took it over; no value lives across iterations on the operand stack, so it is dead and freed here.
     */
    static JValue adopt(IrModule module, ExitPaths exits, FrameSlots slots, LLVMValueRef result, JavaType arrayType,
                        boolean insideLoop) {
        IrBuilder ir = module.ir();
        LLVMValueRef data = ir.extractValue(result, 0);
        if (arrayType.isMatrix()) {
            JValue matrix = JValue.matrix(data, ir.extractValue(result, 2), ir.extractValue(result, 1), arrayType);
            int site = insideLoop ? module.loopArraySite() : -1;
            LLVMValueRef[] cells = insideLoop ? exits.newLoopMatrixAllocation(slots, site)
                    : exits.newMatrixAllocation(slots);
            if (insideLoop) {
                exits.freeMatrix(cells);
                if (module.isConstantLoopArray(site)) {
                    matrix = ConstantLoopArrays.ownCopy(module, exits, slots, matrix);
                }
            }
            ir.store(matrix.value(), cells[0]);
            ir.store(matrix.rowLengths(), cells[1]);
            ir.store(matrix.length(), cells[2]);
            return matrix;
        }
        return remember(module, exits, slots, JValue.array(data, ir.extractValue(result, 1), arrayType), insideLoop);
    }

    /**
     * {@link #adopt} for a record a callee handed over ({@code record}, taken apart by {@code boundary}): each of its
     * arrays remembered in an allocation cell of the caller's, as if it were a result of its own.
     */
    static JValue adoptRecord(IrModule module, ExitPaths exits, FrameSlots slots, JValue record, boolean insideLoop) {
        return record.mapArrays(array -> remember(module, exits, slots,
                JValue.array(array.value(), array.length(), array.arrayType()), insideLoop));
    }

    /**
     * {@code array} in a new allocation cell; inside a loop the cell's previous array is freed first, and at a site
     * Enzyme found constant the cell holds an inactive copy instead ({@link ConstantLoopArrays#ownCopy}).
     */
    private static JValue remember(IrModule module, ExitPaths exits, FrameSlots slots, JValue array,
                                   boolean insideLoop) {
        if (!insideLoop) {
            module.ir().store(array.value(), exits.newAllocationSlot(slots));
            return array;
        }
        int site = module.loopArraySite();
        LLVMValueRef cell = exits.newLoopAllocationSlot(slots, site);
        exits.free(cell, "previous.result");
        JValue kept = module.isConstantLoopArray(site) ? ConstantLoopArrays.ownCopy(module, exits, slots, array) : array;
        module.ir().store(kept.value(), cell);
        return kept;
    }
}
