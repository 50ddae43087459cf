package jenzyme.runtime.ad;

import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.ArgType;
import jenzyme.runtime.ad.Argument;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.NativeParameter;

/**
 * Translates a Java-level {@link DerivativeSpec} into the worker's per-LLVM-parameter arguments: the status pointer
 * (Const), then each Java parameter as one scalar or as (data pointer, Const i32 length).
 */
public final class WorkerArguments {

    private WorkerArguments() {}

    public static List<Argument> of(EntryPoint entry, DerivativeSpec spec) {
        List<Argument> arguments = new ArrayList<>();
        arguments.add(Argument.of(Activity.CONST, ArgType.PTR_I32));
        List<NativeParameter> parameters = entry.parameters();
        for (int p = 0; p < parameters.size(); p++) {
            JavaType type = parameters.get(p).type();
            Activity activity = spec.workerActivity(p, type);
            arguments.add(Argument.of(activity, argType(type)));
            if (type.isArray()) {
                arguments.add(Argument.of(Activity.CONST, ArgType.I32));
            }
        }
        return arguments;
    }

    public static Activity returnActivity(EntryPoint entry, Mode mode) {
        if (entry.returnType() == JavaType.VOID) {
            return Activity.CONST;
        }
        return mode == Mode.REVERSE ? Activity.ACTIVE : Activity.DUPLICATED;
    }

    private static ArgType argType(JavaType type) {
        return switch (type) {
            case DOUBLE -> ArgType.DOUBLE;
            case FLOAT -> ArgType.FLOAT;
            case INT -> ArgType.I32;
            case LONG -> ArgType.I64;
            case DOUBLE_ARRAY -> ArgType.PTR_DOUBLE;
            case FLOAT_ARRAY -> ArgType.PTR_FLOAT;
            case INT_ARRAY -> ArgType.PTR_I32;
            case LONG_ARRAY -> ArgType.PTR_I64;
            case BOOLEAN, VOID -> throw new IllegalArgumentException("expected a parameter type the worker "
                    + "differentiates, got " + type.javaName());
        };
    }
}
