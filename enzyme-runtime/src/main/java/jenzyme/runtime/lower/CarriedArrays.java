package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.LLVMIntEQ;
import static org.bytedeco.llvm.global.LLVM.LLVMIntNE;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

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
 * {@code clone()} that makes it work.
 *
 * <p>Why by value rather than handing the variable the new array and freeing the old one: Enzyme kept such frees in
 * the forward sweep and read the freed arrays in the reverse sweep (an SIR integrator's d/dt came out 1% off, or
 * NaN), and a variable switching between a constant start array and computed ones was refused as "mismatched
 * activity". A variable that keeps one array is an in-place update, which Enzyme differentiates like any other.
 */
final class CarriedArrays {

    /**
     * Variables are named by their frame-slot key: {@code local5} for a local, {@code local5.1} for an array component
     * of the record in local 5 (each array component of a record local is carried like a variable of its own).
     * {@code source}: the variable the stored array was loaded from, or null.
     */
    private record Store(String variable, int bci, boolean fresh, String source) {}

    /** {@code target = source} carried at {@code bci}. */
    private record Copy(String source, int bci, String target) {}

    /** A variable's array that became part of a record or crossed a jump at {@code bci}. */
    private record Escape(String variable, int bci) {}

    private final IrModule module;
    private final IrBuilder ir;
    private final FrameSlots slots;
    private final ExitPaths exits;
    private final CodePlan plan;
    /** The variables of the parameters' locals ({@code local1}): a record parameter's components are parameters too. */
    private final Set<String> parameters = new HashSet<>();
    /** New arrays not yet stored into a variable. */
    private final Set<JValue> fresh = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    /** Arrays loaded from a variable (or stored into one), by that variable. */
    private final Map<JValue, String> loadedFrom = new IdentityHashMap<>();
    /** Carried assignments: variable and the offsets that assign it. */
    private final Map<String, List<Integer>> carried = new java.util.TreeMap<>();
    private final List<Store> stores = new ArrayList<>();
    /** Offsets of the loads of each variable. */
    private final Map<String, List<Integer>> loads = new java.util.HashMap<>();
    /** Carried assignments from a variable ({@code y = next}). */
    private final List<Copy> copiedFrom = new ArrayList<>();
    private final List<Escape> escapes = new ArrayList<>();
    /** The allocation cell of the array of its own each variable gets that may share its array when the loop starts. */
    private final Map<String, LLVMValueRef> ownArrays = new java.util.HashMap<>();
    /** Each variable's name in messages ({@code y}, {@code s.y}). */
    private final Map<String, String> names = new java.util.HashMap<>();

    CarriedArrays(IrModule module, FrameSlots slots, ExitPaths exits, CodePlan plan, int[] parameterSlots) {
        this.module = module;
        this.ir = module.ir();
        this.slots = slots;
        this.exits = exits;
        this.plan = plan;
        for (int slot : parameterSlots) {
            parameters.add(Locals.key(slot));
        }
    }

    /** {@code array} is a new array (or matrix) of this call ({@code new}, {@code clone()}, a callee's result). */
    JValue made(JValue array) {
        if (array != null && array.kind() == ValueKind.ARRAY) {
            fresh.add(array);
        }
        return array;
    }

    /** Whether {@code value} is a new array not yet stored into a variable (nothing else holds it). */
    boolean isNew(JValue value) {
        return fresh.contains(value);
    }

    /** {@code cast}: {@code array} cast to its type ({@code (double[]) a.clone()}), new if it was. */
    JValue recast(JValue array, JValue cast) {
        if (fresh.remove(array)) {
            fresh.add(cast);
        }
        return cast;
    }

    /** {@code kept}, the same array as {@code given} (a record's component): new, or loaded from a variable, if it was. */
    void inherit(JValue given, JValue kept) {
        if (fresh.remove(given)) {
            fresh.add(kept);
        }
        String variable = loadedFrom.get(given);
        if (variable != null) {
            loadedFrom.put(kept, variable);
        }
    }

    /** A load of array variable {@code variable} ({@code name}). */
    JValue loaded(String variable, String name, JValue array, int bci) {
        names.put(variable, name);
        loadedFrom.put(array, variable);
        loads.computeIfAbsent(variable, s -> new ArrayList<>()).add(bci);
        return array;
    }

