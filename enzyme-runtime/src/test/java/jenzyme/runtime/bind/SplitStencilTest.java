package jenzyme.runtime.bind;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.testing.InterruptTiming;
import jenzyme.runtime.testing.LaplacianFixture;
import jenzyme.runtime.testing.RosenbrockFixture;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The overwriting {@code --fast-math} gradient of a large stencil sum runs over two threads ({@link SplitCall}): split
 * calls against the JVM's value, the accumulating (never split) gradient on every element and central differences,
 * an active scalar's adjoint summed over the parts, n around {@link SplitCall#MIN_ELEMENTS}; the argument checks'
 * exceptions; an interrupt of a split call; calls from many threads and from a parallel stream; and closing the
 * derivative while a split call runs.
 */
class SplitStencilTest {

    private static final String SOURCE = """
            package demo;
            public class Sums {
                %s
                %s
            }
            """.formatted(RosenbrockFixture.METHOD, LaplacianFixture.METHOD);
    private static final DifferentiationOptions FAST = DifferentiationOptions.DEFAULT.withFastMath(true).withDumpIr(true);
    private static final int MIN = SplitCall.MIN_ELEMENTS;
    private static final int[] SIZES = {MIN - 1, MIN, MIN + 1, MIN + 7, 1_000_003};

    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();
    private static CompiledClasses classes;

    @BeforeAll
    static void compile() {
        classes = InMemoryJavac.compile("demo.Sums", SOURCE);
    }

    @BeforeEach
    void clearFlag() {
        InterruptFlag.global().clear();
    }

    private static Derivative fast(String name, String descriptor, Map<String, Activity> activities) {
        Derivative d = pipeline.differentiate(new JavaMethod(classes, "demo/Sums", name, descriptor), Mode.REVERSE,
                activities, FAST);
        assertTrue(d.irAfterEnzyme().contains(".stencil.set.parts"), name + " has no parts:\n" + d.irAfterEnzyme());
        return d;
    }

    /** The gradient of a large array, written by the split overwriting form over NaN, and its value. */
    private static double[] rosenSplit(MethodHandle written, double[] x, double[] g) throws Throwable {
        java.util.Arrays.fill(g, Double.NaN);
        double[] out = new double[1];
        written.invokeExact(x, g, out);
        return out;
    }

