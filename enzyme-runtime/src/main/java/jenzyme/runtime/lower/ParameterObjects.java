package jenzyme.runtime.lower;

import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Objects from the JVM whose fields compiled code writes: a parameter (or the receiver) of the method you compile
 * whose class is written ({@link RecordShape#isWritten}). The binding passes such an object by its {@link ObjectLayout}
 * (a {@code double[]} of its number fields, a {@code long[]} of its long fields, its arrays as they are), and copies
 * the two arrays of values back into the object's fields after the call, also when it throws (copy-out). So the entry
 * copies them into the object's block at its start ({@link WrittenObjects}, where every name of the object sees every
 * write) and stores the block back into them at every exit ({@link ExitPaths#beforeLeaving}).
 *
 * <p>In reverse mode the binding zeroes the {@code double[]}'s shadow (the fields' values after the call are outputs
 * nobody differentiates), and after the sweep it holds the partials with respect to the fields' values at entry: the
 * object's gradient. An array field's shadow is that of any array parameter.
 */
final class ParameterObjects {

    private ParameterObjects() {}

    /**
     * The object the entry receives as the leaves {@code params[next...]} of its layout (advancing {@code next}): a
     * block of the method holding its fields with their own types; {@code exits} copies the numbers and longs back
     * whenever the call leaves.
     */
    static JValue copyIn(IrModule module, WrittenObjects objects, ExitPaths exits, RecordShape shape,
                         List<LLVMValueRef> params, int[] next) {
        IrBuilder ir = module.ir();
        ObjectLayout layout = new ObjectLayout(shape);
        LLVMValueRef numbers = layout.numbers().isEmpty() ? null : take(params, next, JavaType.DOUBLE_ARRAY).get(0);
        LLVMValueRef longs = layout.longs().isEmpty() ? null : take(params, next, JavaType.LONG_ARRAY).get(0);
        List<LLVMValueRef> leaves = new ArrayList<>();
        for (int i = 0; i < shape.components().size(); i++) {
            JavaType type = (JavaType) shape.components().get(i).shape();
            String name = shape.components().get(i).name();
            if (type.isArray()) { // its own leaves, in declaration order like the fields
                leaves.addAll(take(params, next, type));
            } else if (type == JavaType.LONG) {
                leaves.add(ir.load(ir.i64(), element(ir, ir.i64(), longs, layout.longs().indexOf(i)), name));
            } else {
                LLVMValueRef value = ir.load(ir.f64(), element(ir, ir.f64(), numbers, layout.numbers().indexOf(i)), name);
                leaves.add(switch (type) {
                    case DOUBLE -> value;
                    case FLOAT -> ir.fptrunc(value, ir.f32());
                    default -> ir.fptosi(value, module.boundaryType(type)); // int, boolean (i8), exact from their double
                });
            }
        }
        JValue object = objects.create(shape, leaves);
        exits.beforeLeaving(() -> copyOut(module, objects, object, layout, numbers, longs));
        return object;
    }

    /** Stores the object's number and long fields as they are now back into the leaves the binding reads. */
    private static void copyOut(IrModule module, WrittenObjects objects, JValue object, ObjectLayout layout,
                                LLVMValueRef numbers, LLVMValueRef longs) {
        IrBuilder ir = module.ir();
        List<LLVMValueRef> leaves = objects.leaves(object); // the block's, field i at firstLeaf[i]
        int[] firstLeaf = new int[layout.shape().components().size()];
        for (int i = 1; i < firstLeaf.length; i++) {
            firstLeaf[i] = firstLeaf[i - 1] + layout.shape().components().get(i - 1).shape().leaves().get(0)
                    .llvmTypes().size();
        }
        for (int i : layout.numbers()) {
            LLVMValueRef now = leaves.get(firstLeaf[i]);
            LLVMValueRef value = switch ((JavaType) layout.shape().components().get(i).shape()) {
                case DOUBLE -> now;
                case FLOAT -> ir.fpext(now, ir.f64());
                default -> ir.sitofp(now, ir.f64());
            };
            ir.store(value, element(ir, ir.f64(), numbers, layout.numbers().indexOf(i)));
        }
        for (int i : layout.longs()) {
            ir.store(leaves.get(firstLeaf[i]), element(ir, ir.i64(), longs, layout.longs().indexOf(i)));
        }
    }

    /** The LLVM values of the next leaf, of {@code type}. */
    private static List<LLVMValueRef> take(List<LLVMValueRef> params, int[] next, JavaType type) {
        List<LLVMValueRef> values = params.subList(next[0], next[0] + type.llvmTypes().size());
        next[0] += type.llvmTypes().size();
        return values;
    }

    private static LLVMValueRef element(IrBuilder ir, LLVMTypeRef type, LLVMValueRef data, int index) {
        return ir.inBoundsGep(type, data, ir.constInt(ir.i32(), index));
    }
}
