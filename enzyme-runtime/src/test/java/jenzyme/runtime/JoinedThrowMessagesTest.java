package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.JacobianOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.testing.JacobianModes;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A guard's message joined with {@code +} ({@code "sigma must be positive, got " + sigma}) leaves every compiled form
 * with the JVM's own exception and message, to the digit (-0.0, NaN, 1.0E-300, infinities, longs, chars, booleans,
 * floats, shorts and bytes, a constant javac passes apart because it holds the recipe's tag characters); where nothing
 * throws, values and derivatives are the analytic ones: the values stored for the message are on the throw path only
 * and inactive for Enzyme.
 */
class JoinedThrowMessagesTest {

    private static final String SOURCE = """
            package guard;
            public class Guards {
                public static double gauss(double[] p) {
                    double sigma = p[1];
                    if (!(sigma > 0)) throw new IllegalArgumentException("sigma must be positive, got " + sigma);
                    double z = (0.5 - p[0]) / sigma;
                    return -Math.log(sigma) - 0.5 * z * z;
                }
                public static void gaussTerms(double[] p, double[] y) {
                    double sigma = p[1];
                    if (!(sigma > 0)) throw new IllegalArgumentException("sigma must be positive, got " + sigma);
                    double z = (0.5 - p[0]) / sigma;
                    y[0] = -Math.log(sigma);
                    y[1] = -0.5 * z * z;
                }
                public static double positiveSquares(double[] v, int n) {
                    double s = 0;
                    for (int i = 0; i < v.length; i++) {
                        float single = (float) v[i];
                        long step = (long) i * n;
                        boolean large = v[i] < -1;
                        char letter = (char) ('a' + i);
                        if (v[i] < 0) throw new IllegalStateException("v[" + i + "] = " + v[i] + " < 0 (float "
                                + single + ", step " + step + ", large " + large + ", letter " + letter
                                + ", tags \\u0001\\u0002)");
                        s += v[i] * v[i] * n;
                    }
                    return s;
                }
                public static double narrowed(double x, int n) {
                    if (n < 0) throw new ArithmeticException(n + " (short " + (short) n + ", byte " + (byte) n
                            + ") with x = " + x);
                    return x * n;
                }
            }
            """;

