package jenzyme.runtime.lower;

import java.util.Objects;
import java.util.Optional;
import jenzyme.runtime.error.Messages;

/**
 * A derivative the user gives for a method of {@code k} double parameters returning double, as Java methods that are
 * compiled like any other: wherever differentiated code calls {@code primal}, Enzyme uses the rule (its custom
 * derivative registration) instead of differentiating the method's body.
 *
 * <ul>
 *   <li>{@code forward}: {@code double fwd(double x1, ..., double xk, double dx1, ..., double dxk)} returns the
 *       directional derivative {@code sum_i df/dxi * dxi};
 *   <li>{@code reverse}: {@code double rev(double x, double dy)} returns {@code dy * df/dx} (k = 1), or
 *       {@code double[] rev(double x1, ..., double xk, double dy)} returns {@code dy * df/dxi} for each i.
 * </ul>
 *
 * <p>{@code inJvm}: the primal is not compiled but called back in the JVM (an FFM upcall, e.g. Hipparchus
 * {@code Erf.erf}); its value comes from the JVM, its derivatives only from the rule.
 */
public record DerivativeRule(MethodRef primal, Optional<MethodRef> forward, Optional<MethodRef> reverse,
                             boolean inJvm) {

    public DerivativeRule {
        Objects.requireNonNull(primal, "primal");
        Objects.requireNonNull(forward, "forward");
        Objects.requireNonNull(reverse, "reverse");
        int k = doubles(primal.descriptor(), "D");
        if (k < 1) {
            throw new IllegalArgumentException(Messages.RULE_PRIMAL_SHAPE.format(primal.asWritten()));
        }
        forward.ifPresent(f -> {
            if (doubles(f.descriptor(), "D") != 2 * k) {
                throw new IllegalArgumentException(Messages.RULE_FORWARD_SHAPE.format(primal.asWritten(),
                        f.asWritten(), 2 * k));
            }
        });
        reverse.ifPresent(r -> {
            boolean scalar = k == 1 && doubles(r.descriptor(), "D") == 2;
            if (!scalar && doubles(r.descriptor(), "[D") != k + 1) {
                throw new IllegalArgumentException(Messages.RULE_REVERSE_SHAPE.format(primal.asWritten(),
                        r.asWritten(), k + 1, k));
            }
        });
    }

    /** Number of double parameters of the primal. */
    public int arity() {
        return doubles(primal.descriptor(), "D");
    }

    /** Whether a method of {@code descriptor} can have a rule: doubles in, a double out. */
    static boolean fitsPrimal(String descriptor) {
        return doubles(descriptor, "D") >= 1;
    }

    /** Whether the reverse rule returns its one partial as a double (else an array of them). */
    boolean scalarReverse() {
        return reverse.map(r -> r.descriptor().endsWith(")D")).orElse(false);
    }

    /** The number of parameters of {@code descriptor} if all are double and it returns {@code result}, else -1. */
    private static int doubles(String descriptor, String result) {
        if (!descriptor.startsWith("(") || !descriptor.endsWith(")" + result)) {
            return -1;
        }
        String parameters = descriptor.substring(1, descriptor.length() - result.length() - 1);
        return parameters.chars().allMatch(c -> c == 'D') ? parameters.length() : -1;
    }
}
