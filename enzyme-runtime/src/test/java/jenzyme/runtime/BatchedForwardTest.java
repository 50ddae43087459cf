package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code %autodiff forward f --width N}: one batched sweep equals N single forward sweeps, bit for bit. */
class BatchedForwardTest {

    private static final String SOURCE = """
            package bf;
            public class Bf {
                public static double f(double[] x, double a, int n, double[] w) {
                    double s = 0;
                    for (int i = 0; i < n; i++) s += w[i] * Math.sin(a * x[i]) + x[i] * x[(i + 1) % n];
                    return s * a;
                }
            }
            """;

    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();
    private static JavaMethod f;

    @BeforeAll
    static void start() {
        CompiledClasses classes = InMemoryJavac.compile("bf.Bf", SOURCE);
        f = new JavaMethod(classes, "bf/Bf", "f", "([DDI[D)D");
    }

    @Test
    void oneSweepOfThreeLanesEqualsThreeSingleSweeps() throws Throwable {
        int lanes = 3;
        Map<String, jenzyme.runtime.ad.Activity> wConst = Map.of("w", jenzyme.runtime.ad.Activity.CONST);
        Random random = new Random(17);
        double[] x = random.doubles(7, -1, 1).toArray();
        double[] w = random.doubles(7, -1, 1).toArray();
        double a = 0.8;
        double[][] tx = new double[lanes][];
        double[] ta = new double[lanes];
        for (int lane = 0; lane < lanes; lane++) {
            tx[lane] = random.doubles(7, -1, 1).toArray();
            ta[lane] = random.nextGaussian();
        }
        try (Derivative single = pipeline.differentiate(f, Mode.FORWARD, wConst, DifferentiationOptions.DEFAULT);
             BatchedForward batched = new BatchedForward(pipeline.differentiate(f, Mode.FORWARD, wConst,
                     DifferentiationOptions.DEFAULT, lanes))) {
            double[] dvalue = new double[lanes];
            double value = batched.into(dvalue, x, tx, a, ta, 7, w);
            for (int lane = 0; lane < lanes; lane++) {
                double[] out = new double[2];
                single.handle().invokeExact(x, tx[lane].clone(), a, ta[lane], 7, w, out);
                assertEquals(out[0], value, 0, "value");
                assertEquals(out[1], dvalue[lane], 1e-15 * (1 + Math.abs(out[1])), "lane " + lane);
            }
            IllegalArgumentException shortLane = assertThrows(IllegalArgumentException.class,
                    () -> batched.into(dvalue, x, new double[][] {tx[0], tx[1], new double[3]}, a, ta, 7, w));
            assertEquals("expected tx[2] to be at least as long as the array it is a tangent of (7), got length 3",
                    shortLane.getMessage());
            IllegalArgumentException fewLanes = assertThrows(IllegalArgumentException.class,
                    () -> batched.into(dvalue, x, tx, a, new double[2], 7, w));
            assertTrue(fewLanes.getMessage().startsWith("expected 3 tangents in ta"), fewLanes.getMessage());
        }
    }
}