    /** {@code array} stored into variable {@code variable} ({@code name}) at {@code bci} as usual (not carried). */
    void stored(String variable, String name, JValue array, int bci) {
        names.put(variable, name);
        boolean isNew = fresh.remove(array);
        stores.add(new Store(variable, bci, isNew, isNew ? null : loadedFrom.get(array)));
        loadedFrom.put(array, variable); // a dup'ed new array stored again is a copy of this variable
    }

    /** {@code value} (an array, or a record's arrays) becomes part of a record, or crosses a jump, at {@code bci}. */
    void escapes(JValue value, int bci) {
        for (JValue array : value.arrays()) {
            String variable = loadedFrom.get(array);
            if (variable != null) {
                escapes.add(new Escape(variable, bci));
            }
        }
    }

    /** {@code y = ynew} of a loop array into {@code variable} declared outside its loop: copies the elements. */
    void carry(String variable, JValue value, int bci, String name) {
        names.put(variable, name);
        carried.computeIfAbsent(variable, s -> new ArrayList<>()).add(bci);
        String source = loadedFrom.get(value);
        if (source != null) {
            copiedFrom.add(new Copy(source, bci, variable));
        }
        JValue held = slots.load(variable, ValueKind.ARRAY, name);
        exits.failIf(ir.icmp(LLVMIntNE, value.length(), held.length()), StatusCode.CARRIED_LENGTH, value.length(),
                held.length());
        if (value.isMatrix()) {
            carryRows(variable, value, held, bci, name);
            return;
        }
        JavaType type = value.arrayType() != null ? value.arrayType() : held.arrayType();
        if (mayShare(variable)) {
            held = ownArray(variable, held, type, name);
        }
        ArrayOps.copyElements(module, ArrayOps.elementOf(type), value, held.value(),
                slots.newInitialisedSlot(ir.i32(), ir.zero(ir.i32()), "carry.i"));
    }

    /**
     * {@code J = jacobian(y)} of a two-dimensional loop array into {@code held}, the matrix {@code variable} keeps:
     * each row's elements copied into the row it holds, every row of the same length (else the failure
     * {@link StatusCode#CARRIED_LENGTH}, like a one-dimensional array of another length). A variable that may share
     * its matrix or a row of it when the loop starts is refused rather than given a matrix of its own: unlike a
     * one-dimensional array, that would need a copy of its whole row structure.
     */
    private void carryRows(String variable, JValue value, JValue held, int bci, String name) {
        if (mayShare(variable)) {
            throw refused(bci, Messages.CARRIED_MATRIX_SHARED, name);
        }
        JavaType element = ArrayOps.elementOf(held.arrayType().row());
        LLVMValueRef elements = slots.newInitialisedSlot(ir.i32(), ir.zero(ir.i32()), "carry.i");
        CountedLoop.emit(ir, slots.newInitialisedSlot(ir.i32(), ir.zero(ir.i32()), "carry.row"), value.length(),
                "carry.rows", r -> {
                    JValue from = rowAt(value, r), to = rowAt(held, r);
                    exits.failIf(ir.icmp(LLVMIntNE, from.length(), to.length()), StatusCode.CARRIED_LENGTH,
                            from.length(), to.length());
                    ArrayOps.copyElements(module, element, from, to.value(), elements);
                });
    }

    /** Row {@code r} of {@code matrix}, which has it (no bounds check). */
    private JValue rowAt(JValue matrix, LLVMValueRef r) {
        LLVMValueRef wide = ir.zext(r, ir.i64());
        LLVMValueRef data = ir.load(ir.ptr(), ir.inBoundsGep(ir.ptr(), matrix.value(), wide), "carry.row");
        module.tbaa().attach(data, matrix.arrayType());
        LLVMValueRef length = ir.load(ir.i32(), ir.inBoundsGep(ir.i32(), matrix.rowLengths(), wide), "carry.row.len");
        module.tbaa().attach(length, JavaType.INT);
        return JValue.array(data, length, matrix.arrayType().row());
    }

    /**
     * {@code row}, read from {@code matrix}: if the matrix was loaded from a variable, the row is part of that
     * variable's array, so storing it elsewhere is a copy of the variable ({@code double[] r = J[0]}).
     */
    JValue row(JValue matrix, JValue row) {
        String variable = loadedFrom.get(matrix);
        if (variable != null && matrix.isMatrix()) {
            loadedFrom.put(row, variable);
        }
        return row;
    }

