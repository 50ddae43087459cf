package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import java.lang.classfile.TypeKind;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;
import jenzyme.runtime.error.Messages;

/**
 * Array element access and allocation. Every access is checked against the array's length (one unsigned compare
 * covers negative indices) and is a typed load/store with its TBAA tag. {@code new T[n]} is a zeroed allocation ({@link IrModule#zeroedAllocation}) freed
 * when the allocating call returns, unless it is the array the call returns: the entry copies that into the
 * caller's result array ({@link #copyToResult}), a callee hands it to its caller ({@link ArrayHandOver}). Inside a
 * loop the site's slot holds the previous iteration's array, freed when the site runs again ({@link LoopAllocations}
 * refuses arrays that would outlive their iteration).
 */
final class ArrayOps {


    private final IrModule module;
    private final IrBuilder ir;
    private final ExitPaths exits;
    private final FrameSlots slots;
    private final RowTables rows;
    /** The array the last allocation inside a loop made, until {@link #takeLoopAllocation()}. */
    private JValue loopAllocation;
    /** While lowering a versioned loop's unchecked copy: the version that proves indices in bounds. */
    private LoopVersion version;

    ArrayOps(IrModule module, ExitPaths exits, FrameSlots slots) {
        this.module = module;
        this.ir = module.ir();
        this.exits = exits;
        this.slots = slots;
        this.rows = new RowTables(module, exits, slots);
    }

    /** {@code new T[rows][columns]} of a two-dimensional type (see {@link RowTables}). */
    JValue newMatrix(JValue rowCount, JValue columns, JavaType matrixType, boolean insideLoop) {
        return rows.allocate(rowCount, columns, matrixType, insideLoop);
    }

    /** The {@code new T[rows][]} that starts a matrix literal (see {@link RowTables#allocateRows}). */
    JValue newRows(JValue rowCount, JavaType matrixType, boolean insideLoop) {
        return rows.allocateRows(rowCount, matrixType, insideLoop);
    }

    /** Whether {@code value} is a matrix literal being filled. */
    boolean isMatrixLiteral(JValue value) {
        return rows.isLiteral(value);
    }

    JValue load(JValue array, JValue index, TypeKind elementKind) {
        if (elementKind == TypeKind.REFERENCE && array.isMatrix()) {
            return rows.row(array, index);
        }
        JavaType element = elementType(elementKind, "reading");
        LLVMValueRef address = checkedAddress(array, index, element);
        LLVMValueRef value = ir.load(module.type(ValueKind.of(element)), address, "");
        ir.setAlignment(value, byteSize(element));
        module.tbaa().attach(value, element);
        return JValue.scalar(ValueKind.of(element), value);
    }

    /**
     * {@code array[index] = value}; a row store ({@code isNewRow}: the row is new) only into a matrix literal. An
     * element store is tagged with {@code line} for {@link ScratchArrays}' refusals.
     */
    void store(JValue array, JValue index, JValue value, TypeKind elementKind, boolean isNewRow, int line) {
        if (elementKind == TypeKind.REFERENCE && array.isMatrix()) {
            rows.assignRow(array, index, value, isNewRow);
            return;
        }
        JavaType element = elementType(elementKind, "writing");
        LLVMValueRef address = checkedAddress(array, index, element);
        LLVMValueRef store = ir.store(value.value(), address);
        ir.setAlignment(store, byteSize(element));
        module.tbaa().attach(store, element);
        ScratchArrays.tagLine(ir, store, line);
    }

    /** The largest array compiled code may allocate: what the JVM running it could hold on its heap. */
    static final long MAX_ARRAY_BYTES = Runtime.getRuntime().maxMemory();

    JValue newArray(JValue length, TypeKind elementKind, boolean insideLoop) {
        JavaType element = switch (elementKind) {
            case DOUBLE -> JavaType.DOUBLE;
            case FLOAT -> JavaType.FLOAT;
            case INT -> JavaType.INT;
            case LONG -> JavaType.LONG;
            default -> throw Unsupported.construct(Messages.NEW_ARRAY_OF, elementKind.name().toLowerCase());
        };
        LLVMValueRef n = length.value();
        exits.failIf(ir.icmp(LLVMIntSLT, n, ir.zero(ir.i32())), StatusCode.NEGATIVE_ARRAY_SIZE, n, null);
        LLVMValueRef bytes = ir.mul(ir.zext(n, ir.i64()), ir.constInt(ir.i64(), byteSize(element)));
        // Beyond the JVM's heap the JVM throws OutOfMemoryError; natively, calloc would overcommit and the code
        // writing the array touch every page, until the operating system kills the whole kernel.
        exits.failIf(ir.icmp(LLVMIntUGT, bytes, ir.constInt(ir.i64(), MAX_ARRAY_BYTES)), StatusCode.OUT_OF_MEMORY, n,
                null);
        LLVMValueRef data = module.zeroedAllocation(bytes);
        exits.failIf(ir.icmp(LLVMIntEQ, data, ir.zero(ir.ptr())), StatusCode.OUT_OF_MEMORY, n, null);
        LLVMValueRef slot;
        if (insideLoop) {
            int site = module.loopArraySite();
            if (module.isConstantLoopArray(site)) {
                ir.inactiveForAd(data);
            }
            slot = exits.newLoopAllocationSlot(slots, site);
            // The previous iteration's array (null the first time): dead now, by LoopAllocations' rule.
            exits.free(slot, "previous.array");
        } else {
            slot = exits.newAllocationSlot(slots);
        }
        ir.store(data, slot);
        JValue array = JValue.array(data, n, arrayOf(element));
        if (insideLoop) {
            loopAllocation = array;
        }
        return array;
    }

