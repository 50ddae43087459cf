package jenzyme.runtime.lower;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Stack memory of one lowered function: an {@code alloca} per JVM local (and per operand-stack depth that is live
 * across a block boundary), each slot separately per value kind because javac reuses slots for different types.
 * All allocas sit in the entry block so that mem2reg turns them into SSA values.
 */
final class FrameSlots implements AutoCloseable {

    /** The key of a JVM local's slot ({@link Variables#key}), not of a record component or a stack depth. */
    private static final Pattern LOCAL_KEY = Pattern.compile("local(\\d+)");

    private final IrModule module;
    private final IrBuilder entryBuilder;
    private final Map<String, LLVMValueRef[]> slots = new HashMap<>();
    /**
     * The type of the array last stored in each array slot, in lowering (bytecode) order. javac reuses a slot for
     * another type only in a later scope, which is also later in the bytecode, so this is the type of the array a
     * load finds.
     */
    private final Map<String, JavaType> arrayTypes = new HashMap<>();
    /** The JVM local each cell holds (by the cell's address), for {@link #localOf}. */
    private final Map<Long, Integer> localOfCell = new HashMap<>();

    FrameSlots(IrModule module, LLVMBasicBlockRef entryBlock) {
        this.module = module;
        this.entryBuilder = new IrBuilder(module.ir().context());
        entryBuilder.positionAtEnd(entryBlock);
    }

    IrBuilder ir() {
        return module.ir();
    }

    org.bytedeco.llvm.LLVM.LLVMTypeRef type(ValueKind kind) {
        return module.type(kind);
    }

    /** Loads the value last stored in slot {@code key} as {@code kind}. */
    JValue load(String key, ValueKind kind, String name) {
        LLVMValueRef[] cells = cells(key, kind, name);
        IrBuilder ir = module.ir();
        LLVMValueRef value = ir.load(module.type(kind), cells[0], name);
        JavaType arrayType = arrayTypes.get(key);
        if (kind == ValueKind.ARRAY && arrayType != null && arrayType.isMatrix()) {
            return JValue.matrix(value, ir.load(ir.i32(), cells[1], name + ".len"),
                    ir.load(ir.ptr(), rowLengthsCell(key, name), name + ".rowlens"), arrayType);
        }
        return kind == ValueKind.ARRAY ? JValue.array(value, ir.load(ir.i32(), cells[1], name + ".len"),
                arrayType) : JValue.scalar(kind, value);
    }

    /** Loads the record last stored in slot {@code key}, component by component (a written object: its address). */
    JValue load(String key, RecordShape shape, String name) {
        if (shape.isWritten()) {
            return JValue.object(shape, module.ir().load(module.ir().ptr(), objectCell(key, name), name));
        }
        java.util.List<JValue> components = new java.util.ArrayList<>();
        for (int i = 0; i < shape.components().size(); i++) {
            RecordShape.Component component = shape.components().get(i);
            String componentKey = key + "." + i;
            String componentName = name + "." + component.name();
            components.add(component.shape() instanceof RecordShape nested ? load(componentKey, nested, componentName)
                    : load(componentKey, ValueKind.of((JavaType) component.shape()), componentName));
        }
        return JValue.record(shape, components);
    }

    /** Stores {@code value}; a record goes component by component into slots of its own. */
    void store(String key, JValue value, String name) {
        if (value.isObjectRef()) {
            module.ir().store(value.value(), objectCell(key, name));
            return;
        }
        if (value.kind() == ValueKind.RECORD) {
            if (value.isUnconstructed()) {
                throw Unsupported.malformed("a record stored before its constructor ran");
            }
            for (int i = 0; i < value.components().size(); i++) {
                store(key + "." + i, value.components().get(i), name + "." + value.shape().components().get(i).name());
            }
            return;
        }
        LLVMValueRef[] cells = cells(key, value.kind(), name);
        module.ir().store(value.value(), cells[0]);
        if (value.kind() == ValueKind.ARRAY) {
            module.ir().store(value.length(), cells[1]);
            arrayTypes.put(key, value.arrayType());
            if (value.isMatrix()) {
                module.ir().store(value.rowLengths(), rowLengthsCell(key, name));
            }
        }
    }

    /** A fresh, uninitialised slot of {@code type} in the entry block: a written object's fields. */
    LLVMValueRef newSlot(LLVMTypeRef type, String name) {
        return entryBuilder.alloca(type, name);
    }

    /** A fresh slot of {@code type} in the entry block, initialised there to {@code initial}. */
    LLVMValueRef newInitialisedSlot(LLVMTypeRef type, LLVMValueRef initial, String name) {
        LLVMValueRef slot = entryBuilder.alloca(type, name);
        entryBuilder.store(initial, slot);
        return slot;
    }

    /** Ends the entry block with a branch to the function's first real block. */
    void finish(LLVMBasicBlockRef firstBlock) {
        entryBuilder.br(firstBlock);
    }

    /** The cell of a slot holding a written object: its address ({@link WrittenObjects}). */
    private LLVMValueRef objectCell(String key, String name) {
        return slots.computeIfAbsent(key + ":object", k -> new LLVMValueRef[] {
                entryBuilder.alloca(module.ir().ptr(), name + ".addr")})[0];
    }

    /** The third cell of a slot holding a two-dimensional array: its row-length table. */
    private LLVMValueRef rowLengthsCell(String key, String name) {
        return slots.computeIfAbsent(key + ":rowlens", k -> new LLVMValueRef[] {
                entryBuilder.alloca(module.ir().ptr(), name + ".rowlens.addr")})[0];
    }

    /** The JVM local whose value (or array length) the cell {@code address} holds; -1 for any other memory. */
    int localOf(LLVMValueRef address) {
        return localOfCell.getOrDefault(address.address(), -1);
    }

    private LLVMValueRef[] cells(String key, ValueKind kind, String name) {
        return slots.computeIfAbsent(key + ":" + kind, k -> {
            LLVMValueRef[] cells = kind == ValueKind.ARRAY
                    ? new LLVMValueRef[] {entryBuilder.alloca(module.ir().ptr(), name + ".addr"),
                            entryBuilder.alloca(module.ir().i32(), name + ".len.addr")}
                    : new LLVMValueRef[] {entryBuilder.alloca(module.type(kind), name + ".addr")};
            Matcher local = LOCAL_KEY.matcher(key);
            if (local.matches()) {
                for (LLVMValueRef cell : cells) {
                    localOfCell.put(cell.address(), Integer.parseInt(local.group(1)));
                }
            }
            return cells;
        });
    }

    @Override
    public void close() {
        entryBuilder.close();
    }
}
