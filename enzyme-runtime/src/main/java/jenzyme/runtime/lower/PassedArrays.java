package jenzyme.runtime.lower;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The arrays one lowered method passes to the methods it calls: for each array argument, the caller's parameters
 * and static fields it may be ({@link CarriedArrays#roots}, known once the caller is lowered). {@link ConstantArrays}
 * follows a Const array of the entry through them into a callee's variables.
 */
final class PassedArrays {

    /**
     * One call of {@code callee} (its symbol): per array parameter index of the callee, the caller's parameter indices
     * and the static fields the argument may be.
     */
    record Call(String callee, Map<Integer, Set<Integer>> parameters, Map<Integer, Set<String>> constants) {

        Call {
            parameters = Map.copyOf(parameters);
            constants = Map.copyOf(constants);
        }
    }

    /** A call as lowered: per array parameter of the callee, the argument's {@link CarriedArrays#origins}. */
    private record Passed(String callee, Map<Integer, Set<Integer>> origins) {}

    private final List<Passed> passed = new ArrayList<>();

    /** {@code args} passed to {@code callee}, each where {@code carried} says it comes from. */
    void passed(LoweredFunction callee, List<JValue> args, CarriedArrays carried) {
        Map<Integer, Set<Integer>> origins = new HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).kind() == ValueKind.ARRAY) {
                origins.put(i, carried.origins(args.get(i)));
            }
        }
        if (!origins.isEmpty()) {
            passed.add(new Passed(callee.symbol(), origins));
        }
    }

    /** The calls of {@code method}, once lowered, in terms of its parameters and static fields. */
    List<Call> calls(LoweredFunction method, CarriedArrays carried) {
        int[] parameterSlots = method.signature().parameterSlots();
        List<Call> calls = new ArrayList<>();
        for (Passed call : passed) {
            Map<Integer, Set<Integer>> parameters = new HashMap<>();
            Map<Integer, Set<String>> constants = new HashMap<>();
            call.origins().forEach((index, origins) -> {
                for (int root : carried.roots(origins)) {
                    int parameter = SharedArray.parameterIndex(parameterSlots, root);
                    if (parameter >= 0) {
                        parameters.computeIfAbsent(index, k -> new LinkedHashSet<>()).add(parameter);
                    } else if (carried.staticField(root) != null) {
                        constants.computeIfAbsent(index, k -> new LinkedHashSet<>()).add(carried.staticField(root));
                    }
                }
            });
            if (!parameters.isEmpty() || !constants.isEmpty()) {
                calls.add(new Call(call.callee(), parameters, constants));
            }
        }
        return calls;
    }
}