    /** Values of sigma the guard refuses, each printed its own way by Double.toString. */
    private static final double[] REFUSED = {-0.5, Double.NaN, -0.0, 0.0, -1e-300, -Double.MIN_VALUE,
        Double.NEGATIVE_INFINITY, -123456.789, -1e21, -3.0, -1e7, -0.001};
    private static final double[] ACCEPTED = {0.7, 2.5, 1e-3, 40.0};

    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();
    private static CompiledClasses classes;

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("guard.Guards", SOURCE);
    }

    private static JavaMethod method(String name, String descriptor) {
        return new JavaMethod(classes, "guard/Guards", name, descriptor);
    }

    /** The JVM's own exception for these arguments (the fixture must throw). */
    private static RuntimeException jvmThrows(String name, Object... args) {
        return assertThrows(RuntimeException.class,
                () -> classes.jvmHandle("guard.Guards", name).invokeWithArguments(args), name);
    }

    private static void assertSameThrow(RuntimeException expected, Executable compiled, String where) {
        Throwable actual = assertThrows(expected.getClass(), compiled, where);
        assertEquals(expected.getMessage(), actual.getMessage(), where);
    }

    /** The gradient of gauss at (mu, sigma), z = (0.5 - mu) / sigma. */
    private static double[] gaussGradient(double mu, double sigma) {
        double z = (0.5 - mu) / sigma;
        return new double[] {z / sigma, -1 / sigma + z * z / sigma};
    }

    @Test
    void everyFormOfGaussRaisesTheJvmsMessageAndDifferentiatesWhereItReturns() throws Throwable {
        try (NativeMethod jit = pipeline.jit(method("gauss", "([D)D"));
             Derivative reverse = pipeline.differentiate(method("gauss", "([D)D"), Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT);
             Derivative forward = pipeline.differentiate(method("gauss", "([D)D"), Mode.FORWARD, Map.of(),
                     DifferentiationOptions.DEFAULT);
             BatchedForward lanes = new BatchedForward(pipeline.differentiate(method("gauss", "([D)D"),
                     Mode.FORWARD, Map.of(), DifferentiationOptions.DEFAULT, 3));
             Derivative hvp = pipeline.hvp(method("gauss", "([D)D"))) {
            double[][] directions = {{1, 0}, {0, 1}, {0.3, -2}};
            for (double sigma : REFUSED) {
                double[] p = {0.2, sigma};
                RuntimeException expected = jvmThrows("gauss", (Object) p);
                String where = "sigma=" + sigma;
                assertSameThrow(expected, () -> jit.handle().invokeWithArguments(p), "jit " + where);
                assertSameThrow(expected, () -> reverse.handle().invokeWithArguments(p, new double[2],
                        new double[1]), "reverse " + where);
                assertSameThrow(expected, () -> forward.handle().invokeWithArguments(p, new double[] {1, 0},
                        new double[2]), "forward " + where);
                assertSameThrow(expected, () -> lanes.into(new double[3], p, directions), "width 3 " + where);
                assertSameThrow(expected, () -> hvp.handle().invokeWithArguments(p, new double[] {1, 0},
                        new double[2], new double[1]), "hvp " + where);
            }
            for (double sigma : ACCEPTED) {
                double mu = 0.2, z = (0.5 - mu) / sigma;
                double[] p = {mu, sigma}, gradient = gaussGradient(mu, sigma);
                double value = -Math.log(sigma) - 0.5 * z * z;
                String where = "sigma=" + sigma;
                assertEquals((double) classes.jvmHandle("guard.Guards", "gauss").invokeWithArguments((Object) p),
                        (double) jit.handle().invokeWithArguments((Object) p), 1e-15 * Math.abs(value), where);
                double[] dp = new double[2], out = new double[1];
                reverse.handle().invokeWithArguments(p, dp, out);
                assertEquals(value, out[0], 1e-14 * Math.abs(value), where);
                assertArrayEquals(gradient, dp, 1e-12 * Math.abs(gradient[1]) + 1e-12, where);
                double[] tangent = new double[2];
                forward.handle().invokeWithArguments(p, new double[] {0.3, -2}, tangent);
                assertEquals(0.3 * gradient[0] - 2 * gradient[1], tangent[1], 1e-12 * (1 + Math.abs(tangent[1])),
                        where);
                double[] dvalue = new double[3];
                lanes.into(dvalue, p, directions);
                for (int lane = 0; lane < 3; lane++) {
                    double expected = directions[lane][0] * gradient[0] + directions[lane][1] * gradient[1];
                    assertEquals(expected, dvalue[lane], 1e-12 * (1 + Math.abs(expected)), where + " lane " + lane);
                }
                // H v with v = (1, 0): (-1/s^2, -2 z/s^2)
                double[] hv = new double[2];
                hvp.handle().invokeWithArguments(p, new double[] {1, 0}, hv, new double[1]);
                double s2 = sigma * sigma;
                assertArrayEquals(new double[] {-1 / s2, -2 * z / s2}, hv, 1e-12 * (1 + Math.abs(2 * z / s2)), where);
            }
        }
    }

    @Test
    void everyJacobianModeRaisesTheJvmsMessageAndReturnsTheAnalyticJacobian() throws Throwable {
        for (Map.Entry<String, JacobianOptions> mode : JacobianModes.all().entrySet()) {
            try (Jacobian jacobian = pipeline.jacobian(method("gaussTerms", "([D[D)V"), mode.getValue())) {
                for (double sigma : REFUSED) {
                    double[] p = {0.2, sigma};
                    RuntimeException expected = jvmThrows("gaussTerms", p, new double[2]);
                    assertSameThrow(expected, () -> jacobian.into(new double[2][2], p, new double[2]),
                            mode.getKey() + " sigma=" + sigma);
                }
                for (double sigma : ACCEPTED) {
                    double mu = 0.2, z = (0.5 - mu) / sigma;
                    double[][] j = new double[2][2];
                    jacobian.into(j, new double[] {mu, sigma}, new double[2]);
                    assertArrayEquals(new double[] {0, -1 / sigma}, j[0], 1e-12 / sigma, mode.getKey());
                    assertArrayEquals(new double[] {z / sigma, z * z / sigma}, j[1],
                            1e-12 * (1 + z * z / sigma), mode.getKey());
                }
            }
        }
    }

    /**
     * A message of six values of five kinds and a constant javac keeps out of the recipe, raised inside a loop
     * (reverse mode unwinds from loops: lower/UnwindingFailures), at the iteration the JVM raises it.
     */
    @Test
    void aLoopsGuardJoinsIntsLongsFloatsBooleansAndCharsAsTheJvmDoes() throws Throwable {
        try (NativeMethod jit = pipeline.jit(method("positiveSquares", "([DI)D"));
             Derivative reverse = pipeline.differentiate(method("positiveSquares", "([DI)D"), Mode.REVERSE,
                     Map.of(), DifferentiationOptions.DEFAULT);
             Derivative forward = pipeline.differentiate(method("positiveSquares", "([DI)D"), Mode.FORWARD,
                     Map.of(), DifferentiationOptions.DEFAULT)) {
            List<double[]> refused = new ArrayList<>();
            for (double bad : new double[] {-0.25, -7.5, -1e-300, Double.NEGATIVE_INFINITY, -0.1}) {
                for (int at : new int[] {0, 3, 199}) {
                    double[] v = new java.util.Random(at).doubles(200, 0, 2).toArray();
                    v[at] = bad;
                    refused.add(v);
                }
            }
            for (double[] v : refused) {
                for (int n : new int[] {3, 1 << 30}) { // i * n past int: the long is the JVM's
                    RuntimeException expected = jvmThrows("positiveSquares", v, n);
                    String where = expected.getMessage();
                    assertSameThrow(expected, () -> jit.handle().invokeWithArguments(v, n), "jit " + where);
                    assertSameThrow(expected, () -> reverse.handle().invokeWithArguments(v, new double[v.length],
                            n, new double[1]), "reverse " + where);
                    assertSameThrow(expected, () -> forward.handle().invokeWithArguments(v, new double[v.length],
                            n, new double[2]), "forward " + where);
                }
            }
            double[] v = new java.util.Random(5).doubles(200, 0, 2).toArray(), dv = new double[200];
            reverse.handle().invokeWithArguments(v, dv, 3, new double[1]);
            for (int i = 0; i < v.length; i++) {
                assertEquals(6 * v[i], dv[i], 1e-14 * (1 + v[i]), "d/dv" + i);
            }
        }
    }

    @Test
    void shortsAndBytesAreJoinedAsTheirNarrowedValues() throws Throwable {
        try (NativeMethod jit = pipeline.jit(method("narrowed", "(DI)D"));
             Derivative reverse = pipeline.differentiate(method("narrowed", "(DI)D"), Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            for (int n : new int[] {-1, -129, -32769, -70000, Integer.MIN_VALUE}) {
                RuntimeException expected = jvmThrows("narrowed", 0.1f + 0.2, n);
                assertSameThrow(expected, () -> jit.handle().invokeWithArguments(0.1f + 0.2, n), "jit " + n);
                assertSameThrow(expected, () -> reverse.handle().invokeWithArguments(0.1f + 0.2, n,
                        new double[2]), "reverse " + n);
            }
            double[] out = new double[2];
            reverse.handle().invokeWithArguments(1.5, 4, out);
            assertArrayEquals(new double[] {6, 4}, out, 0);
        }
    }
}