    /**
     * Whether {@code variable}'s array may be seen by others when its carried assignment (being lowered) runs
     * for the first time: it is a parameter, or an earlier store gave it an array that is not new, copied its array
     * into another variable, or put it into a record. Stores in the loop itself are refused by {@link #finish}.
     */
    private boolean mayShare(String variable) {
        return parameters.contains(variable.split("\\.")[0])
                || stores.stream().anyMatch(s -> s.variable().equals(variable) && !s.fresh()
                        || variable.equals(s.source()) && !s.variable().equals(variable))
                || escapes.stream().anyMatch(escape -> escape.variable().equals(variable));
    }

    /**
     * {@code variable} holding {@code held}, given an array of its own (zeroed, of held's length) unless it holds
     * it already: the JVM's {@code u = next} leaves u0's array alone from then on, and so does the copy into this one.
     * The test is at each carried assignment, but only the first allocates.
     */
    private JValue ownArray(String variable, JValue held, JavaType type, String name) {
        LLVMValueRef cell = ownArrays.computeIfAbsent(variable, s -> exits.newAllocationSlot(slots));
        LLVMValueRef function = ir.currentFunction();
        LLVMBasicBlockRef allocate = ir.appendBlock(function, "own." + name);
        LLVMBasicBlockRef owned = ir.appendBlock(function, "owned." + name);
        ir.condBr(ir.icmp(LLVMIntNE, held.value(), ir.load(ir.ptr(), cell, name + ".own")), allocate, owned);
        ir.positionAtEnd(allocate);
        LLVMValueRef own = module.zeroedAllocation(ir.mul(ir.zext(held.length(), ir.i64()),
                ir.constInt(ir.i64(), ArrayOps.byteSize(ArrayOps.elementOf(type)))));
        exits.failIf(ir.icmp(LLVMIntEQ, own, ir.zero(ir.ptr())), StatusCode.OUT_OF_MEMORY, held.length(), null);
        ir.store(own, cell);
        slots.store(variable, JValue.array(own, held.length(), type), name);
        ir.br(owned);
        ir.positionAtEnd(owned);
        return slots.load(variable, ValueKind.ARRAY, name);
    }

    /**
     * Checks, once the method is lowered, that every carried variable's array is its own while its
     * carried assignments can run: a use that runs only after all of them (the hidden copy of a for-each over the
     * result, a record built from it, another array assigned to it) sees the JVM's values.
     */
    void finish() {
        refuseReadsAfterCopies();
        carried.forEach((variable, carriedAt) -> {
            String name = names.get(variable);
            for (Store store : stores) {
                if (afterEvery(carriedAt, store.bci()) || beforeEvery(carriedAt, store.bci())) {
                    continue; // before: the first carried assignment gives the variable its own array (mayShare)
                }
                if (store.variable().equals(variable) && !store.fresh()) {
                    throw refused(store.bci(), Messages.CARRIED_NOT_OWN, name, store.source() != null
                            ? Messages.CARRIED_COPY_IN.format(names.get(store.source()))
                            : Messages.CARRIED_OTHER.format());
                }
                if (variable.equals(store.source()) && !store.variable().equals(variable)) {
                    throw refused(store.bci(), Messages.CARRIED_COPIED, name, names.get(store.variable()));
                }
            }
            for (Escape escape : escapes) {
                if (escape.variable().equals(variable) && !afterEvery(carriedAt, escape.bci())
                        && !beforeEvery(carriedAt, escape.bci())) {
                    throw refused(escape.bci(), Messages.CARRIED_ESCAPES, name);
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
        for (Copy copy : copiedFrom) {
            String source = copy.source();
            int at = copy.bci();
            int end = plan.innermostLoop(at).map(loop -> loop[1]).orElse(Integer.MAX_VALUE);
            int nextStore = java.util.stream.Stream.concat(
                            stores.stream().filter(store -> store.variable().equals(source)).map(Store::bci),
                            carried.getOrDefault(source, List.of()).stream())
                    .filter(bci -> bci > at).min(Integer::compare).orElse(Integer.MAX_VALUE);
            loads.getOrDefault(source, List.of()).stream()
                    .filter(bci -> bci > at && bci <= end && bci < nextStore).min(Integer::compare)
                    .ifPresent(bci -> {
                        throw refused(bci, Messages.CARRIED_SOURCE_USED, names.get(copy.target()),
                                names.get(source));
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
