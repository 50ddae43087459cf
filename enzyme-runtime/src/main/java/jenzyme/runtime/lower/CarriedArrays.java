package jenzyme.runtime.lower;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jenzyme.runtime.error.Messages;

/**
 * A loop array assigned to a variable declared outside the loop — {@code y = rk4Step(t, y, h);},
 * {@code if (err < tol) y = ynew;} — is carried by value: its elements are copied into the array the variable
 * already holds, which the variable keeps for the whole loop, and the loop's array is freed when its site runs again
 * ({@link LoopAllocations}). That is what a scientist writing {@code System.arraycopy(ynew, 0, y, 0, n)} does by
 * hand, and gives the JVM's results as long as nothing else sees the variable's array. A variable whose array
 * others may see when the loop starts — a parameter, {@code double[] u = u0;}, one copied with {@code w = u;} or put
 * into a record — shares it like on the JVM until its first carried assignment, which gives it an array of its own
 * (allocated once, freed at the exit) before copying: then {@code u0} keeps its values, as on the JVM. While the loop
 * can still assign it, the variable's array must not be copied into another variable, a record, or across a
 * {@code ?:}, nor may the variable be given an array that is not new; and the new array must have its length (a
 * different length raises an exception naming the line). Anything else is refused at its line, with the
 * {@code clone()} that makes it work. This class decides and checks; the code of the copies is
 * {@link CarriedCopies}'.
 *
 * <p>It also follows where each array value comes from ({@link #origins}: new, a variable, a static field, or
 * several across a jump), for {@link ReturnedArrays} and {@link SharedArray}.
 *
 * <p>Why by value rather than handing the variable the new array and freeing the old one: Enzyme kept such frees in
 * the forward sweep and read the freed arrays in the reverse sweep (an SIR integrator's d/dt came out 1% off, or
 * NaN), and a variable switching between a constant start array and computed ones was refused as "mismatched
 * activity". A variable that keeps one array is an in-place update, which Enzyme differentiates like any other.
 */
final class CarriedArrays {

    /** {@code origins}: {@link #origins} of the array stored, for {@link ReturnedArrays}. */
    private record Store(int slot, int bci, boolean fresh, int source, Set<Integer> origins) {}

    private final CarriedCopies copies;
    private final CodePlan plan;
    /** Locals and the array components of record locals ({@link Variables}): the "slots" below. */
    private final Variables variables;
    private final Set<Integer> parameters = new HashSet<>();
    /** New arrays not yet stored into a variable. */
    private final Set<JValue> fresh = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    /** Arrays loaded from a variable (or stored into one), by that variable. */
    private final Map<JValue, Integer> loadedFrom = new IdentityHashMap<>();
    /** Carried assignments: variable and the offsets that assign it. */
    private final Map<Integer, List<Integer>> carried = new java.util.TreeMap<>();
    private final List<Store> stores = new ArrayList<>();
    /** Offsets of the loads of each variable. */
    private final Map<Integer, List<Integer>> loads = new java.util.HashMap<>();
    /** Carried assignments from a variable ({@code y = next}): source variable, offset, target variable. */
    private final List<int[]> copiedFrom = new ArrayList<>();
    /** Rows read from a matrix loaded from a variable, by that variable ({@link #row}). */
    private final Map<JValue, Integer> rowsOf = new IdentityHashMap<>();
    /** Variables whose array became part of a record or crossed a jump, with the offset. */
    private final List<int[]> escapes = new ArrayList<>();
    /** Origins of the arrays on each jump target's operand stack entry ("target:depth"), as jumps spill them. */
    private final Map<String, Set<Integer>> spilled = new java.util.HashMap<>();
    /** Arrays loaded at a jump target, with the origins of what each jump there carried (the set grows with them). */
    private final Map<JValue, Set<Integer>> merged = new IdentityHashMap<>();

    CarriedArrays(IrModule module, FrameSlots slots, ExitPaths exits, CodePlan plan, Variables variables,
                  int[] parameterSlots) {
        this.variables = variables;
        this.copies = new CarriedCopies(module, slots, exits, variables);
        this.plan = plan;
        for (int slot : parameterSlots) {
            parameters.add(slot);
        }
    }

