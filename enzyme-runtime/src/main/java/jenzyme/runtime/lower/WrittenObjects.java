package jenzyme.runtime.lower;

import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Objects whose fields compiled code writes outside their constructors ({@code acc.total += x}, a setter writing
 * {@code this.total}). Such an object cannot be a value like a record: after {@code b = a}, or once a callee has
 * written its parameter, every name of the object must see the write, as on the JVM. So it lives in memory: {@code new}
 * stores the values its constructor returns into a block (an {@code alloca} of the lowering function, one per
 * {@code new} site), and every local, operand and parameter holding the object holds the block's address. Field reads
 * and writes are loads and stores; a callee gets the address, so its writes are the caller's. LLVM's scalar
 * replacement turns a block that does not reach a call back into registers, and Enzyme gives an active block a shadow
 * block like any alloca.
 *
 * <p>What keeps the address valid: the block dies with the function that made it, so such an object is never returned
 * by a method (refused, {@link LoweredFunctions}) nor stored into a field of another object or record (refused,
 * {@link ClassLibrary}); one made inside a loop reuses its block each iteration, so it may not be kept in a local
 * declared outside the loop ({@link LoopAllocations}).
 *
 * <p>Which classes are written is learnt while lowering: the first write to a field of a class kept as a value
 * throws {@link Discovered}, and {@link BytecodeLowering} lowers the module again with that class written (as it does
 * for static fields; a pre-scan would have to follow every kind of call the lowering resolves).
 */
final class WrittenObjects {

    /** The first write to a field of {@code owner}, a class compiled code kept as a value until then. */
    static final class Discovered extends RuntimeException {
        private final String owner;
        private final String field;
        private final MethodRef method;
        private final int bci;
        private final int line;

        Discovered(String owner, String field) {
            this(owner, field, null, -1, -1);
        }

        private Discovered(String owner, String field, MethodRef method, int bci, int line) {
            super(owner + "." + field, null, false, false);
            this.owner = owner;
            this.field = field;
            this.method = method;
            this.bci = bci;
            this.line = line;
        }

        /** The same write, located in {@code method} at {@code bci} (source {@code line}). */
        Discovered at(MethodRef where, int at, int sourceLine) {
            return new Discovered(owner, field, where, at, sourceLine);
        }

        String owner() { return owner; }
        String field() { return field; }
        MethodRef method() { return method; }
        int bci() { return bci; }
        int line() { return line; }
    }

    private final IrModule module;
    private final IrBuilder ir;
    private final FrameSlots slots;
    private final Boundary boundary;

    WrittenObjects(IrModule module, FrameSlots slots, Boundary boundary) {
        this.module = module;
        this.ir = module.ir();
        this.slots = slots;
        this.boundary = boundary;
    }

    /** The object {@code new} made, with the fields its constructor returned ({@code fields}, a value). */
    JValue create(RecordShape written, JValue fields) {
        List<LLVMValueRef> leaves = new ArrayList<>();
        boundary.flatten(fields, written.asValue(), leaves);
        return create(written, leaves);
    }

    /** The object whose fields' leaves are {@code leaves} (boundary types, in order): a new block holding them. */
    JValue create(RecordShape written, List<LLVMValueRef> leaves) {
        LLVMTypeRef layout = layout(written);
        LLVMValueRef block = slots.newSlot(layout, written.javaName().replace('.', '_'));
        for (int i = 0; i < leaves.size(); i++) {
            ir.store(leaves.get(i), ir.structGep(layout, block, i, ""));
        }
        return JValue.object(written, block);
    }

    /** The leaves of every field of {@code object} as they are now, loaded from its block. */
    List<LLVMValueRef> leaves(JValue object) {
        LLVMTypeRef layout = layout(object.shape());
        List<LLVMValueRef> leaves = new ArrayList<>();
        for (int i = 0; i < leafCount(object.shape().asValue()); i++) {
            leaves.add(ir.load(ir.fieldType(layout, i), ir.structGep(layout, object.value(), i, ""), "field"));
        }
        return leaves;
    }

    /** {@code object.field}, component {@code index}: its leaves loaded from the block. */
    JValue load(JValue object, int index) {
        RecordShape shape = object.shape();
        LLVMTypeRef layout = layout(shape);
        Shape component = shape.components().get(index).shape();
        int first = firstLeaf(shape, index);
        List<LLVMValueRef> leaves = new ArrayList<>();
        for (int i = 0; i < leafCount(component); i++) {
            leaves.add(ir.load(ir.fieldType(layout, first + i), ir.structGep(layout, object.value(), first + i, ""),
                    shape.components().get(index).name()));
        }
        return boundary.gather(leaves, component, new int[1]);
    }

    /** {@code object.field = value}, component {@code index}. */
    void store(JValue object, int index, JValue value) {
        RecordShape shape = object.shape();
        LLVMTypeRef layout = layout(shape);
        List<LLVMValueRef> leaves = new ArrayList<>();
        boundary.flatten(value, shape.components().get(index).shape(), leaves);
        int first = firstLeaf(shape, index);
        for (int i = 0; i < leaves.size(); i++) {
            ir.store(leaves.get(i), ir.structGep(layout, object.value(), first + i, ""));
        }
    }

    /** The block's type: the LLVM types of the fields' leaves in order, as a constructor returns them. */
    private LLVMTypeRef layout(RecordShape shape) {
        return module.boundaryType(shape.asValue());
    }

    private static int firstLeaf(RecordShape shape, int index) {
        int first = 0;
        for (int i = 0; i < index; i++) {
            first += leafCount(shape.components().get(i).shape());
        }
        return first;
    }

    private static int leafCount(Shape shape) {
        return shape.leaves().stream().mapToInt(t -> t.llvmTypes().size()).sum();
    }
}
