package jenzyme.runtime.bind;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.util.List;
import java.util.concurrent.ForkJoinWorkerThread;

/**
 * The overwriting gradient of a large stencil sum over two threads (docs/DERIVATIVES.md, the fused pull loop): the
 * worker's parts wrapper (PROTOCOL.md, {@code parts_symbol}) cut into {@link #PARTS} parts, which the caller and the
 * {@link SplitHelper} take one at a time from a shared counter until none is left. The parts write disjoint elements
 * of the shadow and return partial sums (the value and the active scalars' adjoints, which {@code --fast-math} lets
 * us reassociate), each into its own row; the rows are added here in part order, as the whole wrapper adds its parts:
 * so a call gets the same bits whichever thread ran which part, and whether the helper woke at all.
 *
 * <p>Why small parts: with two halves, a helper the scheduler preempted after taking its half held the caller up for
 * it (under load, split calls were 5-15% slower than whole ones); now it holds up one part at most.
 *
 * <p>A call splits only when all of these hold, and otherwise runs whole, as before:
 * <ul>
 * <li>its array has at least {@link #MIN_ELEMENTS} elements: the hand-off must be well below the half it saves;</li>
 * <li>a whole call of this binding with at least half its array bytes ran within {@link CallRoute}'s bound for
 *     critical calls: the parts are critical downcalls (zero-copy: two threads copying the whole shadow back would
 *     overwrite each other's elements), which hold off safepoints while they run;</li>
 * <li>the machine has two processors or more, the caller is no fork-join worker (parallel streams, the
 *     {@code parallel} helper, {@code Gradient.valuesAndGradients}: the cores are taken), and
 *     no other call holds the helper;</li>
 * <li>the system property {@value #PROPERTY} is not {@code false}.</li>
 * </ul>
 *
 * <p>Safety: the argument checks run once, on the caller, before anything starts; the bounds checks run in each
 * part on the whole range (a call that would fail one runs Enzyme's derivative in part 0, nothing in the others).
 * The call returns only after every part that started has ended, so the helper's parts are inside the caller's
 * in-flight count ({@code JitModule.guard}): released code is never run. Each part polls the interrupt flag and has
 * its own status block; after a part throws (an interrupt, a failed check) no further part starts, and the exception
 * of the lowest part that threw is raised on the caller.
 */
final class SplitCall {

    /**
     * The parts of a split call: the worker's whole wrapper runs this many in turn (PROTOCOL.md, {@code parts_symbol};
     * the worker's {@code WHOLE_PARTS}; one part below a trip bound of 2^16, which {@link #MIN_ELEMENTS} keeps split
     * calls clear of), which is what makes a split call's sums its sums to the bit. 16 parts of
     * Rosenbrock at 10^6 elements are ~40 µs each: what a preempted helper can hold the caller up.
     */
    static final int PARTS = 16;

    /** {@code -Djenzyme.split=false} runs every call on the calling thread alone. */
    static final String PROPERTY = "jenzyme.split";
    /**
     * Elements of the array below which calls stay whole. Rosenbrock's pull loop takes ~0.65 ns per element on
     * one core; at 2^18 elements half the call is ~85 µs, against a hand-off of ~30 µs (a parked thread's wake-up,
     * median at load 6; SplitHelper).
     */
    static final int MIN_ELEMENTS = 1 << 18;

    /** Calls that ran as parts, process-wide: what the tests look at to know a call was split. */
    private static final java.util.concurrent.atomic.LongAdder SPLITS = new java.util.concurrent.atomic.LongAdder();
    private static final MethodHandle LARGE;
    private static final MethodHandle INVOKE;

