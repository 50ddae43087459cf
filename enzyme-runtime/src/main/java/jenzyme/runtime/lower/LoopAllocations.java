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
 * ({@link CarriedArrays}), a two-dimensional one row by row; the array components of a record assigned to such a local
 * ({@code s = step(s, h)}) are copied the same way, each into the array the local's record holds; a record built from it, or a value carried on the operand
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
    /** By variable: a local's frame-slot key ({@code local5}), or a record local's array component's ({@code local5.1}). */
    private final Map<String, Site> locals = new HashMap<>();

    LoopAllocations(CodePlan plan) {
        this.plan = plan;
    }

    /** Marks {@code array}, just allocated at {@code bci} inside a loop. */
    void allocated(JValue array, int bci) {
        arrays.put(array, new Site(plan.innermostLoop(bci).orElseThrow(), false));
    }

    /**
     * A store of array {@code value} into variable {@code key} ({@code name}: a local, or an array component of the
     * record a store into local {@code slot} at {@code bci} assigns). Returns whether it is a loop array assigned to
     * a local declared outside its loop, which {@link CarriedArrays} then copies into the variable's array (a
     * matrix row by row); a row of a loop matrix is refused there.
     */
    boolean stored(int slot, String key, String name, JValue value, int bci) {
        Site site = arrays.get(value);
        if (site == null) {
            locals.remove(key);
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
            locals.put(key, site);
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

    /** {@code kept}, the same array as {@code given} (a record's component), comes from where it did. */
    void inherit(JValue given, JValue kept) {
        Site site = arrays.get(given);
        if (site != null) {
            arrays.put(kept, site);
        }
    }

    /** A load of array variable {@code key}: the value carries the site of the array last stored there. */
    JValue loaded(String key, JValue value) {
        Site site = locals.get(key);
        if (site != null) {
            arrays.put(value, site);
        }
        return value;
    }

    /**
     * Refuses {@code value} if it is, or is a record holding, a loop-allocated array about to leave its iteration
     * ({@code how}: the way).
     */
    void mustStay(JValue value, Messages how) {
        Site object = arrays.get(value);
        if (object != null && value.isObjectRef()) {
            throw Unsupported.construct(Messages.LOOP_OBJECT_ESCAPES, value.shape().javaName(), how.format());
        }
        for (JValue array : value.arrays()) {
            Site site = arrays.get(array);
            if (site != null && !site.row()) { // a row across a jump (m[i][j] in a loop test) is its matrix's
                throw escapes(how.format());
            }
        }
    }

    /**
     * The refusal quotes the line of the instruction that keeps the array; the allocation's own line is not named: in
     * a notebook it would be the line in JShell's wrapper class, not in the cell (QA6 R1, R11).
     */
    private static Unsupported escapes(String how) {
        return Unsupported.construct(Messages.LOOP_ARRAY_ESCAPES, how);
    }
}
