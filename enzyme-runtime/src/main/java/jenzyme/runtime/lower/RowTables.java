package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import jenzyme.runtime.error.Messages;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Two-dimensional (jagged) arrays: {@code a[i]} as a bounds-checked read of the row table and the row-length table
 * (the row is then an ordinary array value, so {@code a[i][j]}, {@code a[i].length} and {@code double[] row = a[i]}
 * are the one-dimensional code), and {@code new double[n][m]} as a row table, a row-length table and n zeroed rows,
 * all freed when the allocating call returns (see {@link ExitPaths#newMatrixAllocation}), or inside a loop when the
 * site runs again (see {@link LoopAllocations}).
 *
 * <p>Assigning a whole row ({@code a[i] = r}) is refused: for a parameter it would change the table the binding
 * built for this call, not the Java array, and rows shared between tables would be freed twice. The one exception is
 * a matrix literal ({@code new double[][]{{c, -s}, {s, c}}}): its table starts with empty rows
 * ({@link #allocateRows}), and each row javac stores into it, a new array nothing else holds, is copied into a row
 * the table owns ({@link #assignRow}). Copying rather than taking the new array over keeps every array with the one
 * allocation site that frees it.
 */
final class RowTables {

    private final IrModule module;
    private final IrBuilder ir;
    private final ExitPaths exits;
    private final FrameSlots slots;
    private JValue loopAllocation;
    /** Matrix literals being filled: only their rows may be assigned. */
    private final java.util.Set<JValue> literals = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    /** Matrices of loop allocation sites that hold no derivative ({@link IrModule#isConstantLoopArray}). */
    private final java.util.Set<JValue> constant = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());

    RowTables(IrModule module, ExitPaths exits, FrameSlots slots) {
        this.module = module;
        this.ir = module.ir();
        this.exits = exits;
        this.slots = slots;
    }

    /** {@code matrix[index]}: the row, an array value of the row type. */
    JValue row(JValue matrix, JValue index) {
        LLVMValueRef i = index.value();
        exits.failIf(ir.icmp(LLVMIntUGE, i, matrix.length()), StatusCode.ARRAY_INDEX_OUT_OF_BOUNDS, i,
                matrix.length());
        LLVMValueRef wide = ir.zext(i, ir.i64());
        LLVMValueRef data = ir.load(ir.ptr(), ir.inBoundsGep(ir.ptr(), matrix.value(), wide), "row");
        ir.setAlignment(data, 8);
        module.tbaa().attach(data, matrix.arrayType());
        LLVMValueRef length = ir.load(ir.i32(), ir.inBoundsGep(ir.i32(), matrix.rowLengths(), wide), "row.len");
        ir.setAlignment(length, 4);
        module.tbaa().attach(length, JavaType.INT);
        return JValue.array(data, length, matrix.arrayType().row());
    }

    /** {@code new T[rows][columns]}: every row allocated and zeroed, like the JVM's. */
    JValue allocate(JValue rows, JValue columns, JavaType matrixType, boolean insideLoop) {
        JavaType element = ArrayOps.elementOf(matrixType.row());
        LLVMValueRef n = rows.value();
        LLVMValueRef m = columns.value();
        exits.failIf(ir.icmp(LLVMIntSLT, n, ir.zero(ir.i32())), StatusCode.NEGATIVE_ARRAY_SIZE, n, null);
        exits.failIf(ir.icmp(LLVMIntSLT, m, ir.zero(ir.i32())), StatusCode.NEGATIVE_ARRAY_SIZE, m, null);
        LLVMValueRef rowBytes = ir.mul(ir.zext(m, ir.i64()), ir.constInt(ir.i64(), ArrayOps.byteSize(element)));
        LLVMValueRef total = ir.mul(ir.zext(n, ir.i64()), ir.add(rowBytes, ir.constInt(ir.i64(), 12)));
        // As for new T[n]: beyond the JVM's heap the JVM throws OutOfMemoryError, so compiled code does too.
        exits.failIf(ir.icmp(LLVMIntUGT, total, ir.constInt(ir.i64(), ArrayOps.MAX_ARRAY_BYTES)),
                StatusCode.OUT_OF_MEMORY, n, m);
        JValue matrix = tables(n, matrixType, insideLoop);
        forEachRow(n, "new.row", i -> {
            LLVMValueRef wide = ir.zext(i, ir.i64());
            LLVMValueRef row = zeroed(rowBytes, m, constant.contains(matrix));
            module.tbaa().attach(ir.store(row, ir.inBoundsGep(ir.ptr(), matrix.value(), wide)), matrixType);
            module.tbaa().attach(ir.store(m, ir.inBoundsGep(ir.i32(), matrix.rowLengths(), wide)), JavaType.INT);
        });
        return matrix;
    }

    /**
     * The {@code new T[rows][]} a matrix literal starts with: a table of empty rows (null, length 0), filled by the
     * literal's row stores ({@link #assignRow}) before anything else sees it.
     */
    JValue allocateRows(JValue rows, JavaType matrixType, boolean insideLoop) {
        LLVMValueRef n = rows.value();
        exits.failIf(ir.icmp(LLVMIntSLT, n, ir.zero(ir.i32())), StatusCode.NEGATIVE_ARRAY_SIZE, n, null);
        JValue matrix = tables(n, matrixType, insideLoop);
        literals.add(matrix);
        return matrix;
    }

    /** The zeroed row table and row-length table of n rows, remembered for freeing like a new T[n][m]. */
    private JValue tables(LLVMValueRef n, JavaType matrixType, boolean insideLoop) {
        int site = insideLoop ? module.loopArraySite() : -1;
        boolean inactive = insideLoop && module.isConstantLoopArray(site);
        LLVMValueRef[] cells = insideLoop ? exits.newLoopMatrixAllocation(slots, site) : exits.newMatrixAllocation(slots);
        if (insideLoop) {
            exits.freeMatrix(cells); // the previous iteration's (LoopAllocations' rule); its count is 0 the first time
        }
        LLVMValueRef table = zeroed(ir.mul(ir.zext(n, ir.i64()), ir.constInt(ir.i64(), 8)), n, inactive);
        ir.store(table, cells[0]);
        ir.store(n, cells[2]);
        LLVMValueRef lengths = zeroed(ir.mul(ir.zext(n, ir.i64()), ir.constInt(ir.i64(), 4)), n, false);
        module.rowLengthsAllocated(lengths);
        ir.store(lengths, cells[1]);
        JValue matrix = JValue.matrix(table, n, lengths, matrixType);
        if (inactive) {
            constant.add(matrix);
        }
        return insideLoop ? loopAllocation = matrix : matrix;
    }

    /**
     * {@code matrix[index] = row}: only a matrix literal's row store ({@code isNew}: the row is a new array nothing
     * else holds, as javac's literal makes it) is compiled, the row copied into one the table owns.
     */
    void assignRow(JValue matrix, JValue index, JValue row, boolean isNew) {
        if (!literals.contains(matrix)) {
            throw Unsupported.construct(Messages.ROW_ASSIGNMENT, matrix.arrayType().javaName());
        }
        if (!isNew) {
            throw Unsupported.construct(Messages.LITERAL_ROW_SHARED, matrix.arrayType().javaName());
        }
        LLVMValueRef i = index.value();
        exits.failIf(ir.icmp(LLVMIntUGE, i, matrix.length()), StatusCode.ARRAY_INDEX_OUT_OF_BOUNDS, i,
                matrix.length());
        JavaType element = ArrayOps.elementOf(matrix.arrayType().row());
        LLVMValueRef own = zeroed(ir.mul(ir.zext(row.length(), ir.i64()), ir.constInt(ir.i64(),
                ArrayOps.byteSize(element))), row.length(), constant.contains(matrix));
        ArrayOps.copyElements(module, element, row, own, slots.newInitialisedSlot(ir.i32(), ir.zero(ir.i32()),
                "literal.i"));
        LLVMValueRef wide = ir.zext(i, ir.i64());
        module.tbaa().attach(ir.store(own, ir.inBoundsGep(ir.ptr(), matrix.value(), wide)), matrix.arrayType());
        module.tbaa().attach(ir.store(row.length(), ir.inBoundsGep(ir.i32(), matrix.rowLengths(), wide)),
                JavaType.INT);
    }

    /** Whether {@code value} is a matrix literal (it must not cross a jump while its rows are stored: ControlFlow). */
    boolean isLiteral(JValue value) {
        return literals.contains(value);
    }

    /** The matrix allocated inside a loop by the instruction just lowered, if any (then forgotten). */
    JValue takeLoopAllocation() {
        JValue matrix = loopAllocation;
        loopAllocation = null;
        return matrix;
    }

    /**
     * A zeroed allocation of {@code bytes} ({@link IrModule#zeroedAllocation}); fails with OutOfMemoryError.
     * {@code inactive}: part of a constant loop matrix, allocated inactive for Enzyme (freed by ExitPaths#freeMatrix).
     */
    private LLVMValueRef zeroed(LLVMValueRef bytes, LLVMValueRef detail, boolean inactive) {
        LLVMValueRef data = module.zeroedAllocation(bytes);
        if (inactive) {
            ir.inactiveForAd(data);
        }
        exits.failIf(ir.icmp(LLVMIntEQ, data, ir.zero(ir.ptr())), StatusCode.OUT_OF_MEMORY, detail, null);
        return data;
    }

    private void forEachRow(LLVMValueRef count, String name, java.util.function.Consumer<LLVMValueRef> body) {
        CountedLoop.emit(ir, slots.newInitialisedSlot(ir.i32(), ir.zero(ir.i32()), name + ".i"), count, name, body);
    }
}