    static {
        try {
            var lookup = MethodHandles.lookup();
            LARGE = lookup.findStatic(SplitCall.class, "large", MethodType.methodType(boolean.class, Object.class));
            INVOKE = lookup.findVirtual(SplitCall.class, "invoke", MethodType.methodType(void.class, Object[].class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final MethodHandle whole;
    private final MethodHandle checks;
    /** Part {@code k} of {@link #PARTS} at index k, spread over an Object[] of {@code whole}'s arguments. */
    private final MethodHandle[] parts;
    private final int array;
    private final int slots;
    private final SplitHelper helper;
    /** Largest array bytes of a whole call measured within CallRoute's bound; -1 until one was. */
    private volatile long shortBytes = -1;

    private SplitCall(MethodHandle whole, MethodHandle checks, List<MethodHandle> parts, int array, int slots,
                      SplitHelper helper) {
        this.whole = spread(whole);
        this.checks = spread(checks);
        this.parts = parts.stream().map(SplitCall::spread).toArray(MethodHandle[]::new);
        this.array = array;
        this.slots = slots;
        this.helper = helper;
    }

    private static MethodHandle spread(MethodHandle handle) {
        return handle.asSpreader(Object[].class, handle.type().parameterCount());
    }

    /**
     * {@code whole}, splitting large calls. All handles have {@code whole}'s type, whose last parameter is
     * {@code double[] out}; {@code checks} runs the argument checks alone, {@code parts} the {@link #PARTS} parts in
     * order, without them.
     *
     * @param array the position of the stencil's array (its primal) among the parameters
     * @param slots how many slots of {@code out} the parts fill, each a sum
     */
    static MethodHandle around(MethodHandle whole, MethodHandle checks, List<MethodHandle> parts, int array,
                               int slots) {
        return around(whole, checks, parts, array, slots, SplitHelper.shared());
    }

    /** {@link #around} sharing the parts with {@code helper} (tests: a helper that never runs). */
    static MethodHandle around(MethodHandle whole, MethodHandle checks, List<MethodHandle> parts, int array,
                               int slots, SplitHelper helper) {
        if ("false".equals(System.getProperty(PROPERTY)) || Runtime.getRuntime().availableProcessors() < 2) {
            return whole;
        }
        SplitCall call = new SplitCall(whole, checks, parts, array, slots, helper);
        MethodType type = whole.type();
        MethodHandle test = MethodHandles.permuteArguments(LARGE.asType(MethodType.methodType(boolean.class,
                type.parameterType(array))), type.changeReturnType(boolean.class), array);
        MethodHandle split = INVOKE.bindTo(call).asCollector(Object[].class, type.parameterCount()).asType(type);
        return MethodHandles.guardWithTest(test, split, whole);
    }

    /** How many calls ran as parts so far (in this JVM). */
    static long splits() {
        return SPLITS.sum();
    }

    private static boolean large(Object array) {
        return array != null && Array.getLength(array) >= MIN_ELEMENTS;
    }

    private void invoke(Object[] args) throws Throwable {
        long bytes = 2L * Double.BYTES * Array.getLength(args[array]); // the array and its shadow
        boolean shownShort = shortBytes >= 0 && bytes <= 2 * shortBytes;
        if (!shownShort || Thread.currentThread() instanceof ForkJoinWorkerThread) {
            long start = System.nanoTime();
            whole.invokeExact(args);
            if (System.nanoTime() - start < CallRoute.SHORT_NANOS + bytes) {
                shortBytes = Math.max(shortBytes, bytes);
            }
            return;
        }
        checks.invokeExact(args);
        if (!helper.tryClaim()) {
            whole.invokeExact(args);
            return;
        }
        // The helper's buffers serve one claimant at a time, until it releases the helper: the rows, and the helper's
        // own out (the caller's is out). Released only once the rows are summed: another call claiming the helper
        // before would write its rows over these.
        try {
            int outAt = args.length - 1;
            double[] out = (double[]) args[outAt];
            double[] rows = helper.rows(PARTS * slots);
            Object[] helperArgs = args.clone();
            helperArgs[outAt] = helper.out(slots);
            SharedParts shared = new SharedParts(parts, rows, slots, helperArgs);
            helper.start(shared);
            shared.takeAll(args);
            helper.finish();
            SPLITS.increment();
            Throwable failure = shared.failure();
            if (failure != null) {
                throw failure;
            }
            for (int k = 0; k < slots; k++) {
                double sum = rows[k];
                for (int part = 1; part < PARTS; part++) {
                    sum += rows[part * slots + k];
                }
                out[k] = sum;
            }
        } finally {
            helper.release();
        }
    }
}
