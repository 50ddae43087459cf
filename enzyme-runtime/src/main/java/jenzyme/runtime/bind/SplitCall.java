package jenzyme.runtime.bind;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.util.concurrent.ForkJoinWorkerThread;

/**
 * The overwriting gradient of a large stencil sum over two threads (docs/DERIVATIVES.md, the fused pull loop): the
 * worker's parts wrapper (PROTOCOL.md, {@code parts_symbol}) runs part 0 of 2 on the caller and part 1 on the
 * {@link SplitHelper}. The parts write disjoint elements of the shadow and return partial sums (the value and the
 * active scalars' adjoints, which {@code --fast-math} lets us reassociate), added here in a fixed order: part 0's
 * then part 1's.
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
 * part on the whole range (a call that would fail one runs Enzyme's derivative in part 0, nothing in part 1). The
 * call returns only after both parts have ended, so the helper's part is inside the caller's in-flight count
 * ({@code JitModule.guard}): released code is never run. Each part polls the interrupt flag and has its own status
 * block; a part's exception (an interrupt, a failed check) is raised on the caller, part 0's first.
 */
final class SplitCall {

    /** {@code -Djenzyme.split=false} runs every call on the calling thread alone. */
    static final String PROPERTY = "jenzyme.split";
    /**
     * Elements of the array below which calls stay whole. Rosenbrock's pull loop takes ~0.65 ns per element on
     * one core; at 2^18 elements half the call is ~85 µs, against a hand-off of ~30 µs (a parked thread's wake-up,
     * median at load 6; SplitHelper).
     */
    static final int MIN_ELEMENTS = 1 << 18;

    /** Calls that ran as two parts, process-wide: what the tests look at to know a call was split. */
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
    private final MethodHandle first;
    private final MethodHandle second;
    private final int array;
    private final int slots;
    /** Largest array bytes of a whole call measured within CallRoute's bound; -1 until one was. */
    private volatile long shortBytes = -1;

    private SplitCall(MethodHandle whole, MethodHandle checks, MethodHandle first, MethodHandle second, int array,
                      int slots) {
        this.whole = whole.asSpreader(Object[].class, whole.type().parameterCount());
        this.checks = checks.asSpreader(Object[].class, checks.type().parameterCount());
        this.first = first.asSpreader(Object[].class, first.type().parameterCount());
        this.second = second.asSpreader(Object[].class, second.type().parameterCount());
        this.array = array;
        this.slots = slots;
    }

    /**
     * {@code whole}, splitting large calls. All four handles have {@code whole}'s type, whose last parameter is
     * {@code double[] out}; {@code checks} runs the argument checks alone, {@code first} and {@code second} the
     * two parts without them.
     *
     * @param array the position of the stencil's array (its primal) among the parameters
     * @param slots how many slots of {@code out} the parts fill, each a sum
     */
    static MethodHandle around(MethodHandle whole, MethodHandle checks, MethodHandle first, MethodHandle second,
                               int array, int slots) {
        if ("false".equals(System.getProperty(PROPERTY)) || Runtime.getRuntime().availableProcessors() < 2) {
            return whole;
        }
        SplitCall call = new SplitCall(whole, checks, first, second, array, slots);
        MethodType type = whole.type();
        MethodHandle test = MethodHandles.permuteArguments(LARGE.asType(MethodType.methodType(boolean.class,
                type.parameterType(array))), type.changeReturnType(boolean.class), array);
        MethodHandle split = INVOKE.bindTo(call).asCollector(Object[].class, type.parameterCount()).asType(type);
        return MethodHandles.guardWithTest(test, split, whole);
    }

    /** How many calls ran as two parts so far (in this JVM). */
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
        SplitHelper helper = SplitHelper.shared();
        if (!helper.tryClaim()) {
            whole.invokeExact(args);
            return;
        }
        int outAt = args.length - 1;
        double[] out = (double[]) args[outAt];
        double[] secondOut = new double[slots];
        Object[] secondArgs = args.clone();
        secondArgs[outAt] = secondOut;
        Throwable mine = null;
        helper.start(() -> invokeSecond(secondArgs));
        try {
            first.invokeExact(args);
        } catch (Throwable e) {
            mine = e;
        }
        Throwable theirs = helper.finish();
        SPLITS.increment();
        if (mine != null) {
            throw mine;
        }
        if (theirs != null) {
            throw theirs;
        }
        for (int k = 0; k < slots; k++) {
            out[k] += secondOut[k];
        }
    }

    private void invokeSecond(Object[] args) {
        try {
            second.invokeExact(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e); // the bound handles throw no checked exceptions
        }
    }
}