    /** {@link #origins} of a new array. */
    static final int NEW_ARRAY = -2;
    /** {@link #origins} of an array that is neither new nor a variable's (a row, a record's component, a field). */
    static final int UNKNOWN = -1;
    /** {@link #origins} of the arrays of static fields: this, one less for the next field read, and so on. */
    static final int FIRST_STATIC = -3;
    private final List<String> staticFields = new ArrayList<>();

    /**
     * {@code array} is a new array of this call ({@code new}, {@code clone()}, a callee's new result). Matrices too:
     * only {@link ReturnedArrays} asks about them (a matrix made in a loop is never carried).
     */
    JValue made(JValue array) {
        if (array != null && array.kind() == ValueKind.ARRAY) {
            fresh.add(array);
        }
        return array;
    }

    /**
     * Where {@code array} (about to be returned or stored) may come from: {@link #NEW_ARRAY}, a variable's slot, or
     * UNKNOWN; several for a value that crossed a jump ({@code first ? a : b}).
     */
    Set<Integer> origins(JValue array) {
        if (fresh.contains(array)) {
            return Set.of(NEW_ARRAY);
        }
        Integer slot = loadedFrom.get(array);
        return slot != null ? Set.of(slot) : merged.getOrDefault(array, Set.of(UNKNOWN));
    }

    /**
     * {@code origins} followed back through the variables' stores, once the method is lowered: {@link #NEW_ARRAY},
     * {@link #UNKNOWN}, and the slots of the parameters reached.
     */
    Set<Integer> roots(java.util.Collection<Integer> origins) {
        Set<Integer> roots = new HashSet<>();
        Set<Integer> visited = new HashSet<>();
        List<Integer> pending = new ArrayList<>(origins);
        while (!pending.isEmpty()) {
            int origin = pending.removeLast();
            if (origin < 0 || parameters.contains(origin)) {
                roots.add(origin);
            } else if (variables.isComponent(origin) && originsOfStores(origin).isEmpty()) {
                roots.add(UNKNOWN); // a component of a record parameter
            }
            if (origin >= 0 && visited.add(origin)) {
                pending.addAll(originsOfStores(origin));
            }
        }
        return roots;
    }

    /**
     * The assignments of each array variable, once the method is lowered: offset and {@link #origins} of each store,
     * a carried assignment as a new array.
     */
    Map<Integer, Map<Integer, Set<Integer>>> assignments() {
        Map<Integer, Map<Integer, Set<Integer>>> bySlot = new java.util.TreeMap<>();
        stores.forEach(s -> bySlot.computeIfAbsent(s.slot(), k -> new java.util.TreeMap<>()).put(s.bci(), s.origins()));
        carried.forEach((slot, at) -> at.forEach(bci -> bySlot.computeIfAbsent(slot, k -> new java.util.TreeMap<>())
                .put(bci, Set.of(NEW_ARRAY))));
        return bySlot;
    }

    /** {@code result}, which a callee chose among {@code args} ({@link ReturnedArrays}): any of their origins. */
    JValue chosen(List<JValue> args, JValue result) {
        Set<Integer> origins = new HashSet<>();
        args.stream().filter(a -> a.kind() == ValueKind.ARRAY).forEach(a -> origins.addAll(origins(a)));
        merged.put(result, origins);
        return result;
    }

    /** {@code array}, read from static field {@code name} (a notebook variable or constant: always Const). */
    JValue readStatic(JValue array, String name) {
        if (array.kind() == ValueKind.ARRAY) {
            if (!staticFields.contains(name)) {
                staticFields.add(name);
            }
            merged.put(array, Set.of(FIRST_STATIC - staticFields.indexOf(name)));
        }
        return array;
    }

    /** The static field a {@link #roots} member below {@link #FIRST_STATIC} stands for, else null. */
    String staticField(int root) {
        return root <= FIRST_STATIC ? staticFields.get(FIRST_STATIC - root) : null;
    }

    /** {@code value} goes to operand stack entry {@code depth} of the block at {@code target}. */
    void spilled(int target, int depth, JValue value) {
        if (value.kind() == ValueKind.ARRAY) {
            spilled.computeIfAbsent(target + ":" + depth, key -> new HashSet<>()).addAll(origins(value));
        }
    }

