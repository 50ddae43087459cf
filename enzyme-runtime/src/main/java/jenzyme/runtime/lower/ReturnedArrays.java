package jenzyme.runtime.lower;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jenzyme.runtime.error.Messages;

/**
 * What each compiled callee returning an array hands its caller, so that the caller sees the JVM's sharing (qa7 R1:
 * {@code double[] same(double[] a) { return a; }} returned a copy, and {@code m = same(a); m[0] += w;} left
 * {@code a} unchanged, silently unlike the JVM):
 * <ul>
 * <li>{@link Kind#NEW}: every {@code return} hands over an array the call made ({@code new}, {@code clone()}, a
 * callee's new array, or a variable only ever given such arrays): copied at the callee's exit, owned by the caller
 * ({@link ArrayHandOver}).</li>
 * <li>{@link Kind#PARAMETER}: every {@code return} hands back the same parameter, never reassigned: the call's result
 * is the caller's own argument, as on the JVM, and nothing is copied or freed.</li>
 * <li>{@link Kind#BORROWED}: every {@code return} hands back one of several parameters ({@code first ? a : b}):
 * the result is the argument the callee chose, not copied and not the caller's to free.</li>
 * <li>{@link Kind#OTHER}: anything else (a parameter on one path and a new array on another, a row of a matrix, a
 * record's component): refused at the caller's line, with the {@code clone()} that makes it a new array.</li>
 * </ul>
 * A caller is lowered before its callees, so the lowering learns these kinds as it lowers each callee's returns and,
 * when one differs from what its callers assumed (new), lowers the module again ({@link BytecodeLowering}).
 *
 * <p>Why not decide at run time (compare the result with each argument, free it only if it is none of them): a
 * result that is a phi of a parameter and a new array made Enzyme cache the wrong shadow (the conditional frees of
 * branch lang-ownership-wip, and the phi {@link ArrayHandOver#copyResult} avoids); a refusal in words is safe.
 */
final class ReturnedArrays {

    enum Kind { NEW, PARAMETER, BORROWED, OTHER }

    /**
     * {@code parameter}: the index of the parameter a PARAMETER method returns; {@code why} and {@code hint}: an
     * OTHER's reason and way on.
     */
    record Returned(Kind kind, int parameter, String why, String hint) {
        static final Returned NEW = new Returned(Kind.NEW, -1, null, null);
    }

    /** By function symbol: what earlier runs of the lowering found. */
    private final Map<String, Returned> known;
    /** What this run found, by function symbol. */
    private final Map<String, Returned> found = new HashMap<>();

    ReturnedArrays() {
        this(Map.of());
    }

    private ReturnedArrays(Map<String, Returned> known) {
        this.known = known;
    }

    /** What {@code function} returns, as far as known (new until its returns are lowered). */
    Returned of(LoweredFunction function) {
        return known.getOrDefault(function.symbol(), Returned.NEW);
    }

    /** Whether every function lowered in this run returns what its callers assumed. */
    boolean settled() {
        return found.entrySet().stream()
                .allMatch(e -> e.getValue().equals(known.getOrDefault(e.getKey(), Returned.NEW)));
    }

    /** The knowledge for the next run: what this one found. */
    ReturnedArrays next() {
        Map<String, Returned> merged = new HashMap<>(known);
        merged.putAll(found);
        return new ReturnedArrays(Map.copyOf(merged));
    }

    /**
     * The arrays one method returns, from the origins {@link CarriedArrays} knows: a new array, the variable it was
     * loaded from (whose stores are followed back to the parameters), or neither.
     */
    static final class Returns {

        private final LoweredFunction method;
        private final CarriedArrays carried;
        private final List<Integer> origins = new ArrayList<>();

        Returns(LoweredFunction method, CarriedArrays carried) {
            this.method = method;
            this.carried = carried;
        }

        /** {@code return array;} */
        void returning(JValue array) {
            origins.addAll(carried.origins(array));
        }

        /** Once the method is lowered: records what it returns in {@code arrays}. */
        void finish(ReturnedArrays arrays) {
            arrays.found.put(method.symbol(), classify());
        }

        private Returned classify() {
            int[] parameterSlots = method.signature().parameterSlots();
            Set<Integer> sources = new HashSet<>(); // parameter indices, NEW_ARRAY or UNKNOWN
            for (int root : carried.roots(origins)) {
                if (root < 0) {
                    sources.add(root <= CarriedArrays.FIRST_STATIC ? CarriedArrays.UNKNOWN : root); // a field's array
                } else {
                    sources.add(SharedArray.parameterIndex(parameterSlots, root));
                }
            }
            if (sources.equals(Set.of(CarriedArrays.NEW_ARRAY))) {
                return Returned.NEW;
            }
            if (sources.size() == 1 && sources.iterator().next() >= 0) {
                return new Returned(Kind.PARAMETER, sources.iterator().next(), null, null);
            }
            if (!sources.isEmpty() && sources.stream().allMatch(s -> s >= 0)) {
                return new Returned(Kind.BORROWED, -1, null, null);
            }
            String parameter = sources.stream().filter(s -> s >= 0).findFirst()
                    .map(i -> method.parameterNames().get(i)).orElse(null);
            if (sources.contains(CarriedArrays.UNKNOWN) || parameter == null) {
                return new Returned(Kind.OTHER, -1, Messages.RETURNS_NOT_ITS_OWN.format(),
                        Messages.RETURNS_NOT_ITS_OWN_HINT.format());
            }
            return new Returned(Kind.OTHER, -1, Messages.RETURNS_PARAMETER_OR_OTHER.format(parameter),
                    Messages.RETURNS_PARAMETER_OR_OTHER_HINT.format(parameter));
        }
    }
}
