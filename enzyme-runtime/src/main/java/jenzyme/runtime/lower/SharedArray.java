package jenzyme.runtime.lower;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import jenzyme.runtime.error.DifferentiationException;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.error.Messages;

/**
 * An array variable of a lowered method that holds one of its array parameters at one assignment
 * and another array at another: {@code double[] u = u0;} then {@code u = step(u);} (u then gets an array of its own,
 * {@link CarriedArrays}), or {@code double[] c = w > 0.5 ? a : b;}. With that parameter Const the variable holds a
 * constant array on one path and an active one on another, which Enzyme refuses as "mixed activity" in the words of
 * its IR ({@code %u.addr.0 = phi ptr ...}); the pipeline refuses it first, in the user's words, when it knows the
 * activities ({@link #refusal}): in the entry, and in a callee given a constant array ({@link ConstantArrays}).
 *
 * <p>Why a refusal rather than a shadow for the Const array (Enzyme would then accept the variable): that needs a
 * scratch shadow per call through the calling convention and its Rust twin; {@code u0.clone()} is the one-word way.
 */
public record SharedArray(String variable, List<Assignment> assignments) implements java.io.Serializable {

    /**
     * One assignment: its source line, the parameters and the static fields (notebook variables, always Const) the
     * array may be, whether it may be another array.
     */
    public record Assignment(int line, Set<String> parameters, Set<String> constants, boolean other)
            implements java.io.Serializable {

        public Assignment {
            parameters = Set.copyOf(parameters);
            constants = Set.copyOf(constants);
        }

        /** The parameters and static fields the array may be. */
        Set<String> held() {
            Set<String> held = new LinkedHashSet<>(parameters);
            held.addAll(constants);
            return held;
        }
    }

    public SharedArray {
        assignments = List.copyOf(assignments);
    }

    /** The array variables of {@code method} (lowered, {@code carried} its arrays) that may hold a parameter and more. */
    static List<SharedArray> of(LoweredFunction method, CarriedArrays carried, CodePlan plan) {
        int[] parameterSlots = method.signature().parameterSlots();
        List<SharedArray> shared = new ArrayList<>();
        for (Map.Entry<Integer, Map<Integer, Set<Integer>>> variable : carried.assignments().entrySet()) {
            List<Assignment> assignments = new ArrayList<>();
            int own = parameterIndex(parameterSlots, variable.getKey());
            if (own >= 0) { // its first "assignment": the call's argument
                assignments.add(new Assignment(-1, Set.of(method.parameterNames().get(own)), Set.of(), false));
            }
            variable.getValue().forEach((bci, origins) -> {
                Set<String> parameters = new LinkedHashSet<>();
                boolean other = false;
                Set<String> constants = new LinkedHashSet<>();
                for (int root : carried.roots(origins)) {
                    int parameter = parameterIndex(parameterSlots, root);
                    if (parameter >= 0) {
                        parameters.add(method.parameterNames().get(parameter));
                    } else if (carried.staticField(root) != null) {
                        constants.add(carried.staticField(root));
                    } else {
                        other = true;
                    }
                }
                assignments.add(new Assignment(plan.line(bci), parameters, constants, other));
            });
            boolean holdsParameter = assignments.stream().anyMatch(a -> !a.held().isEmpty());
            boolean holdsMore = assignments.stream().anyMatch(a -> a.other())
                    || assignments.stream().flatMap(a -> a.held().stream()).distinct().count() > 1;
            if (holdsParameter && holdsMore) {
                shared.add(new SharedArray(carried.variableName(variable.getKey()), assignments));
            }
        }
        return shared;
    }

