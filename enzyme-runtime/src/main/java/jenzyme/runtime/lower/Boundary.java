package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.LLVMIntNE;

import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Values at function boundaries: booleans are {@code i8} outside and JVM ints inside, arrays are (pointer, length),
 * two-dimensional arrays (row table, row-length table, row count),
 * records are their leaves in order as parameters and one LLVM struct of those leaves as a result, an object compiled
 * code writes the address of its fields ({@link WrittenObjects}).
 */
final class Boundary {

    private final IrModule module;
    private final IrBuilder ir;

    Boundary(IrModule module) {
        this.module = module;
        this.ir = module.ir();
    }

    /** Appends the LLVM arguments that pass {@code value} as a parameter of shape {@code shape}. */
    void flatten(JValue value, Shape shape, List<LLVMValueRef> out) {
        switch (shape) {
            case RecordShape record when record.isWritten() -> {
                if (!value.isObjectRef()) {
                    throw Unsupported.malformed("expected the address of a " + record.javaName() + ", got a value");
                }
                out.add(value.value());
            }
            case RecordShape record -> {
                if (value.kind() != ValueKind.RECORD || value.isUnconstructed()) {
                    throw Unsupported.malformed("expected a constructed " + record.javaName() + ", got " + value.kind());
                }
                for (int i = 0; i < record.components().size(); i++) {
                    flatten(value.components().get(i), record.components().get(i).shape(), out);
                }
            }
            case JavaType type -> {
                out.add(toBoundary(value, type));
                if (type.isMatrix()) {
                    if (!value.isMatrix()) {
                        throw Unsupported.malformed("expected a " + type.javaName() + ", got " + value.arrayType());
                    }
                    out.add(value.rowLengths());
                }
                if (type.isArray()) {
                    out.add(value.length());
                }
            }
        }
    }

    /** The value of shape {@code shape} whose leaves start at {@code values[from]}; advances {@code next[0]}. */
    JValue gather(List<LLVMValueRef> values, Shape shape, int[] next) {
        return switch (shape) {
            case RecordShape record when record.isWritten() -> JValue.object(record, values.get(next[0]++));
            case RecordShape record -> {
                List<JValue> components = new ArrayList<>();
                record.components().forEach(c -> components.add(gather(values, c.shape(), next)));
                yield JValue.record(record, components);
            }
            case JavaType type when type.isMatrix() -> JValue.matrix(values.get(next[0]), values.get(next[0] + 2),
                    values.get((next[0] += 3) - 2), type);
            case JavaType type -> type.isArray() ? JValue.array(values.get(next[0]++), values.get(next[0]++), type)
                    : fromBoundary(values.get(next[0]++), type);
        };
    }

    /** A call's result of shape {@code shape}: a record's struct taken apart into its leaves. */
    JValue result(LLVMValueRef result, Shape shape) {
        if (shape instanceof JavaType type) {
            return fromBoundary(result, type);
        }
        List<LLVMValueRef> leaves = new ArrayList<>();
        int count = shape.leaves().stream().mapToInt(t -> t.llvmTypes().size()).sum();
        for (int i = 0; i < count; i++) {
            leaves.add(ir.extractValue(result, i));
        }
        return gather(leaves, shape, new int[1]);
    }

    /** {@code value} as a result of shape {@code shape}: a record packed into its struct. */
    LLVMValueRef toResult(JValue value, Shape shape) {
        if (shape instanceof JavaType type) {
            return toBoundary(value, type);
        }
        List<LLVMValueRef> leaves = new ArrayList<>();
        flatten(value, shape, leaves);
        LLVMValueRef struct = ir.undef(module.boundaryType(shape));
        for (int i = 0; i < leaves.size(); i++) {
            struct = ir.insertValue(struct, leaves.get(i), i);
        }
        return struct;
    }

    LLVMValueRef toBoundary(JValue value, JavaType type) {
        if (type == JavaType.BOOLEAN) {
            // JVMS: a boolean return keeps only the low bit of the int.
            return ir.zext(ir.trunc(value.value(), ir.i1()), ir.i8());
        }
        return value.value();
    }

    JValue fromBoundary(LLVMValueRef value, JavaType type) {
        if (type == JavaType.BOOLEAN) {
            return JValue.scalar(ValueKind.INT, ir.zext(ir.icmp(LLVMIntNE, value, ir.zero(ir.i8())), ir.i32()));
        }
        return JValue.scalar(ValueKind.of(type), value);
    }
}
