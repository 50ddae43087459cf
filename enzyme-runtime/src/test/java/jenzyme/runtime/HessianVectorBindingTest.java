package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.HessianVectorFixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Hessian-vector binding ({@code bind.HessianVectorBinder}): what it refuses before the call, in the words of
 * the handle's documentation, and that the scratch its inner gradient works in, kept per thread ({@code
 * bind.ThreadScratch}), never leaks from one call into another: sizes that change from call to call, arrays over the
 * kept size, four threads at once, each call against Rosenbrock's analytic Hessian.
 */
class HessianVectorBindingTest {

    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();
    private static Derivative rosenbrock;
    private static Derivative scaled;

    @BeforeAll
    static void compile() {
        CompiledClasses classes = HessianVectorFixtures.compile();
        rosenbrock = pipeline.hvp(new JavaMethod(classes, HessianVectorFixtures.CLASS, "rosenbrock", "([D)D"));
        scaled = pipeline.hvp(new JavaMethod(classes, HessianVectorFixtures.CLASS, "scaled", "([DD[D)D"),
                Map.of("d", Activity.CONST));
    }

    @AfterAll
    static void close() {
        rosenbrock.close();
        scaled.close();
    }

    @Test
    void badArgumentsAreRefusedBeforeTheCall() {
        MethodHandle hvp = scaled.handle(); // (w, vw, hw, c, vc, d, out)
        double[] w = {0.5, -1}, v = {1, 2}, hw = {7, 7}, d = {1, 1}, out = new double[1];
        assertEquals("p, v and hv must not be null", assertThrows(NullPointerException.class,
                () -> { hvp.invokeExact((double[]) null, v, hw, 0.5, 1.0, d, out); }).getMessage());
        assertEquals("p, v and hv must not be null", assertThrows(NullPointerException.class,
                () -> { hvp.invokeExact(w, v, hw, 0.5, 1.0, (double[]) null, out); }).getMessage());
        assertEquals("p, v and hv must not be null", assertThrows(NullPointerException.class,
                () -> { hvp.invokeExact(w, v, (double[]) null, 0.5, 1.0, d, out); }).getMessage());
        assertEquals("expected v of length 2 and hv at least that long, got 3 and 2", assertThrows(
                IllegalArgumentException.class,
                () -> { hvp.invokeExact(w, new double[3], hw, 0.5, 1.0, d, out); }).getMessage());
        assertEquals("expected v of length 2 and hv at least that long, got 2 and 1", assertThrows(
                IllegalArgumentException.class,
                () -> { hvp.invokeExact(w, v, new double[1], 0.5, 1.0, d, out); }).getMessage());
        for (double[] same : List.of(w, v, d)) {
            assertEquals("hv must be a separate array from p and v", assertThrows(IllegalArgumentException.class,
                    () -> { hvp.invokeExact(w, v, same, 0.5, 1.0, d, out); }).getMessage());
        }
        assertEquals("expected an out array of at least 1 elements for the derivative of scaled, got 0", assertThrows(
                IllegalArgumentException.class,
                () -> { hvp.invokeExact(w, v, hw, 0.5, 1.0, d, new double[0]); }).getMessage());
        assertArrayEquals(new double[] {7, 7}, hw, "nothing was written before the refusal of out");
    }

    @Test
    void everyCallStartsFromZeroedScratchWhateverItsSizeAndThread() throws Exception {
        int large = 9_000; // over bind.ArraySegments.CACHED_BYTES: scratch made per call, never kept
        int[] sizes = {2, 40, 7, large, 40, 3, large};
        try (ExecutorService threads = Executors.newFixedThreadPool(4)) {
            List<Future<?>> runs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int seed = t;
                runs.add(threads.submit(() -> {
                    Random random = new Random(seed);
                    for (int call = 0; call < 30; call++) {
                        int n = sizes[random.nextInt(sizes.length)];
                        double[] p = random.doubles(n, -2, 2).toArray(), v = random.doubles(n, -1, 1).toArray();
                        double[] hv = random.doubles(n + random.nextInt(3), -9, 9).toArray(); // zeroed by the call
                        rosenbrockHvp(p, v, hv);
                        assertRosenbrockHessianTimes(p, v, hv, "thread " + seed + ", call " + call);
                    }
                    return null;
                }));
            }
            for (Future<?> run : runs) {
                run.get();
            }
        }
    }

    /** The product on a pool's thread (a Callable may throw only Exceptions). */
    private static void rosenbrockHvp(double[] p, double[] v, double[] hv) throws Exception {
        try {
            rosenbrock.handle().invokeExact(p, v, hv, (double[]) null);
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static void assertRosenbrockHessianTimes(double[] p, double[] v, double[] hv, String where) {
        double[] expected = HessianVectorFixtures.rosenbrockHessianTimes(p, v);
        for (int i = 0; i < p.length; i++) {
            assertEquals(expected[i], hv[i], 1e-10 * (1 + Math.abs(expected[i])), where + ", n = " + p.length
                    + ", (Hv)_" + i);
        }
        for (int i = p.length; i < hv.length; i++) {
            assertEquals(0, hv[i], 0, where + ": hv past p's length is zeroed");
        }
    }
}