    /** The index of the parameter in {@code slot}, or -1 (NEW_ARRAY, UNKNOWN and locals are none). */
    static int parameterIndex(int[] parameterSlots, int slot) {
        for (int i = 0; i < parameterSlots.length; i++) {
            if (parameterSlots[i] == slot) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Enzyme's "mixed activity" refusal of {@code entry}'s derivative in the user's words, for what {@link #refusal}
     * cannot see (a callee's variable, a parameter its caller passes Const). Enzyme names an IR value, which after
     * LLVM's passes is seldom the variable ({@code %b.a.i = select i1 %9, ptr %b, ptr %a}), and the constant array,
     * which is a parameter's or a static field's own name ({@code const val: ptr %a}, {@code %static.Cls.DATA}): the
     * message names that array. Anything else unchanged.
     */
    public static DifferentiationException inWords(DifferentiationException raw, EntryPoint entry) {
        if (!raw.workerMessage().contains(MIXED)) {
            return raw;
        }
        if (LOOP_ALLOCATION_CELL.matcher(raw.workerMessage()).find()) {
            return DifferentiationException.reworded(raw, Messages.CANNOT_DIFFERENTIATE_REQUEST.format(
                    entry.methodAsWritten(), Messages.MIXED_ACTIVITY_LOOP_CONSTANTS.format()));
        }
        java.util.regex.Matcher constant = CONSTANT.matcher(raw.workerMessage());
        String problem = constant.find() ? Messages.MIXED_ACTIVITY_OF.format(constant.group(1).replaceFirst(
                "^static\\..*\\.", "")) : Messages.MIXED_ACTIVITY.format();
        return DifferentiationException.reworded(raw, Messages.CANNOT_DIFFERENTIATE_REQUEST.format(
                entry.methodAsWritten(), problem));
    }

    private static final String MIXED = "Enzyme (mixed activity): Mismatched activity";
    /**
     * A phi of the exit paths' cell of an array allocated in a loop ({@link ExitPaths#newAllocationSlot}, and a
     * matrix's {@code new.rows}): measured in forward mode for an array allocated in a loop inside a loop whose values
     * do not depend on the inputs (the row {1, -h} of a Jacobian literal with h fixed): Enzyme proves the allocation
     * constant from its uses but takes the cell's phis, across both loops, for active. No Const array is involved.
     * The pipeline lowers such arrays again as inactive ({@link ConstantLoopArrays}); what is left here is what that
     * does not reach (an array a callee returns into the loop: its allocation is the callee's).
     */
    private static final java.util.regex.Pattern LOOP_ALLOCATION_CELL = java.util.regex.Pattern.compile(
            "Mismatched activity for:\\s+%(?:new\\.(?:array|rows)(?![a-z])|loop\\.)");
    /** The constant Enzyme quotes when it is an argument or a static field: a pointer with a name of ours. */
    private static final java.util.regex.Pattern CONSTANT = java.util.regex.Pattern.compile(
            "const val: ptr %([A-Za-z_$][A-Za-z0-9_$.]*)\\s*$");

    /**
     * The refusal, at the line of the assignment that gives the variable another array, when the parameters of
     * {@code method} that {@code constant} names hold constant arrays (its own Const parameters for the entry, what
     * its callers pass for a callee: {@link ConstantArrays}) and the variable may hold one of them.
     */
    Optional<LoweringException> refusal(MethodRef method, Map<String, ConstantArrays.Origin> constant) {
        Optional<String> field = assignments.stream().flatMap(a -> a.constants().stream()).findFirst();
        Optional<String> held = field.or(() -> assignments.stream().flatMap(a -> a.parameters().stream())
                .filter(constant::containsKey).findFirst());
        Optional<Assignment> active = assignments.stream()
                .filter(a -> a.other() || a.parameters().stream().anyMatch(p -> !constant.containsKey(p))).findFirst();
        if (held.isEmpty() || active.isEmpty()) {
            return Optional.empty();
        }
        ConstantArrays.Origin origin = field.isPresent() ? null : constant.get(held.get());
        String leaveActive = origin == null || origin.entryParameter() == null ? ""
                : Messages.SHARED_ARRAY_LEAVE_ACTIVE.format(origin.entryParameter());
        String problem = origin == null || origin.words() == null
                ? Messages.SHARED_ARRAY_MIXED.format(variable, held.get(), leaveActive)
                : Messages.SHARED_ARRAY_MIXED_PASSED.format(variable, held.get(), origin.words(), leaveActive);
        return Optional.of(new LoweringException(problem, method.owner(), method.name(), method.descriptor(), -1,
                active.get().line(), null));
    }
}
