package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.LLVMCall;
import static org.bytedeco.llvm.global.LLVM.LLVMExtractValue;
import static org.bytedeco.llvm.global.LLVM.LLVMGetElementPtr;
import static org.bytedeco.llvm.global.LLVM.LLVMInsertValue;
import static org.bytedeco.llvm.global.LLVM.LLVMLoad;
import static org.bytedeco.llvm.global.LLVM.LLVMPHI;
import static org.bytedeco.llvm.global.LLVM.LLVMRet;
import static org.bytedeco.llvm.global.LLVM.LLVMSelect;
import static org.bytedeco.llvm.global.LLVM.LLVMStore;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import jenzyme.runtime.llvm.IrBuilder;
import jenzyme.runtime.llvm.IrQueries;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Which floating arrays the entry receives (parameters, records' components, static fields) compiled code writes with
 * computed values and reads back, in the entry or any method it calls: {@link EntryPoint#writtenArrays}.
 *
 * <p>Why: a Const array is memory Enzyme takes as inactive. A value stored into it and read again (a work buffer
 * {@code work[i] = x[i] * x[i]; s += work[i];}, {@code p.vel=Const} on an object whose method updates vel from
 * the positions and then the positions from vel) carries no derivative through it, so that path silently dropped out
 * of every other partial. Such an array is passed as scratch instead: Duplicated to Enzyme with a zeroed shadow the
 * worker's wrapper allocates, still Const to the user. An array only read (data: LogReg's X and y) or only written
 * (an output nobody differentiates) keeps the Const fast path, and so does one whose stores are all constants.
 *
 * <p>How: on the lowered IR, before mem2reg, following each array's pointer through GEPs, selects, phis, record
 * values (aggregates: whatever pointer is taken out of one holding it may be it), the memory it is stored into when
 * that is a local variable's slot or an object's block (allocas: every pointer loaded from there may be it, also in a
 * callee the block is passed to) and calls (the callee's parameter, and the call's result when the callee returns
 * it). A store of a non-constant double or float through it writes it, a double or float load reads it. Stored anywhere else than a local slot (a row table, a record in memory), it is
 * taken as written and read: a scratch array is only slower than a Const one, never wrong. Read before written counts
 * as read too (a buffer whose old values are read first), for the same reason.
 *
 * <p>The same walk finds, among arrays of every element type, those compiled code stores anything into (constants
 * and integers too: a counter {@code calls[0]++}) and also reads: {@link EntryPoint#statefulArrays}, the state a
 * second run of the method would find changed by the first, which a Jacobian's sweeps restore.
 */
final class ScratchArrays {

    /**
     * What compiled code does with one array: writes computed floating values ({@code written}: the first such store
     * found, or null), reads floating values, returns it; stores any value into it, loads any value from it.
     */
    private record Effects(LLVMValueRef written, boolean read, boolean returned, boolean stored, boolean loaded) {
        static final Effects NONE = new Effects(null, false, false, false, false);
        static final Effects RETURNED = new Effects(null, false, true, false, false);

        /** Kept where the walk cannot follow it: taken as written (by {@code store}) and read. */
        static Effects worst(LLVMValueRef store) {
            return new Effects(store, true, false, true, true);
        }

        Effects or(Effects other) {
            return new Effects(written != null ? written : other.written, read || other.read,
                    returned || other.returned, stored || other.stored, loaded || other.loaded);
        }
    }

    /**
     * What the walk found among the candidate arrays: those written with computed floating values and read ({@link
     * EntryPoint#writtenArrays}), and those stored into and read at all ({@link EntryPoint#statefulArrays}).
     */
    record Found(Map<Integer, EntryPoint.WrittenArray> written, Set<Integer> stateful) {}

    /** The metadata kind tagging an element store with its source line ({@link #tagLine}). */
    private static final String LINE = "jenzyme.line";

    /** Per function and parameter index; a call being followed counts as NONE until it is done (recursion). */
    private final Map<String, Effects> parameters = new HashMap<>();

    private ScratchArrays() {}

    /**
     * Of {@code candidates} (LLVM parameter indices of {@code entry}'s arrays), those stored into and read, and of
     * the {@code floating} ones those written with computed values and read, each with where it is written; {@code
     * methods} names a lowered function's method by its symbol.
     */
    static Found of(LLVMValueRef entry, Set<Integer> candidates, Set<Integer> floating,
                    Function<String, MethodRef> methods) {
        ScratchArrays arrays = new ScratchArrays();
        Map<Integer, EntryPoint.WrittenArray> written = new TreeMap<>();
        Set<Integer> stateful = new TreeSet<>();
        for (int index : candidates) {
            Effects effects = arrays.parameter(entry, index, false);
            if (effects.stored() && effects.loaded()) {
                stateful.add(index);
            }
            if (floating.contains(index) && effects.written() != null && effects.read()) {
                LLVMValueRef store = effects.written();
                written.put(index, new EntryPoint.WrittenArray(methods.apply(IrQueries.name(IrQueries.functionOf(
                        store))), (int) IrQueries.tagOf(store, LINE).orElse(-1)));
            }
        }
        return new Found(written, stateful);
    }

    /** Tags an element store with its source line ({@link EntryPoint.WrittenArray#line()}). */
    static void tagLine(IrBuilder ir, LLVMValueRef store, int line) {
        IrQueries.tag(ir, store, LINE, line);
    }

    /** The effects on the array parameter {@code index} of {@code function} (or the arrays in it, for a slot). */
    private Effects parameter(LLVMValueRef function, int index, boolean slot) {
        String key = IrQueries.name(function) + "#" + index + (slot ? "#slot" : "");
        Effects known = parameters.get(key);
        if (known != null) {
            return known;
        }
        parameters.put(key, Effects.NONE);
        Walk walk = new Walk();
        walk.reached(IrQueries.parameter(function, index), slot);
        Effects effects = walk.run();
        parameters.put(key, effects);
        return effects;
    }

    /**
     * One walk from an array: the values that may be it ({@code arrays}) and the memory that may hold it
     * ({@code slots}: a local variable's slot or an object's block, an alloca, or the parameter of a callee it is
     * passed to; every pointer or record loaded from there may be it).
     */
    private final class Walk {
        private final ArrayDeque<LLVMValueRef> arrays = new ArrayDeque<>();
        private final ArrayDeque<LLVMValueRef> slots = new ArrayDeque<>();
        private final Set<Long> seen = new HashSet<>();
        private Effects effects = Effects.NONE;

        void reached(LLVMValueRef value, boolean slot) {
            if (seen.add(value.address() * 2 + (slot ? 1 : 0))) {
                (slot ? slots : arrays).add(value);
            }
        }

        Effects run() {
            while (!arrays.isEmpty() || !slots.isEmpty()) {
                if (!slots.isEmpty()) {
                    slot(slots.poll());
                } else {
                    array(arrays.poll());
                }
            }
            return effects;
        }

        private void array(LLVMValueRef value) {
            for (LLVMValueRef user : IrQueries.users(value)) {
                switch (IrQueries.opcode(user)) {
                    // a record value holding it (records are LLVM aggregates) and what is taken out of one
                    case LLVMGetElementPtr, LLVMSelect, LLVMPHI, LLVMInsertValue -> reached(user, false);
                    case LLVMExtractValue -> {
                        if (holdsPointers(user)) {
                            reached(user, false);
                        }
                    }
                    case LLVMLoad -> {
                        if (IrQueries.isPointer(user)) {
                            reached(user, false); // a row of a two-dimensional array
                        } else {
                            add(new Effects(null, IrQueries.isFloating(user), false, false, true));
                        }
                    }
                    case LLVMStore -> {
                        LLVMValueRef stored = IrQueries.operand(user, 0);
                        if (!sameValue(stored, value)) {
                            boolean computed = IrQueries.isFloating(stored) && !IrQueries.isFloatingConstant(stored);
                            add(new Effects(computed ? user : null, false, false, true, false));
                        } else {
                            keptIn(IrQueries.operand(user, 1), user);
                        }
                    }
                    case LLVMCall -> passed(user, value, false);
                    case LLVMRet -> add(Effects.RETURNED);
                    default -> { } // comparisons, lengths: nothing read or written
                }
            }
        }

        private void slot(LLVMValueRef slot) {
            for (LLVMValueRef user : IrQueries.users(slot)) {
                if (IrQueries.isGep(user)) {
                    reached(user, true);
                } else if (IrQueries.isLoad(user) && holdsPointers(user)) {
                    reached(user, false);
                } else if (IrQueries.opcode(user) == LLVMCall) {
                    passed(user, slot, true);
                } else if (IrQueries.opcode(user) == LLVMStore && sameValue(IrQueries.operand(user, 0), slot)) {
                    add(Effects.worst(user)); // the slot's address kept in memory: assume the worst
                }
            }
        }

        /** The array stored at {@code address} by {@code store}: into a slot, or other memory (assume the worst). */
        private void keptIn(LLVMValueRef address, LLVMValueRef store) {
            LLVMValueRef base = address;
            while (IrQueries.isGep(base)) {
                base = IrQueries.operand(base, 0);
            }
            if (IrQueries.isAlloca(base)) {
                reached(base, true);
            } else {
                add(Effects.worst(store));
            }
        }

        /**
         * {@code value} passed to {@code call}: the callee's effects on its parameter (the call's result may be the
         * array too when the callee returns it); none for a declaration.
         */
        private void passed(LLVMValueRef call, LLVMValueRef value, boolean slot) {
            LLVMValueRef callee = IrQueries.definedCallee(call);
            if (callee == null) {
                return; // math, checks, the JVM's methods and rules: they take no array of ours to write
            }
            for (int k = 0; k < IrQueries.argumentCount(call); k++) {
                if (sameValue(IrQueries.operand(call, k), value)) {
                    Effects inCallee = parameter(callee, k, slot);
                    if (inCallee.returned() && !slot) {
                        reached(call, false);
                    }
                    add(new Effects(inCallee.written(), inCallee.read(), false, inCallee.stored(),
                            inCallee.loaded()));
                }
            }
        }

        private void add(Effects step) {
            effects = effects.or(step);
        }
    }

    /** A pointer, or a record value (an aggregate) that may hold one. */
    private static boolean holdsPointers(LLVMValueRef value) {
        return IrQueries.isPointer(value) || IrQueries.isAggregate(value);
    }

    private static boolean sameValue(LLVMValueRef a, LLVMValueRef b) {
        return a.address() == b.address();
    }
}
