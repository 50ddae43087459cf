package jenzyme.runtime.ad;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import jenzyme.runtime.error.DifferentiationException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.NativeParameter;

/**
 * Which array of a vector function is its input x and which its output y, for the Jacobian dy/dx: the output is
 * the returned {@code double[]} (the hidden {@link EntryPoint#RESULT_NAME} parameter), else {@code --out} or the last
 * {@code double[]} parameter of a void method; the input is {@code --wrt} or the first other {@code double[]}
 * parameter (an instance method's receiver's array fields only when named). Every other parameter is Const. The {@link CallingConvention} of each sweep is this shape's
 * {@link #activities()} applied as overrides.
 *
 * @param input  index (in {@link EntryPoint#parameters()}) of x
 * @param output index of y
 */
public record JacobianShape(EntryPoint entry, int input, int output) {

    /** @throws DifferentiationException in the user's words when the method has no such input or output */
    public static JacobianShape of(EntryPoint entry, Optional<String> wrt, Optional<String> out) {
        List<NativeParameter> parameters = entry.parameters();
        int output;
        if (entry.returnsArray()) {
            output = parameters.size() - 1;
        } else if (entry.returnType() != JavaType.VOID) {
            throw refused(entry, Messages.JACOBIAN_OUTPUT.format(entry.methodName(), entry.methodAsWritten()));
        } else if (out.isPresent()) {
            output = named(entry, "out", out.get());
        } else {
            output = lastArray(parameters);
            if (output < 0 || parameters.stream().filter(JacobianShape::byDefault).count() < 2) {
                throw refused(entry, Messages.JACOBIAN_OUTPUT.format(entry.methodName(), entry.methodAsWritten()));
            }
        }
        int input = wrt.isPresent() ? named(entry, "wrt", wrt.get()) : firstArrayBut(parameters, output);
        if (input < 0) {
            throw refused(entry, Messages.JACOBIAN_INPUT.format(entry.methodAsWritten(), ""));
        }
        if (input == output) {
            throw refused(entry, Messages.JACOBIAN_SAME.format(entry.methodAsWritten(), parameters.get(input).name()));
        }
        return new JacobianShape(entry, input, output);
    }

    /** The overrides of every sweep: x and y Duplicated, the rest Const. */
    public Map<String, Activity> activities() {
        Map<String, Activity> activities = new LinkedHashMap<>();
        for (int p = 0; p < entry.parameters().size(); p++) {
            activities.put(entry.parameters().get(p).name(),
                    p == input || p == output ? Activity.DUPLICATED : Activity.CONST);
        }
        return activities;
    }

    public NativeParameter inputParameter() {
        return entry.parameters().get(input);
    }

    public NativeParameter outputParameter() {
        return entry.parameters().get(output);
    }

    private static int named(EntryPoint entry, String option, String name) {
        List<NativeParameter> parameters = entry.javaParameters();
        for (int p = 0; p < parameters.size(); p++) {
            if (parameters.get(p).name().equals(name) && parameters.get(p).type() == JavaType.DOUBLE_ARRAY) {
                return p;
            }
        }
        throw refused(entry, Messages.JACOBIAN_NOT_ARRAY.format(option, entry.methodAsWritten(), name));
    }

    /**
     * Whether {@code parameter} may be x or y without being named: a {@code double[]} parameter of the method, not an
     * array field of an instance method's receiver ({@code this.w}: its fields are the model, x and y its arguments).
     */
    private static boolean byDefault(NativeParameter parameter) {
        return parameter.type() == JavaType.DOUBLE_ARRAY && !parameter.name().startsWith("this.");
    }

    private static int lastArray(List<NativeParameter> parameters) {
        for (int p = parameters.size() - 1; p >= 0; p--) {
            if (byDefault(parameters.get(p))) {
                return p;
            }
        }
        return -1;
    }

    private static int firstArrayBut(List<NativeParameter> parameters, int output) {
        for (int p = 0; p < parameters.size(); p++) {
            if (p != output && byDefault(parameters.get(p))) {
                return p;
            }
        }
        return -1;
    }

    private static DifferentiationException refused(EntryPoint entry, String problem) {
        return DifferentiationException.refused(entry.methodAsWritten(), problem);
    }
}
