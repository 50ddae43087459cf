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
 * values (aggregates: whatever pointer is taken out of one holding it may be it), the local variables' slots it is
 * stored into (every load of such a slot may be it) and calls (the callee's parameter, and the call's result when the
 * callee returns it). A store of a non-constant double or float through it writes it, a
 * double or float load reads it. Stored anywhere else than a local slot (a row table, a record in memory), it is
 * taken as written and read: a scratch array is only slower than a Const one, never wrong. Read before written counts
 * as read too (a buffer whose old values are read first), for the same reason.
 */
final class ScratchArrays {

    /**
     * What compiled code does with one array: writes computed values ({@code written}: the first such store found,
     * or null), reads values, returns it.
     */
    private record Effects(LLVMValueRef written, boolean read, boolean returned) {
        static final Effects NONE = new Effects(null, false, false);

        Effects or(Effects other) {
            return new Effects(written != null ? written : other.written, read || other.read,
                    returned || other.returned);
        }
    }

    /** The metadata kind tagging an element store with its source line ({@link #tagLine}). */
    private static final String LINE = "jenzyme.line";

    /** Per function and parameter index; a call being followed counts as NONE until it is done (recursion). */
    private final Map<String, Effects> parameters = new HashMap<>();
    private final Function<String, MethodRef> methods;

    private ScratchArrays(Function<String, MethodRef> methods) {
        this.methods = methods;
    }

    /**
     * Of {@code candidates} (LLVM parameter indices of {@code entry}), those written with computed values and read,
     * each with where it is written; {@code methods} names a lowered function's method by its symbol.
     */
    static Map<Integer, EntryPoint.WrittenArray> of(LLVMValueRef entry, Set<Integer> candidates,
                                                    Function<String, MethodRef> methods) {
        ScratchArrays arrays = new ScratchArrays(methods);
        Map<Integer, EntryPoint.WrittenArray> written = new TreeMap<>();
        for (int index : candidates) {
            Effects effects = arrays.parameter(entry, index);
            if (effects.written() != null && effects.read()) {
                LLVMValueRef store = effects.written();
                written.put(index, new EntryPoint.WrittenArray(methods.apply(IrQueries.name(IrQueries.functionOf(
                        store))), (int) IrQueries.tagOf(store, LINE).orElse(-1)));
            }
        }
        return written;
    }

    /** Tags an element store with its source line ({@link EntryPoint.WrittenArray#line()}). */
    static void tagLine(IrBuilder ir, LLVMValueRef store, int line) {
        IrQueries.tag(ir, store, LINE, line);
    }

    private Effects parameter(LLVMValueRef function, int index) {
        String key = IrQueries.name(function) + "#" + index;
        Effects known = parameters.get(key);
        if (known != null) {
            return known;
        }
        parameters.put(key, Effects.NONE);
        Effects effects = follow(IrQueries.parameter(function, index));
        parameters.put(key, effects);
        return effects;
    }

    /** The effects on the array {@code pointer} points to, through every value that may hold it. */
    private Effects follow(LLVMValueRef pointer) {
        Effects effects = Effects.NONE;
        ArrayDeque<LLVMValueRef> pending = new ArrayDeque<>();
        Set<Long> seen = new HashSet<>();
        held(pointer, pending, seen);
        while (!pending.isEmpty()) {
            LLVMValueRef value = pending.poll();
            for (LLVMValueRef user : IrQueries.users(value)) {
                Effects step = Effects.NONE;
                switch (IrQueries.opcode(user)) {
                    // a record value holding it (records are LLVM aggregates) and what is taken out of one
                    case LLVMGetElementPtr, LLVMSelect, LLVMPHI, LLVMInsertValue -> held(user, pending, seen);
                    case LLVMExtractValue -> {
                        if (holdsPointers(user)) {
                            held(user, pending, seen);
                        }
                    }
                    case LLVMLoad -> {
                        if (IrQueries.isPointer(user)) {
                            held(user, pending, seen); // a row of a two-dimensional array
                        } else {
                            step = new Effects(null, IrQueries.isFloating(user), false);
                        }
                    }
                    case LLVMStore -> {
                        LLVMValueRef stored = IrQueries.operand(user, 0);
                        if (!sameValue(stored, value)) {
                            boolean computed = IrQueries.isFloating(stored) && !IrQueries.isFloatingConstant(stored);
                            step = new Effects(computed ? user : null, false, false);
                        } else if (!loadsOfSlot(IrQueries.operand(user, 1), pending, seen)) {
                            step = new Effects(user, true, false); // kept where we do not follow: assume the worst
                        }
                    }
                    case LLVMCall -> step = call(user, value, pending, seen);
                    case LLVMRet -> step = new Effects(null, false, true);
                    default -> { } // comparisons, lengths: nothing read or written
                }
                effects = effects.or(step);
            }
        }
        return effects;
    }

    /**
     * The effects of passing {@code value} to {@code call}: the callee's on its parameter (its result then may be the
     * array too when the callee returns it), or none for a declaration.
     */
    private Effects call(LLVMValueRef call, LLVMValueRef value, ArrayDeque<LLVMValueRef> pending, Set<Long> seen) {
        LLVMValueRef callee = IrQueries.definedCallee(call);
        if (callee == null) {
            return Effects.NONE; // math, checks, the JVM's methods and rules: they take no array of ours to write
        }
        Effects effects = Effects.NONE;
        for (int k = 0; k < IrQueries.argumentCount(call); k++) {
            if (sameValue(IrQueries.operand(call, k), value)) {
                Effects passed = parameter(callee, k);
                if (passed.returned()) {
                    held(call, pending, seen);
                }
                effects = effects.or(new Effects(passed.written(), passed.read(), false));
            }
        }
        return effects;
    }

    /**
     * {@code address} is a local variable's slot (an alloca, or a place in one): every pointer or record loaded from
     * that slot may hold the array stored there. False if it is other memory.
     */
    private static boolean loadsOfSlot(LLVMValueRef address, ArrayDeque<LLVMValueRef> pending, Set<Long> seen) {
        LLVMValueRef base = address;
        while (IrQueries.isGep(base)) {
            base = IrQueries.operand(base, 0);
        }
        if (!IrQueries.isAlloca(base)) {
            return false;
        }
        ArrayDeque<LLVMValueRef> places = new ArrayDeque<>();
        places.add(base);
        while (!places.isEmpty()) {
            for (LLVMValueRef user : IrQueries.users(places.poll())) {
                if (IrQueries.isGep(user)) {
                    places.add(user);
                } else if (IrQueries.isLoad(user) && holdsPointers(user)) {
                    held(user, pending, seen);
                }
            }
        }
        return true;
    }

    private static void held(LLVMValueRef value, ArrayDeque<LLVMValueRef> pending, Set<Long> seen) {
        if (seen.add(value.address())) {
            pending.add(value);
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
