package jenzyme.runtime.lower;

import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import jenzyme.runtime.error.Messages;

/**
 * Arrays allocated inside a loop ({@code double[] k1 = new double[n];} in an integrator's step), and the rule that
 * frees them: each allocation site keeps one slot, and running the site again frees the array it made in the
 * previous iteration (the call's exit frees the last one). That is right only if no array outlives its iteration, so
 * this class follows each such array through the lowering: assigned to a local declared outside the loop (by the
 * LocalVariableTable; without one, any local), a one-dimensional array is copied into that local's own array
 * ({@link CarriedArrays}), a two-dimensional one row by row; the array components of a record assigned to such a
 * local ({@code s = step(s, h)}) are copied the same way, each into the array the local's record holds; a record built from it, or a value carried on the operand
 * stack across a jump, are refused at the instruction. What stays allowed —
 * locals declared in the loop body, element reads and writes, {@code .length}, passing it to a method (a compiled
 * callee cannot keep an array: there are no fields, and an array it returns is a copy, {@link ArrayHandOver}),
 * returning it (the exit copies it before it frees the call's arrays) — keeps each array inside its iteration.
 *
 * <p>An object compiled code writes, created in a loop, is followed the same way: its {@code new} reuses one block
 * each iteration ({@link WrittenObjects}), so it is refused where an array would be refused or copied.
 *
 * <p>Enzyme sees plain malloc/free pairs across iterations and keeps what its reverse sweep needs (it defers such
 * frees to the reverse sweep; the 10^6-call memory test and the gradients checked with glibc's MALLOC_PERTURB_ show
 * neither a leak nor a read of freed memory). Measured and dropped: one free list per call freed at exit, which holds
 * every iteration's arrays until the call returns (memory in proportion to the step count).
 */
final class LoopAllocations {

    /** Where a loop-allocated array came from: the innermost loop of its allocation site. */
    private record Site(int[] loop, boolean row) {}

    private final CodePlan plan;
    private final Map<JValue, Site> arrays = new IdentityHashMap<>();
    private final Map<Integer, Site> locals = new HashMap<>();
    /** The site of a row carried to each jump target's operand stack entry ("target:depth"). */
    private final Map<String, Site> acrossJumps = new HashMap<>();

    LoopAllocations(CodePlan plan) {
        this.plan = plan;
    }

    /** Marks {@code array}, just allocated at {@code bci} inside a loop. */
    void allocated(JValue array, int bci) {
        arrays.put(array, new Site(plan.innermostLoop(bci).orElseThrow(), false));
    }

    /**
     * A store of {@code value} into {@code variable} ({@link Variables}: a local, or an array component of the record
     * a store into local {@code slot} at {@code bci} assigns; {@code name} as the user reads it). Returns whether it
     * is a loop array assigned to a local declared outside its loop, which {@link CarriedArrays} then copies into the
     * variable's array (a matrix row by row); a row of a loop matrix is refused there.
     */
    boolean stored(int slot, int variable, String name, JValue value, int bci) {
        Site site = arrays.get(value);
        if (site == null) {
            locals.remove(variable);
            return false;
        }
        boolean outside = !plan.isDeclaredInside(slot, bci, site.loop());
        if (outside && value.isObjectRef()) {
            throw Unsupported.construct(Messages.LOOP_OBJECT_ESCAPES, value.shape().javaName(),
                    Messages.LOOP_ARRAY_OUTER_LOCAL.format(name));
        }
        if (outside && site.row()) {
            throw escapes(Messages.LOOP_ARRAY_OUTER_LOCAL.format(name));
        }
        if (!outside) {
            locals.put(variable, site);
        } // else the local keeps the array it holds, and what we know of it: the values are copied in
        return outside;
    }

    /**
     * {@code cast}: {@code array} cast back to its type ({@code (double[]) a.clone()}), the same array. Without this a
     * clone made in a loop lost its site at the cast, and {@code y = a.clone()} kept an array freed the next time round.
     */
    JValue recast(JValue array, JValue cast) {
        Site site = arrays.get(array);
        if (site != null) {
            arrays.put(cast, site);
        }
        return cast;
    }