    /** {@code value}, loaded from operand stack entry {@code depth} at the block at {@code target}. */
    JValue arrived(int target, int depth, JValue value) {
        if (value.kind() == ValueKind.ARRAY) {
            merged.put(value, spilled.computeIfAbsent(target + ":" + depth, key -> new HashSet<>()));
        }
        return value;
    }

    /**
     * The {@link #origin}s of every array stored into variable {@code slot}, once the method is lowered: a carried
     * assignment leaves the variable an array of its own ({@link CarriedCopies}) or the one it held, so it adds a new one.
     */
    List<Integer> originsOfStores(int slot) {
        List<Integer> origins = new ArrayList<>(stores.stream().filter(s -> s.slot() == slot)
                .flatMap(s -> s.origins().stream()).toList());
        if (carried.containsKey(slot)) {
            origins.add(NEW_ARRAY);
        }
        return origins;
    }

    /** The name of variable {@code slot} ({@link Variables}) in messages: {@code y}, {@code s.y}. */
    String variableName(int slot) {
        return variables.name(slot);
    }

    /** Whether {@code value} is a new array not yet stored into a variable (nothing else holds it). */
    boolean isNew(JValue value) {
        return fresh.contains(value);
    }

    /** {@code kept}, the same array as {@code given} (a record's component): new, or loaded from a variable, if it was. */
    void inherit(JValue given, JValue kept) {
        if (fresh.remove(given)) {
            fresh.add(kept);
        }
        Integer variable = loadedFrom.get(given);
        if (variable != null) {
            loadedFrom.put(kept, variable);
        }
    }

    /**
     * {@code row}, read from {@code matrix}: if the matrix was loaded from a variable, the row is part of that
     * variable's array, so storing it elsewhere is a copy of the variable ({@code double[] r = J[0]}).
     */
    JValue row(JValue matrix, JValue row) {
        Integer variable = loadedFrom.get(matrix);
        if (variable != null && matrix.isMatrix()) {
            rowsOf.put(row, variable); // not loadedFrom: the row is not the variable's array ({@link #origins})
        }
        return row;
    }

    /** {@code cast}: {@code array} cast to its type ({@code (double[]) a.clone()}), new if it was. */
    JValue recast(JValue array, JValue cast) {
        if (fresh.remove(array)) {
            fresh.add(cast);
        }
        return cast;
    }

    /** A load of variable {@code slot}. */
    JValue loaded(int slot, JValue value, int bci) {
        if (value.kind() == ValueKind.ARRAY) {
            loadedFrom.put(value, slot);
            loads.computeIfAbsent(slot, s -> new ArrayList<>()).add(bci);
        }
        return value;
    }

    /** {@code value} stored into variable {@code slot} at {@code bci} as usual (not carried). */
    void stored(int slot, JValue value, int bci) {
        if (value.kind() != ValueKind.ARRAY) {
            return;
        }
        Set<Integer> origins = origins(value);
        boolean isNew = fresh.remove(value);
        stores.add(new Store(slot, bci, isNew, isNew ? -1 : loadedFrom.getOrDefault(value,
                rowsOf.getOrDefault(value, -1)), origins));
        loadedFrom.put(value, slot); // a dup'ed new array stored again is a copy of this variable
    }

    /** {@code value} becomes part of a record, or crosses a jump, at {@code bci}. */
    void escapes(JValue value, int bci) {
        for (JValue array : value.arrays()) { // an array, or a record's arrays
            Integer slot = loadedFrom.get(array);
            if (slot != null) {
                escapes.add(new int[] {slot, bci});
            }
        }
    }

    /**
     * {@code y = ynew} of a loop array into variable {@code slot} declared outside its loop: copies the elements
     * ({@link CarriedCopies}). A matrix variable that may share its matrix or a row of it when the loop starts is
     * refused rather than given a matrix of its own: unlike a one-dimensional array, that would need a copy of its
     * whole row structure.
     */
    void carry(int slot, JValue value, int bci, String name) {
        carried.computeIfAbsent(slot, s -> new ArrayList<>()).add(bci);
        Integer source = loadedFrom.get(value);
        if (source != null) {
            copiedFrom.add(new int[] {source, bci, slot});
        }
        boolean mayShare = mayShare(slot);
        if (value.isMatrix() && mayShare) {
            throw refused(bci, Messages.CARRIED_MATRIX_SHARED, name);
        }
        copies.copy(slot, value, mayShare, name);
    }

