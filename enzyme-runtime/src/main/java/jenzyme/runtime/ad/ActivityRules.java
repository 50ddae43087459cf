package jenzyme.runtime.ad;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jenzyme.runtime.error.DifferentiationException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.NativeParameter;
import jenzyme.runtime.lower.ObjectLayout;
import jenzyme.runtime.lower.RecordShape;

/**
 * Which activity each Java parameter gets, and which it may have: the Java defaults (floating scalars Active,
 * floating arrays, one- or two-dimensional, Duplicated, the rest Const) with per-parameter overrides, checked against the parameter types so
 * that a bad magic line is refused with the parameter's name before anything reaches the worker. The only place
 * activity rules are decided; {@link CallingConvention} applies them.
 */
final class ActivityRules {

    private ActivityRules() {}

    /** The defaults for {@code entry}, with {@code overrides} (parameter name → activity) applied and checked. */
    static List<Activity> activities(EntryPoint entry, Mode mode, Map<String, Activity> overrides) {
        List<NativeParameter> parameters = entry.parameters();
        for (String name : overrides.keySet()) {
            if (parameters.stream().noneMatch(p -> covers(name, p))) {
                refuseCopiedField(entry, name);
                List<String> names = entry.declared().stream().map(EntryPoint.JavaParameter::name).toList();
                throw DifferentiationException.refused(entry.methodAsWritten(), (entry.hasRecordParameters()
                        ? Messages.RECORD_PARAMETER_NAME : Messages.UNKNOWN_PARAMETER).format(
                        entry.methodAsWritten(), String.join(", ", names), name));
            }
        }
        java.util.Set<Integer> captured = new java.util.HashSet<>();
        for (EntryPoint.JavaParameter declared : entry.declared()) {
            if (declared.shape() instanceof jenzyme.runtime.lower.RecordShape lambda && lambda.isFunctional()) {
                for (int leaf = declared.first(); leaf < declared.first() + declared.leafCount(); leaf++) {
                    captured.add(leaf); // what a lambda captured is a constant of the call, like a static field
                }
            }
        }
        List<Activity> activities = new ArrayList<>();
        for (NativeParameter parameter : parameters) {
            Activity activity = captured.contains(activities.size()) ? Activity.CONST
                    : override(overrides, parameter).orElse(defaultActivity(parameter.type()));
            check(entry, parameter, activity, mode);
            activities.add(activity);
        }
        if (activities.stream().allMatch(a -> a == Activity.CONST)) {
            throw DifferentiationException.refused(entry.methodAsWritten(), Messages.NOTHING_TO_DIFFERENTIATE.format());
        }
        JavaType result = entry.returnType();
        boolean floatingResult = result == JavaType.DOUBLE || result == JavaType.FLOAT || entry.returnsArray();
        if (!floatingResult && result != JavaType.VOID) {
            throw DifferentiationException.refused(entry.methodAsWritten(),
                    Messages.RESULT_NOT_FLOATING.format(entry.methodName(), result.javaName()));
        }
        return activities;
    }

    /**
     * Refuses {@code q.total=...} for a number or long field of an object from the JVM compiled code writes, naming
     * why: those fields travel together in one array ({@link ObjectLayout}), so they take one activity.
     */
    private static void refuseCopiedField(EntryPoint entry, String name) {
        int dot = name.indexOf('.');
        for (EntryPoint.JavaParameter declared : entry.declared()) {
            if (dot > 0 && declared.name().equals(name.substring(0, dot)) && ObjectLayout.isCopied(declared.shape())
                    && ((RecordShape) declared.shape()).components().stream()
                    .anyMatch(c -> c.name().equals(name.substring(dot + 1)))) {
                throw DifferentiationException.refused(entry.methodAsWritten(), Messages.COPIED_FIELD_ACTIVITY.format(
                        name, name.substring(dot + 1), declared.name(), declared.shape().javaName()));
            }
        }
    }

    /**
     * Whether the magic line's {@code name} applies to {@code parameter}: its own name, or a record parameter or
     * component that holds it ({@code s} and {@code s.pos} both cover {@code s.pos.x}).
     */
    private static boolean covers(String name, NativeParameter parameter) {
        return parameter.name().equals(name) || parameter.name().startsWith(name + ".");
    }

    /** The override of the most specific name that covers {@code parameter} ({@code s.x=...} wins over {@code s=...}). */
    private static java.util.Optional<Activity> override(Map<String, Activity> overrides, NativeParameter parameter) {
        return overrides.entrySet().stream().filter(e -> covers(e.getKey(), parameter))
                .max(java.util.Comparator.comparingInt(e -> e.getKey().length())).map(Map.Entry::getValue);
    }

    static Activity defaultActivity(JavaType type) {
        return switch (type) {
            case DOUBLE, FLOAT -> Activity.ACTIVE;
            case DOUBLE_ARRAY, FLOAT_ARRAY, DOUBLE_MATRIX, FLOAT_MATRIX -> Activity.DUPLICATED;
            default -> Activity.CONST;
        };
    }

    private static void check(EntryPoint entry, NativeParameter parameter, Activity activity, Mode mode) {
        JavaType type = parameter.type();
        boolean floating = type == JavaType.DOUBLE || type == JavaType.FLOAT;
        boolean floatingArray = type == JavaType.DOUBLE_ARRAY || type == JavaType.FLOAT_ARRAY
                || type == JavaType.DOUBLE_MATRIX || type == JavaType.FLOAT_MATRIX;
        String problem = switch (activity) {
            case CONST -> null;
            case ACTIVE -> floating ? null : Messages.ACTIVE_NEEDS_SCALAR.format();
            case DUPLICATED, DUPLICATED_NONEED -> floatingArray ? null
                    : floating && mode == Mode.REVERSE ? Messages.SCALAR_IS_ACTIVE.format(activity)
                    : floating ? null : Messages.DUPLICATED_NEEDS_ARRAY.format();
        };
        if (problem != null) {
            throw DifferentiationException.refused(entry.methodAsWritten(),
                    Messages.ACTIVITY_MISFIT.format(parameter.name(), type.javaName(), activity, problem));
        }
    }
}
