package jenzyme.runtime.bind;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * {@link SplitCall}'s sharing of parts, with parts written in Java (the native ones: SplitStencilTest and the worker's
 * tests/stencil.rs): {@code sum x[i]^3 / 3} with gradient {@code x[i]^2}, each part over its share of the array. A
 * helper whose thread never runs leaves every part to the caller, which still splits and gets the whole's bits; the
 * shared helper gets the same bits, each element written once; a part's exception reaches the caller, the lowest
 * part's first.
 */
class SharedPartsTest {

    private static final int N = SplitCall.MIN_ELEMENTS + 12_345;
    private static final MethodType TYPE = MethodType.methodType(void.class, double[].class, double[].class,
            double[].class);
    private static final Set<String> RAN_ON = ConcurrentHashMap.newKeySet();
    /** Parts that throw when run (an IllegalStateException naming the part). */
    private static volatile Set<Integer> failing = Set.of();

    static void part(double[] x, double[] g, double[] out, int part, int parts) {
        RAN_ON.add(Thread.currentThread().getName());
        if (failing.contains(part)) {
            throw new IllegalStateException("part " + part);
        }
        int lo = (int) ((long) x.length * part / parts);
        int hi = (int) ((long) x.length * (part + 1) / parts);
        double sum = 0;
        for (int i = lo; i < hi; i++) {
            if (!Double.isNaN(g[i])) {
                throw new AssertionError("g[" + i + "] written twice");
            }
            g[i] = x[i] * x[i];
            sum += x[i] * x[i] * x[i] / 3;
        }
        out[0] = sum;
    }

    /** The parts in turn, summed from -0.0 in part order: what the worker's whole wrapper does. */
    static void whole(double[] x, double[] g, double[] out) {
        double sum = -0.0;
        double[] partOut = new double[1];
        for (int k = 0; k < SplitCall.PARTS; k++) {
            part(x, g, partOut, k, SplitCall.PARTS);
            sum += partOut[0];
        }
        out[0] = sum;
    }

    private static MethodHandle split(SplitHelper helper) throws ReflectiveOperationException {
        var lookup = MethodHandles.lookup();
        MethodHandle part = lookup.findStatic(SharedPartsTest.class, "part",
                TYPE.appendParameterTypes(int.class, int.class));
        List<MethodHandle> parts = IntStream.range(0, SplitCall.PARTS)
                .mapToObj(k -> MethodHandles.insertArguments(part, 3, k, SplitCall.PARTS)).toList();
        MethodHandle whole = lookup.findStatic(SharedPartsTest.class, "whole", TYPE);
        return SplitCall.around(whole, MethodHandles.empty(TYPE), parts, 0, 1, helper);
    }

    private static double[] call(MethodHandle handle, double[] x, double[] g) throws Throwable {
        java.util.Arrays.fill(g, Double.NaN);
        double[] out = {Double.NaN};
        handle.invokeExact(x, g, out);
        return out;
    }

    @Test
    void withAHelperThatNeverRunsTheCallerTakesEveryPartAndGetsTheWholesBits() throws Throwable {
        MethodHandle handle = split(SplitHelper.asleep());
        double[] x = new Random(1).doubles(N, -2, 2).toArray();
        double[] gWhole = new double[N], g = new double[N];
        double value = call(MethodHandles.lookup().findStatic(SharedPartsTest.class, "whole", TYPE), x, gWhole)[0];
        call(handle, x, g); // the first large call runs whole and shows the binding short
        for (int c = 0; c < 3; c++) {
            RAN_ON.clear();
            long before = SplitCall.splits();
            double[] out = call(handle, x, g);
            assertEquals(before + 1, SplitCall.splits(), "call " + c + " was split");
            assertEquals(Set.of(Thread.currentThread().getName()), RAN_ON, "every part ran on the caller");
            assertEquals(Double.doubleToRawLongBits(value), Double.doubleToRawLongBits(out[0]), "the whole's bits");
            assertArrayEquals(gWhole, g);
        }
        double expected = 0;
        for (double v : x) {
            expected += v * v * v / 3;
        }
        assertEquals(expected, value, 1e-9 * N, "the value against a plain sum");
    }

    @Test
    void withTheSharedHelperTheSumsAreTheWholesBitsOnManyInputs() throws Throwable {
        MethodHandle handle = split(SplitHelper.shared());
        MethodHandle whole = MethodHandles.lookup().findStatic(SharedPartsTest.class, "whole", TYPE);
        double[] g = new double[N], gWhole = new double[N];
        call(handle, new double[N], g);
        long before = SplitCall.splits();
        for (int seed = 0; seed < 20; seed++) {
            double[] x = new Random(seed).doubles(N, -2, 2).toArray();
            double value = call(whole, x, gWhole)[0];
            double[] out = call(handle, x, g);
            assertEquals(Double.doubleToRawLongBits(value), Double.doubleToRawLongBits(out[0]), "seed " + seed);
            assertArrayEquals(gWhole, g, "seed " + seed);
        }
        assertTrue(SplitCall.splits() - before >= 15, "the calls were split (unless another test held the helper)");
    }

    @Test
    void aPartsExceptionReachesTheCallerTheLowestPartsFirst() throws Throwable {
        for (SplitHelper helper : new SplitHelper[] {SplitHelper.asleep(), SplitHelper.shared()}) {
            MethodHandle handle = split(helper);
            double[] x = new Random(7).doubles(N, -2, 2).toArray();
            double[] g = new double[N], gWhole = new double[N];
            double value = call(MethodHandles.lookup().findStatic(SharedPartsTest.class, "whole", TYPE), x, gWhole)[0];
            call(handle, x, g);
            try {
                failing = Set.of(3, 9);
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> call(handle, x, g));
                assertEquals("part 3", e.getMessage());
            } finally {
                failing = Set.of();
            }
            double[] out = call(handle, x, g);
            assertEquals(Double.doubleToRawLongBits(value), Double.doubleToRawLongBits(out[0]), "the next call");
            assertArrayEquals(gWhole, g, "the next call");
        }
    }
}
