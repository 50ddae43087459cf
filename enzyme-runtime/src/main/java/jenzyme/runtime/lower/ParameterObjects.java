package jenzyme.runtime.lower;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Objects from the JVM whose fields compiled code writes: a parameter (or the receiver) of the method you compile
 * whose class is written ({@link RecordShape#isWritten}). The binding passes such an object as one {@code double[]}
 * holding its fields' values in declaration order (copy-in), and copies the array back into the object's fields after
 * the call, also when it throws (copy-out). So the entry takes the array, copies it into the object's block at its
 * start ({@link WrittenObjects}, where every name of the object sees every write) and stores the block back at every
 * exit ({@link ExitPaths#beforeLeaving}).
 *
 * <p>One {@code double[]}, not a parameter per field: the calling convention ({@code ad.CallingConvention}) and the
 * worker's wrapper already take a Duplicated {@code double[]}, and its shadow is what a derivative needs. In reverse
 * mode the binding zeroes the shadow (the fields' values after the call are outputs nobody differentiates), and after
 * the sweep it holds the partials with respect to the fields' values at entry: the object's gradient. A {@code double}
 * holds every field of type int, float or boolean exactly; a {@code long} field (not exactly a double beyond 2^53),
 * an array, record or object field keeps the class refused as a parameter ({@link #problem}).
 */
final class ParameterObjects {

    private ParameterObjects() {}

    /** Why objects of {@code shape} cannot be copied in and out as a {@code double[]}, or empty when they can. */
    static Optional<String> problem(RecordShape shape) {
        return shape.components().stream()
                .filter(c -> !(c.shape() instanceof JavaType type) || type.isArray() || type == JavaType.LONG)
                .map(RecordShape.Component::name)
                .findFirst();
    }

    /**
     * The object the entry receives as {@code data} (its fields' values as doubles): a block of the method holding
     * them with their own types; {@code exits} copies the block back into {@code data} whenever the call leaves.
     */
    static JValue copyIn(IrModule module, WrittenObjects objects, ExitPaths exits, RecordShape shape,
                         LLVMValueRef data) {
        IrBuilder ir = module.ir();
        List<LLVMValueRef> leaves = new ArrayList<>();
        for (int i = 0; i < shape.components().size(); i++) {
            JavaType type = (JavaType) shape.components().get(i).shape();
            LLVMValueRef value = ir.load(ir.f64(), element(ir, data, i), shape.components().get(i).name());
            leaves.add(switch (type) {
                case DOUBLE -> value;
                case FLOAT -> ir.fptrunc(value, ir.f32());
                default -> ir.fptosi(value, module.boundaryType(type)); // int, boolean (i8), exact from their double
            });
        }
        JValue object = objects.create(shape, leaves);
        exits.beforeLeaving(() -> {
            List<LLVMValueRef> now = objects.leaves(object);
            for (int i = 0; i < now.size(); i++) {
                JavaType type = (JavaType) shape.components().get(i).shape();
                LLVMValueRef value = switch (type) {
                    case DOUBLE -> now.get(i);
                    case FLOAT -> ir.fpext(now.get(i), ir.f64());
                    default -> ir.sitofp(now.get(i), ir.f64());
                };
                ir.store(value, element(ir, data, i));
            }
        });
        return object;
    }

    private static LLVMValueRef element(IrBuilder ir, LLVMValueRef data, int index) {
        LLVMTypeRef f64 = ir.f64();
        return ir.inBoundsGep(f64, data, ir.constInt(ir.i32(), index));
    }
}
