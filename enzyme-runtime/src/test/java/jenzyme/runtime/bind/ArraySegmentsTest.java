package jenzyme.runtime.bind;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.Test;

/**
 * A derivative binding passes each array as its own heap segment, kept per thread from one call to the next
 * ({@link ArraySegments}): compiled code sees the array of this call, never the previous call's, whatever the order
 * of the arrays — one passed again after its contents changed, another array of another length, one over the
 * cached size, one array as two parameters. Each call's value and gradient are checked against the formula.
 */
class ArraySegmentsTest {

    private static final String SOURCE = """
            package seg;
            public class Seg {
                public static double weighted(double[] w, double[] x) {
                    double s = 0;
                    for (int i = 0; i < x.length; i++) s += w[i] * x[i] * x[i];
                    return s;
                }
            }
            """;

    @Test
    void everyCallSeesItsOwnArrays() throws Throwable {
        Random random = new Random(3);
        int large = (int) (ArraySegments.CACHED_BYTES / Double.BYTES) + 5; // never kept: a segment per call
        List<double[]> arrays = List.of(random.doubles(5, -2, 2).toArray(), random.doubles(7, -2, 2).toArray(),
                random.doubles(5, -2, 2).toArray(), random.doubles(large, -2, 2).toArray(),
                random.doubles(large, -2, 2).toArray());
        try (Pipeline pipeline = Pipeline.create();
             Derivative d = pipeline.differentiate(new JavaMethod(InMemoryJavac.compile("seg.Seg", SOURCE), "seg/Seg",
                     "weighted", "([D[D)D"), Mode.REVERSE, Map.of(), DifferentiationOptions.DEFAULT)) {
            MethodHandle gradient = d.handle(); // (w, dw, x, dx, out)
            double[] out = new double[1];
            for (int call = 0; call < 80; call++) {
                double[] x = arrays.get(random.nextInt(arrays.size()));
                // w: x itself (one array as two parameters) or another array at least as long
                double[] w = random.nextInt(4) == 0 ? x
                        : arrays.stream().filter(a -> a.length >= x.length).toList().get(random.nextInt(2));
                if (random.nextBoolean()) {
                    x[random.nextInt(x.length)] = random.nextGaussian(); // the same array, other contents
                }
                double[] dw = new double[w.length];
                double[] dx = new double[x.length];
                gradient.invokeExact(w, dw, x, dx, out);
                double value = 0;
                for (int i = 0; i < x.length; i++) {
                    value += w[i] * x[i] * x[i];
                    // the partials with respect to each parameter, also when both are one array
                    double dxi = 2 * w[i] * x[i];
                    assertEquals(dxi, dx[i], 1e-12 * (1 + Math.abs(dxi)), "call " + call + ", d/dx[" + i + "]");
                    assertEquals(x[i] * x[i], dw[i], 1e-12 * (1 + x[i] * x[i]), "call " + call + ", d/dw[" + i + "]");
                }
                assertEquals(value, out[0], 1e-12 * (1 + Math.abs(value)), "call " + call + ", value");
            }
        }
    }
}
