package jenzyme.runtime.ad;

import java.util.Optional;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.FieldParameter;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.MethodRef;
import jenzyme.runtime.lower.NativeParameter;

/**
 * Const arrays that compiled code writes with computed values and reads back ({@link EntryPoint#writtenArrays}),
 * as {@link CallingConvention} puts them in the worker request: Enzyme would take their memory as inactive and drop
 * that path from the derivative, so a one-dimensional one becomes a scratch argument (a hidden zeroed shadow of the
 * wrapper's own, {@link Argument}), and a two-dimensional one, whose row table the wrapper cannot shadow, is refused
 * at the line of the store in the user's words.
 */
final class ScratchArguments {

    private ScratchArguments() {}

    /**
     * The argument at {@code llvmIndex} with the user's {@code activity}: scratch when it is such a Const array.
     *
     * @throws LoweringException for such a Const two-dimensional array
     */
    static Argument argument(EntryPoint entry, int llvmIndex, Activity activity, ArgType type) {
        EntryPoint.WrittenArray written = entry.writtenArrays().get(llvmIndex);
        if (activity != Activity.CONST || written == null) {
            return Argument.of(activity, type);
        }
        if (!type.isFloatingPointer()) {
            throw refusedMatrix(entry, llvmIndex, written);
        }
        return Argument.scratch(type);
    }

    /** The refusal of the Const two-dimensional array {@code llvmIndex} (a parameter or a static field). */
    private static LoweringException refusedMatrix(EntryPoint entry, int llvmIndex, EntryPoint.WrittenArray written) {
        Optional<NativeParameter> parameter = entry.parameters().stream().filter(p -> p.llvmIndex() == llvmIndex)
                .findFirst();
        String name;
        JavaType type;
        String hint;
        if (parameter.isPresent()) {
            name = parameter.get().name();
            type = parameter.get().type();
            hint = Messages.WRITTEN_CONST_MATRIX_PARAMETER.format(name, type.javaName());
        } else {
            FieldParameter field = entry.fields().stream().filter(f -> f.llvmIndex() == llvmIndex).findFirst()
                    .orElseThrow();
            name = field.field().javaName();
            type = field.field().type();
            hint = Messages.WRITTEN_CONST_MATRIX_FIELD.format(name);
        }
        MethodRef method = written.method();
        return new LoweringException(Messages.WRITTEN_CONST_MATRIX.format(name, type.javaName(), hint),
                method.owner(), method.name(), method.descriptor(), -1, written.line(), null);
    }
}