    /**
     * Whether variable {@code slot}'s array may be seen by others when its carried assignment (being lowered) runs
     * for the first time: it is a parameter, or an earlier store gave it an array that is not new, copied its array
     * into another variable, or put it into a record. Stores in the loop itself are refused by {@link #finish}.
     */
    private boolean mayShare(int slot) {
        return parameters.contains(variables.slot(slot))
                || stores.stream().anyMatch(s -> s.slot() == slot && !s.fresh() || s.source() == slot && s.slot() != slot)
                || escapes.stream().anyMatch(escape -> escape[0] == slot);
    }

    /**
     * Checks, once the method is lowered, that every carried variable's array is its own while its
     * carried assignments can run: a use that runs only after all of them (the hidden copy of a for-each over the
     * result, a record built from it, another array assigned to it) sees the JVM's values.
     */
    void finish() {
        refuseReadsAfterCopies();
        carried.forEach((slot, carriedAt) -> {
            String name = variables.name(slot);
            for (Store store : stores) {
                if (afterEvery(carriedAt, store.bci()) || beforeEvery(carriedAt, store.bci())) {
                    continue; // before: the first carried assignment gives the variable its own array (mayShare)
                }
                if (store.slot() == slot && !store.fresh()) {
                    throw refused(store.bci(), Messages.CARRIED_NOT_OWN, name, store.source() >= 0
                            ? Messages.CARRIED_COPY_IN.format(variables.name(store.source()))
                            : Messages.CARRIED_OTHER.format());
                }
                if (store.source() == slot && store.slot() != slot) {
                    throw refused(store.bci(), Messages.CARRIED_COPIED, name, variables.name(store.slot()));
                }
            }
            for (int[] escape : escapes) {
                if (escape[0] == slot && !afterEvery(carriedAt, escape[1]) && !beforeEvery(carriedAt, escape[1])) {
                    throw refused(escape[1], Messages.CARRIED_ESCAPES, name);
                }
            }
        });
    }

    /**
     * After {@code y = next}, the JVM's y and next are one array until either is assigned again; here y holds a copy,
     * so next must not be read again before it is ({@link Messages#CARRIED_SOURCE_USED}). Judged in offset order
     * within the loop of the assignment (javac's layout), which refuses a read on another branch too.
     */
    private void refuseReadsAfterCopies() {
        for (int[] copy : copiedFrom) {
            int source = copy[0], at = copy[1];
            int end = plan.innermostLoop(at).map(loop -> loop[1]).orElse(Integer.MAX_VALUE);
            int nextStore = java.util.stream.Stream.concat(
                            stores.stream().filter(store -> store.slot() == source).map(Store::bci),
                            carried.getOrDefault(source, List.of()).stream())
                    .filter(bci -> bci > at).min(Integer::compare).orElse(Integer.MAX_VALUE);
            loads.getOrDefault(source, List.of()).stream()
                    .filter(bci -> bci > at && bci <= end && bci < nextStore).min(Integer::compare)
                    .ifPresent(bci -> {
                        throw refused(bci, Messages.CARRIED_SOURCE_USED, variables.name(copy[2]),
                                variables.name(source));
                    });
        }
    }

    /** Whether {@code bci} runs only after every one of {@code carriedAt}: later, and in no loop with one of them. */
    private boolean afterEvery(List<Integer> carriedAt, int bci) {
        return carriedAt.stream().allMatch(at -> at < bci && !plan.shareLoop(at, bci));
    }

    /** Whether {@code bci} runs only before every one of {@code carriedAt}: earlier, and in no loop with one of them. */
    private boolean beforeEvery(List<Integer> carriedAt, int bci) {
        return carriedAt.stream().allMatch(at -> bci < at && !plan.shareLoop(at, bci));
    }

    private static Unsupported refused(int bci, Messages message, Object... arguments) {
        return Unsupported.construct(message, arguments).at(bci);
    }
}
