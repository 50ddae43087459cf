package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.ship.ArtifactRuntime;
import jenzyme.runtime.ship.CompiledArtifact;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.worker.WorkerClient;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The notebook's pipeline ({@link Pipeline#createQuickFirst}): its reverse and forward derivatives of an RK4 loss
 * (the shape of {@code ./bench --latency}'s method) give the bits of a fully compiled pipeline's right after they
 * are returned (quick code of the module before its post-AD optimisation, which the worker left to the JIT) and after
 * their full code landed, and agree with central differences of the JVM's method. Shipped to another JVM's runtime,
 * the deferred passes travel with the module.
 */
class QuickFirstPipelineTest {

    private static final String SOURCE = """
            package q;
            public class Orbit {
                public static double loss(double[] p, double[] obs, int steps) {
                    double k = p[0], c = p[1], f = p[2], w = p[3], x = p[4], v = p[5];
                    double dt = 10.0 / steps, loss = 0;
                    for (int i = 0; i < steps; i++) {
                        double t = i * dt;
                        double a1 = -k * x - c * v + f * Math.cos(w * t);
                        double x2 = x + 0.5 * dt * v, v2 = v + 0.5 * dt * a1;
                        double a2 = -k * x2 - c * v2 + f * Math.cos(w * (t + 0.5 * dt));
                        double x3 = x + 0.5 * dt * v2, v3 = v + 0.5 * dt * a2;
                        double a3 = -k * x3 - c * v3 + f * Math.cos(w * (t + 0.5 * dt));
                        double x4 = x + dt * v3, v4 = v + dt * a3;
                        double a4 = -k * x4 - c * v4 + f * Math.cos(w * (t + dt));
                        x = x + dt / 6 * (v + 2 * v2 + 2 * v3 + v4);
                        v = v + dt / 6 * (a1 + 2 * a2 + 2 * a3 + a4);
                        double e = x - obs[i];
                        loss += Math.abs(e) > 1 ? 2 * Math.abs(e) - 1 : e * e;
                    }
                    return loss / steps;
                }
            }
            """;

    /** The first pass of the worker's post-AD pipeline (its src/post_ad_pipeline.txt, LLVM 19's O3 order). */
    private static final String POST_AD_PASSES = "annotation2metadata";

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline quickFirst = Pipeline.createQuickFirst(WorkerClient::fromEnvironment);
    @AutoClose
    private static final Pipeline fullOnly = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("q.Orbit", SOURCE);
    }

    private static Derivative derive(Pipeline pipeline, Mode mode) {
        return pipeline.differentiate(new JavaMethod(classes, "q/Orbit", "loss", "([D[DI)D"), mode,
                Map.of("obs", jenzyme.runtime.ad.Activity.CONST), DifferentiationOptions.DEFAULT);
    }

    private static double[] gradient(Derivative reverse, double[] p, double[] obs) throws Throwable {
        double[] dp = new double[p.length], out = new double[reverse.convention().slots().size()];
        reverse.handle().invoke(p, dp, obs, obs.length, out);
        double[] all = java.util.Arrays.copyOf(dp, dp.length + 1);
        all[dp.length] = out[0];
        return all;
    }

    @Test
    void reverseGivesTheFullyCompiledBitsBeforeAndAfterItsFullCode() throws Throwable {
        Random random = new Random(16);
        double[] obs = random.doubles(80, -1, 1).toArray();
        quickFirst.holdFullCode(); // as a magic does: the quick code alone answers until the release
        try (Derivative quick = derive(quickFirst, Mode.REVERSE); Derivative full = derive(fullOnly, Mode.REVERSE)) {
            assertEquals(POST_AD_PASSES, quick.postOptimisation().split(",")[0], "the JIT runs the worker's pipeline");
            assertEquals("", full.postOptimisation(), "a library pipeline's worker optimises");
            double[][] inputs = new double[40][];
            for (int i = 0; i < inputs.length; i++) {
                inputs[i] = new double[] {1 + random.nextDouble(), 0.3 * random.nextDouble(), random.nextDouble(),
                        0.5 + random.nextDouble(), random.nextGaussian(), random.nextGaussian()};
                assertArrayEquals(gradient(full, inputs[i], obs), gradient(quick, inputs[i], obs));
            }
            assertFalse(quick.code().fullCode().isDone(), "the quick code answered");
            quickFirst.releaseFullCode();
            assertTrue(quick.code().fullCode().get(60, TimeUnit.SECONDS), "the full tier landed");
            Derivative shipped = ArtifactRuntime.shared().load(CompiledArtifact.of(quick));
            for (double[] p : inputs) {
                assertArrayEquals(gradient(full, p, obs), gradient(shipped, p, obs), "shipped");
            }
            MethodHandle jvm = classes.jvmHandle("q.Orbit", "loss");
            for (double[] p : inputs) {
                double[] expected = gradient(full, p, obs), got = gradient(quick, p, obs);
                assertArrayEquals(expected, got);
                assertEquals((double) jvm.invoke(p, obs, obs.length), got[p.length], 0, "the JVM's value");
                for (int j = 0; j < p.length; j++) {
                    double h = 1e-6 * (1 + Math.abs(p[j]));
                    double[] up = p.clone(), down = p.clone();
                    up[j] += h;
                    down[j] -= h;
                    double central = ((double) jvm.invoke(up, obs, obs.length) - (double) jvm.invoke(down, obs,
                            obs.length)) / (2 * h);
                    assertEquals(central, got[j], 1e-5 * (1 + Math.abs(central)), "d/dp[" + j + "]");
                }
            }
        }
    }

    @Test
    void forwardTangentsAreTheFullyCompiledOnes() throws Throwable {
        Random random = new Random(17);
        double[] obs = random.doubles(50, -1, 1).toArray();
        quickFirst.holdFullCode();
        try (Derivative quick = derive(quickFirst, Mode.FORWARD); Derivative full = derive(fullOnly, Mode.FORWARD)) {
            assertFalse(quick.postOptimisation().isEmpty());
            for (int trial = 0; trial < 20; trial++) {
                double[] p = {1 + random.nextDouble(), 0.3 * random.nextDouble(), random.nextDouble(),
                        0.5 + random.nextDouble(), random.nextGaussian(), random.nextGaussian()};
                double[] dp = random.doubles(6, -1, 1).toArray();
                double[] a = new double[full.convention().slots().size()], b = new double[a.length];
                full.handle().invoke(p, dp, obs, obs.length, a);
                quick.handle().invoke(p, dp, obs, obs.length, b);
                assertArrayEquals(a, b);
                if (trial == 9) {
                    assertFalse(quick.code().fullCode().isDone(), "the quick code answered");
                    quickFirst.releaseFullCode();
                    quickFirst.awaitFullCode();
                    assertTrue(quick.code().fullCode().getNow(false), "awaitFullCode waited for it");
                }
            }
        }
    }

    /** --fast-math code comes optimised from the worker: its quick code would round differently from its full code. */
    @Test
    void fastMathDerivativesAreNotLeftUnoptimised() {
        try (Derivative fast = quickFirst.differentiate(new JavaMethod(classes, "q/Orbit", "loss", "([D[DI)D"),
                Mode.REVERSE, Map.of("obs", jenzyme.runtime.ad.Activity.CONST),
                DifferentiationOptions.DEFAULT.withFastMath(true))) {
            assertEquals("", fast.postOptimisation());
        }
    }
}
