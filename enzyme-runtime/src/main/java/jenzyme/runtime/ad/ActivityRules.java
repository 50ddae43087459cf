package jenzyme.runtime.ad;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.NativeParameter;

/**
 * Which activity each Java parameter gets, and which it may have: the Java defaults (floating scalars Active,
 * floating arrays Duplicated, the rest Const) with per-parameter overrides, checked against the parameter types so
 * that a bad magic line is refused with the parameter's name before anything reaches the worker. The only place
 * activity rules are decided; {@link CallingConvention} applies them.
 */
final class ActivityRules {

    private ActivityRules() {}

    /** The defaults for {@code entry}, with {@code overrides} (parameter name → activity) applied and checked. */
    static List<Activity> activities(EntryPoint entry, Mode mode, Map<String, Activity> overrides) {
        List<NativeParameter> parameters = entry.parameters();
        for (String name : overrides.keySet()) {
            if (parameters.stream().noneMatch(p -> p.name().equals(name))) {
                throw new IllegalArgumentException("expected a parameter of " + entry.javaSignature() + " ("
                        + String.join(", ", parameters.stream().map(NativeParameter::name).toList())
                        + "), got '" + name + "'");
            }
        }
        List<Activity> activities = new ArrayList<>();
        for (NativeParameter parameter : parameters) {
            Activity activity = overrides.getOrDefault(parameter.name(), defaultActivity(parameter.type()));
            check(parameter, activity, mode);
            activities.add(activity);
        }
        if (activities.stream().allMatch(a -> a == Activity.CONST)) {
            throw new IllegalArgumentException("nothing to differentiate: every parameter of "
                    + entry.javaSignature() + " is Const");
        }
        JavaType result = entry.returnType();
        boolean floatingResult = result == JavaType.DOUBLE || result == JavaType.FLOAT;
        if (!floatingResult && result != JavaType.VOID) {
            throw new IllegalArgumentException("expected " + entry.methodName() + " to return double, float or void "
                    + "(outputs in arrays), got " + result.javaName());
        }
        return activities;
    }

    static Activity defaultActivity(JavaType type) {
        return switch (type) {
            case DOUBLE, FLOAT -> Activity.ACTIVE;
            case DOUBLE_ARRAY, FLOAT_ARRAY -> Activity.DUPLICATED;
            default -> Activity.CONST;
        };
    }

    private static void check(NativeParameter parameter, Activity activity, Mode mode) {
        JavaType type = parameter.type();
        boolean floating = type == JavaType.DOUBLE || type == JavaType.FLOAT;
        boolean floatingArray = type == JavaType.DOUBLE_ARRAY || type == JavaType.FLOAT_ARRAY;
        String problem = switch (activity) {
            case CONST -> null;
            case ACTIVE -> floating ? null : "Active applies to double or float scalars";
            case DUPLICATED, DUPLICATED_NONEED -> floatingArray ? null
                    : floating && mode == Mode.REVERSE ? "a scalar is Active in reverse mode, not " + activity
                    : floating ? null : "Duplicated applies to double[] or float[]";
        };
        if (type == JavaType.BOOLEAN) {
            problem = "boolean parameters are not supported by %autodiff yet (pass an int)";
        }
        if (problem != null) {
            throw new IllegalArgumentException("parameter " + parameter.name() + " (" + type.javaName() + ") cannot be "
                    + activity + ": " + problem);
        }
    }
}