    @Test
    void splitCallsAgreeWithTheJvmTheAccumulatingGradientAndCentralDifferences() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("demo.Sums", "rosen");
        try (Derivative d = fast("rosen", "([D)D", Map.of())) {
            MethodHandle written = d.overwriting().orElseThrow();
            long before = SplitCall.splits();
            for (int n : SIZES) {
                double[] x = new Random(n).doubles(n, -2, 2).toArray();
                double[] g = new double[n], added = new double[n];
                double[] outAdded = new double[1];
                d.handle().invokeExact(x, added, outAdded);
                for (int call = 0; call < 3; call++) { // the first large call runs whole and shows the binding short
                    double[] out = rosenSplit(written, x, g);
                    String at = "n=" + n + " call " + call;
                    assertEquals((double) jvm.invokeExact(x), out[0], (n + 16) * Math.ulp(1.0) * out[0], at); // terms >= 0
                    assertEquals(outAdded[0], out[0], at + ": split or not, the same sum to the bit");
                    for (int j = 0; j < n; j++) {
                        assertEquals(added[j], g[j], 1e-12 * Math.max(1, Math.abs(added[j])), at + " g[" + j + "]");
                    }
                }
                for (int j : new int[] {0, 1, n / 2 - 1, n / 2, n / 2 + 1, n - 2, n - 1}) {
                    double[] window = java.util.Arrays.copyOfRange(x, Math.max(0, j - 4), Math.min(n, j + 5));
                    int at = j - Math.max(0, j - 4);
                    double h = 1e-6 * Math.max(1, Math.abs(x[j]));
                    window[at] = x[j] + h;
                    double up = (double) jvm.invokeExact(window);
                    window[at] = x[j] - h;
                    double central = (up - (double) jvm.invokeExact(window)) / (2 * h);
                    assertEquals(central, g[j], 1e-5 * Math.max(1, Math.abs(central)), "n=" + n + " g[" + j + "] central");
                }
            }
            assertTrue(SplitCall.splits() - before >= 2 * 4, "the large calls after the first were split");
        }
    }

    @Test
    void anActiveScalarsAdjointIsTheSumOfThePartsAdjoints() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("demo.Sums", "laplace");
        double a = -1.25;
        try (Derivative d = fast("laplace", "([DD)D", Map.of())) {
            MethodHandle written = d.overwriting().orElseThrow();
            long before = SplitCall.splits();
            for (int n : SIZES) {
                double[] x = new Random(n + 3).doubles(n, -2, 2).toArray();
                double[] added = new double[n], g = new double[n];
                double[] outAdded = new double[2], out = new double[2];
                d.handle().invokeExact(x, added, a, outAdded);
                for (int call = 0; call < 2; call++) {
                    written.invokeExact(x, g, a, out);
                }
                double h = 1e-6;
                double central = ((double) jvm.invokeExact(x, a + h) - (double) jvm.invokeExact(x, a - h)) / (2 * h);
                assertEquals(outAdded[0], out[0], "n=" + n + ": split or not, the same value to the bit");
                assertEquals(outAdded[1], out[1], "n=" + n + ": split or not, the same adjoint of a to the bit");
                assertEquals((double) jvm.invokeExact(x, a), out[0], (n + 16) * Math.ulp(1.0) * LaplacianFixture.terms(x, a),
                        "n=" + n + " value against the JVM");
                assertEquals(central, out[1], 1e-6 * Math.max(1, Math.abs(central)), "n=" + n + " adjoint, central");
                for (int j = 0; j < n; j++) {
                    assertEquals(added[j], g[j], 1e-12 * Math.max(1, Math.abs(added[j])), "n=" + n + " g[" + j + "]");
                }
            }
            assertTrue(SplitCall.splits() - before >= 4, "the large calls after the first were split");
        }
    }

    @Test
    void theArgumentChecksThrowBeforeAnythingRunsAndTheNextCallSplits() throws Throwable {
        try (Derivative d = fast("rosen", "([D)D", Map.of())) {
            MethodHandle written = d.overwriting().orElseThrow();
            int n = 2 * MIN;
            double[] x = new Random(1).doubles(n, -2, 2).toArray();
            double[] g = new double[n];
            splitCallMs(written, x, g);
            double[] expected = rosenSplit(written, x, g);
            assertThrows(IllegalArgumentException.class, () -> {
                written.invokeExact(x, new double[n - 1], new double[1]); // the shadow is too short
            });
            assertThrows(IllegalArgumentException.class, () -> {
                written.invokeExact(x, x, new double[1]); // the shadow is the array
            });
            assertThrows(IllegalArgumentException.class, () -> {
                written.invokeExact(x, g, new double[0]); // no slot for the value
            });
            assertThrows(NullPointerException.class, () -> {
                written.invokeExact((double[]) null, g, new double[1]);
            });
            long before = SplitCall.splits();
            assertEquals(expected[0], rosenSplit(written, x, new double[n])[0]);
            assertEquals(before + 1, SplitCall.splits(), "the helper was freed by the failed calls");
        }
    }

    /** An interrupt stops a split call (both parts poll) within the kernel's bound; the helper serves the next call. */
    @Test
    void anInterruptStopsASplitCallAndTheHelperServesTheNextOne() throws Throwable {
        int n = 20_000_000;
        try (Derivative d = fast("rosen", "([D)D", Map.of())) {
            MethodHandle written = d.overwriting().orElseThrow();
            double[] x = new Random(9).doubles(n, -2, 2).toArray();
            double[] g = new double[n];
            long splitMs = splitCallMs(written, x, g);
            double[] expected = rosenSplit(written, x, g);
            double[] expectedG = g.clone();
            boolean stopped = false;
            for (int attempt = 0; attempt < 20 && !stopped; attempt++) {
                stopped = InterruptTiming.stopsWithinTheBound(() -> rosenSplit(written, x, g),
                        elapsedMs -> elapsedMs >= splitMs / 4, "a quarter into a " + splitMs + " ms split call");
            }
            assertTrue(stopped, "an interrupt landed inside a split call");
            InterruptFlag.global().raise(); // raised before the call: the parts' first polls see it
            assertInstanceOf(CompiledCodeInterruptedException.class,
                    assertThrows(Throwable.class, () -> rosenSplit(written, x, g)));
            InterruptFlag.global().clear();
            assertEquals(expected[0], rosenSplit(written, x, g)[0]);
            assertTrue(java.util.Arrays.equals(expectedG, g), "the gradient after the interrupts");
        }
    }

    /**
     * Calls {@code written} until a call was split (the first large ones run whole until one shows the binding
     * short: 160 MB copied in and out on a loaded machine may not) and returns how long that one took.
     */
    private static long splitCallMs(MethodHandle written, double[] x, double[] g) throws Throwable {
        for (int call = 0; call < 10; call++) {
            long before = SplitCall.splits();
            long started = System.nanoTime();
            rosenSplit(written, x, g);
            if (SplitCall.splits() > before) {
                return Math.max(1, (System.nanoTime() - started) / 1_000_000);
            }
        }
        throw new AssertionError("no call of " + x.length + " elements was split");
    }

    @Test
    void callsFromManyThreadsAndFromAParallelStreamAgree() throws Throwable {
        try (Derivative d = fast("rosen", "([D)D", Map.of())) {
            MethodHandle written = d.overwriting().orElseThrow();
            int points = 6, n = 2 * MIN + 5;
            double[][] xs = new double[points][], expected = new double[points][];
            double[] values = new double[points];
            for (int p = 0; p < points; p++) {
                xs[p] = new Random(p).doubles(n, -2, 2).toArray();
                expected[p] = new double[n];
                values[p] = rosenSplit(written, xs[p], expected[p])[0];
            }
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            CountDownLatch go = new CountDownLatch(1);
            for (int p = 0; p < points; p++) {
                int point = p;
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                        double[] g = new double[n];
                        for (int call = 0; call < 5; call++) {
                            assertEquals(values[point], rosenSplit(written, xs[point], g)[0], "point " + point);
                            assertTrue(java.util.Arrays.equals(expected[point], g), "point " + point);
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }));
            }
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
            if (failure.get() != null) {
                throw failure.get();
            }
            IntStream.range(0, points * 3).parallel().forEach(i -> {
                try {
                    double[] g = new double[n];
                    assertEquals(values[i % points], rosenSplit(written, xs[i % points], g)[0]);
                    assertTrue(java.util.Arrays.equals(expected[i % points], g));
                } catch (Throwable t) {
                    throw new AssertionError(t);
                }
            });
        }
    }

    /**
     * Closing the derivative while a split call runs waits for both parts (the call finishes with the right
     * gradient); later calls are refused. A close that came before the call entered is retried on a new derivative.
     */
    @Test
    void closingWhileASplitCallRunsWaitsForIt() throws Throwable {
        int n = 20_000_000;
        double[] x = new Random(4).doubles(n, -2, 2).toArray();
        double[] expected = new double[n];
        double[] g = new double[n];
        for (int attempt = 0; attempt < 3; attempt++) {
            Derivative d = fast("rosen", "([D)D", Map.of());
            MethodHandle written = d.overwriting().orElseThrow();
            long splitMs = splitCallMs(written, x, expected);
            double value = rosenSplit(written, x, expected)[0];
            java.util.Arrays.fill(g, Double.NaN);
            AtomicReference<Object> outcome = new AtomicReference<>();
            CountDownLatch calling = new CountDownLatch(1);
            long before = SplitCall.splits();
            Thread caller = Thread.ofPlatform().start(() -> {
                try {
                    double[] out = new double[1];
                    calling.countDown();
                    written.invokeExact(x, g, out);
                    outcome.set(out[0]);
                } catch (Throwable t) {
                    outcome.set(t);
                }
            });
            calling.await();
            Thread.sleep(Math.max(1, splitMs / 4));
            d.close();
            caller.join();
            assertThrows(BindingException.class, () -> rosenSplit(written, x, new double[n]));
            if (outcome.get() instanceof BindingException) {
                continue; // closed before the call entered
            }
            assertEquals(value, outcome.get(), "the call running at the close finished");
            assertTrue(java.util.Arrays.equals(expected, g));
            assertEquals(before + 1, SplitCall.splits(), "the call was split");
            return;
        }
        throw new AssertionError("every close came before the call entered");
    }
}