    /** The array allocated inside a loop by the instruction just lowered, if any (then forgotten). */
    JValue takeLoopAllocation() {
        JValue array = loopAllocation != null ? loopAllocation : rows.takeLoopAllocation();
        loopAllocation = null;
        return array;
    }

    /**
     * {@code return a;} of a method returning double[]: copies {@code array} into the caller's {@code result}
     * array element by element (typed loads and stores, which Enzyme differentiates like any other), after checking
     * that the lengths agree; the caller sized {@code result} from an earlier result of the same method.
     */
    void copyToResult(JValue array, JValue result) {
        exits.failIf(ir.icmp(LLVMIntNE, array.length(), result.length()), StatusCode.RESULT_LENGTH, array.length(),
                result.length());
        copyElements(module, JavaType.DOUBLE, array, result.value(),
                slots.newInitialisedSlot(ir.i32(), ir.zero(ir.i32()), "copy.i"));
    }

    /** The doubles of a returned record, in order, into the caller's result array of exactly as many. */
    void leavesToResult(java.util.List<LLVMValueRef> leaves, JValue result) {
        LLVMValueRef count = ir.constInt(ir.i32(), leaves.size());
        exits.failIf(ir.icmp(LLVMIntNE, count, result.length()), StatusCode.RESULT_LENGTH, count, result.length());
        LLVMTypeRef type = module.type(ValueKind.DOUBLE);
        for (int i = 0; i < leaves.size(); i++) {
            LLVMValueRef store = ir.store(leaves.get(i), ir.inBoundsGep(type, result.value(),
                    ir.constInt(ir.i64(), i)));
            ir.setAlignment(store, byteSize(JavaType.DOUBLE));
            module.tbaa().attach(store, JavaType.DOUBLE);
        }
    }

    /** Copies {@code array}'s elements of type {@code element} into {@code destination}, as typed loads and stores. */
    static void copyElements(IrModule module, JavaType element, JValue array, LLVMValueRef destination,
                             LLVMValueRef counter) {
        IrBuilder ir = module.ir();
        LLVMTypeRef type = module.type(ValueKind.of(element));
        CountedLoop.emit(ir, counter, array.length(), "copy", i -> {
            LLVMValueRef value = ir.load(type, ir.inBoundsGep(type, array.value(), ir.zext(i, ir.i64())), "");
            ir.setAlignment(value, byteSize(element));
            module.tbaa().attach(value, element);
            LLVMValueRef store = ir.store(value, ir.inBoundsGep(type, destination, ir.zext(i, ir.i64())));
            ir.setAlignment(store, byteSize(element));
            module.tbaa().attach(store, element);
        });
    }

    /** Accesses from now on leave out the checks {@code version} proves redundant; null ends that. */
    void provedBy(LoopVersion version) {
        this.version = version;
    }

    private LLVMValueRef checkedAddress(JValue array, JValue index, JavaType element) {
        LLVMValueRef i = index.value();
        if (version == null || !version.proves(i, array.length())) {
            LLVMValueRef outOfBounds = ir.icmp(LLVMIntUGE, i, array.length());
            exits.failIf(outOfBounds, StatusCode.ARRAY_INDEX_OUT_OF_BOUNDS, i, array.length());
        }
        LLVMTypeRef type = module.type(ValueKind.of(element));
        return ir.inBoundsGep(type, array.value(), ir.zext(i, ir.i64()));
    }

    private static JavaType elementType(TypeKind kind, String access) {
        return switch (kind) {
            case DOUBLE -> JavaType.DOUBLE;
            case FLOAT -> JavaType.FLOAT;
            case INT -> JavaType.INT;
            case LONG -> JavaType.LONG;
            case BYTE -> throw Unsupported.construct(Messages.ARRAY_ELEMENT, access, "boolean[] or byte[]");
            case REFERENCE -> throw Unsupported.construct(Messages.ARRAY_OF_REFERENCES, access);
            default -> throw Unsupported.construct(Messages.ARRAY_ELEMENT, access, kind.name().toLowerCase() + "[]");
        };
    }

    static JavaType arrayOf(JavaType element) {
        return switch (element) {
            case DOUBLE -> JavaType.DOUBLE_ARRAY;
            case FLOAT -> JavaType.FLOAT_ARRAY;
            case INT -> JavaType.INT_ARRAY;
            case LONG -> JavaType.LONG_ARRAY;
            default -> throw new IllegalArgumentException(Messages.NUMERIC_ARRAY_EXPECTED.format(element));
        };
    }

    static java.lang.classfile.TypeKind typeKind(JavaType array) {
        return switch (array) {
            case DOUBLE_ARRAY -> java.lang.classfile.TypeKind.DOUBLE;
            case FLOAT_ARRAY -> java.lang.classfile.TypeKind.FLOAT;
            case INT_ARRAY -> java.lang.classfile.TypeKind.INT;
            case LONG_ARRAY -> java.lang.classfile.TypeKind.LONG;
            default -> throw new IllegalArgumentException(Messages.NUMERIC_ARRAY_EXPECTED.format(array));
        };
    }

    static JavaType elementOf(JavaType array) {
        return switch (array) {
            case DOUBLE_ARRAY -> JavaType.DOUBLE;
            case FLOAT_ARRAY -> JavaType.FLOAT;
            case INT_ARRAY -> JavaType.INT;
            case LONG_ARRAY -> JavaType.LONG;
            default -> throw new IllegalArgumentException(Messages.NUMERIC_ARRAY_EXPECTED.format(array));
        };
    }

    static int byteSize(JavaType element) {
        return element == JavaType.DOUBLE || element == JavaType.LONG ? 8 : 4;
    }
}
