package jenzyme.runtime.lower;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The {@link DerivativeRule}s one lowering applies, and which derivative the module is lowered for: a rule's
 * Enzyme-facing functions differ by sweep (forward mode needs the tangent function, of the batch width; reverse mode
 * the augmented primal and the gradient), and a primal-only module ({@code %jit}) needs none.
 */
public record DerivativeRules(Map<MethodRef, DerivativeRule> byPrimal, Sweep sweep, int width) {

    /** What the module will be differentiated for. */
    public enum Sweep {
        /** No AD ({@code %jit}): rules only route calls of JVM methods back to the JVM. */
        PRIMAL,
        FORWARD,
        REVERSE,
        /** Forward over reverse (Hessian-vector products): rules do not reach second derivatives. */
        SECOND_ORDER
    }

    public static final DerivativeRules NONE = new DerivativeRules(Map.of(), Sweep.PRIMAL, 1);

    public DerivativeRules {
        byPrimal = Map.copyOf(byPrimal);
    }

    public static DerivativeRules of(Collection<DerivativeRule> rules, Sweep sweep, int width) {
        return new DerivativeRules(rules.stream().collect(Collectors.toMap(DerivativeRule::primal,
                Function.identity(), (a, b) -> b)), sweep, width);
    }

    Optional<DerivativeRule> find(MethodRef method) {
        return Optional.ofNullable(byPrimal.get(method));
    }

    /**
     * Whether {@code method} is a rule's forward or reverse method, compiled for a sweep that uses it: code Enzyme
     * calls as a derivative but never differentiates.
     */
    boolean isRuleMethod(MethodRef method) {
        return switch (sweep) {
            case FORWARD -> byPrimal.values().stream().anyMatch(r -> r.forward().filter(method::equals).isPresent());
            case REVERSE -> byPrimal.values().stream().anyMatch(r -> r.reverse().filter(method::equals).isPresent());
            case PRIMAL, SECOND_ORDER -> false;
        };
    }
}