    /**
     * {@code row}, loaded from {@code matrix}: a row of a loop-allocated matrix lives and dies with it, so it keeps
     * the matrix's site. Copying it by value like a 1-D loop array is not done: {@code keep = M[1]} kept in a local
     * declared outside the loop is refused (QA7 R0c: it read the matrix freed when the allocation ran again).
     */
    JValue row(JValue matrix, JValue row) {
        Site site = arrays.get(matrix);
        if (site != null && matrix.isMatrix()) {
            arrays.put(row, new Site(site.loop(), true));
        }
        return row;
    }

    /**
     * {@code result}, which a callee chose among its array arguments {@code args} ({@link ReturnedArrays}): it may be
     * any of them, so it keeps the site of one made in a loop.
     */
    JValue chosen(java.util.List<JValue> args, JValue result) {
        args.stream().map(arrays::get).filter(java.util.Objects::nonNull).findFirst()
                .ifPresent(site -> arrays.put(result, site));
        return result;
    }

    /** Whether {@code value} is a row of a matrix allocated in a loop. */
    boolean isRow(JValue value) {
        Site site = arrays.get(value);
        return site != null && site.row();
    }

    /** {@code kept}, the same array as {@code given} (a record's component), comes from where it did. */
    void inherit(JValue given, JValue kept) {
        Site site = arrays.get(given);
        if (site != null) {
            arrays.put(kept, site);
        }
    }

    /** A load of {@code slot} (a {@link Variables} number): the value carries the site of the array last stored there. */
    JValue loaded(int slot, JValue value) {
        Site site = locals.get(slot);
        if (site != null) {
            arrays.put(value, site);
        }
        return value;
    }

    /**
     * Refuses {@code value} if it is a loop-allocated array, or a row of one, about to become part of a record or
     * object: the record may outlive the iteration (a row, qa7 R0c's "Not covered": {@code h = new Holder(m[1])}).
     */
    void mustStay(JValue value, Messages how) {
        Site site = arrays.get(value);
        if (site != null && value.isObjectRef()) {
            throw Unsupported.construct(Messages.LOOP_OBJECT_ESCAPES, value.shape().javaName(), how.format());
        }
        for (JValue array : value.arrays()) { // an array, or a record's arrays
            if (arrays.get(array) != null) {
                throw escapes(how.format());
            }
        }
    }

    /**
     * {@code value} carried on operand stack entry {@code depth} by a jump to {@code target}: a loop array is refused;
     * a row of a loop matrix ({@code m[i][j]} in a loop test, {@code keep = c ? m[0] : m[1]}) goes on, and the value
     * that arrives there keeps its matrix's site ({@link #arrived}), so that keeping it beyond the loop is refused.
     */
    void crosses(int target, int depth, JValue value) {
        if (value.kind() == ValueKind.RECORD && value.components() != null && value.arrays().stream()
                .anyMatch(arrays::containsKey)) { // a record holding a loop array (s = c ? step(s) : s)
            throw escapes(Messages.LOOP_ARRAY_ACROSS_JUMP.format());
        }
        Site site = arrays.get(value);
        if (site != null && !site.row()) {
            throw escapes(Messages.LOOP_ARRAY_ACROSS_JUMP.format());
        }
        if (site != null) {
            acrossJumps.put(target + ":" + depth, site);
        }
    }

    /** {@code value}, loaded from operand stack entry {@code depth} at {@code target}: a row carried there keeps its site. */
    JValue arrived(int target, int depth, JValue value) {
        Site site = acrossJumps.get(target + ":" + depth);
        if (site != null) {
            arrays.put(value, site);
        }
        return value;
    }

    /**
     * The refusal quotes the line of the instruction that keeps the array; the allocation's own line is not named: in
     * a notebook it would be the line in JShell's wrapper class, not in the cell (QA6 R1, R11).
     */
    private static Unsupported escapes(String how) {
        return Unsupported.construct(Messages.LOOP_ARRAY_ESCAPES, how);
    }
}
