package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.testing.CentralDifferences;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A callee that returns one of its parameters hands back the caller's own array, as on the JVM (qa7 R1: a copy made
 * {@code m = same(a); m[0] += w;} leave {@code a} alone, silently unlike the JVM); a callee that may return a
 * parameter or another array is refused at the caller's line. Native primal against the JVM (values and the arrays
 * the calls write), reverse and forward derivatives against central differences of the JVM's method.
 */
class ReturnedParametersTest {

    private static final String SOURCE = """
            package rpar;
            public class Rp {
                static double[][] same(double[][] a) { return a; }
                static double[] same1(double[] a) { return a; }
                static double[] second(double[] a, double[] b) { return b; }
                static double[] scaled(double[] a, double w) {
                    for (int i = 0; i < a.length; i++) a[i] *= w;
                    return a;
                }
                public static double sm(double[][] a, double w) {
                    double[][] m = w > 0.5 ? same(a) : a;
                    m[0][0] += w;
                    return a[0][0] * m[0][0] + w * a[1][1];
                }
                public static double sm1(double[] a, double w) {
                    double[] m = same1(a);
                    m[0] += w;
                    return a[0] * m[0] + w * a[1];
                }
                public static double chain(double[] a, double[] b, double w, int n) {
                    double s = 0;
                    for (int i = 0; i < n; i++) {
                        double[] m = second(a, scaled(b, w));
                        m[1] += w * a[0];
                        s += b[1] * m[1] + m[0];
                    }
                    return s;
                }
                static double[] either(double[] a, double[] b, boolean first) { return first ? a : b; }
                public static double pick(double[] a, double[] b, double w) {
                    double[] c = either(a, b, w > 0.5);
                    c[0] *= w;
                    return a[0] * b[0] + c[1];
                }
                static double[] maybe(double[] a, int n) {
                    if (n > 0) return new double[] {a[0]};
                    return a;
                }
                public static double usesMaybe(double[] a, int n) { return maybe(a, n)[0]; }
                static double[] firstRow(double[][] a) { return a[0]; }
                public static double usesRow(double[][] a) { return firstRow(a)[0]; }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("rpar.Rp", SOURCE);
    }

    private static JavaMethod method(String name, String descriptor) {
        return new JavaMethod(classes, "rpar/Rp", name, descriptor);
    }

    /** qa7 R1's own case: at w = 0.7, a = {{1,2},{3,4}} the JVM gives 5.69 (the copy gave 4.5), d/dw 7.40 (5.0). */
    @Test
    void aReturnedMatrixParameterIsTheCallersOwnArray() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("rpar.Rp", "sm");
        try (NativeMethod primal = pipeline.jit(method("sm", "([[DD)D"));
             Derivative reverse = pipeline.differentiate(method("sm", "([[DD)D"), Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            assertEquals(5.69, (double) primal.handle().invoke(new double[][] {{1, 2}, {3, 4}}, 0.7), 1e-12);
            Random random = new Random(3);
            for (int trial = 0; trial < 20; trial++) {
                double[][] a = {random.doubles(2, -2, 2).toArray(), random.doubles(2, -2, 2).toArray()};
                double w = random.nextDouble();
                double[][] jvmA = {a[0].clone(), a[1].clone()}, nativeA = {a[0].clone(), a[1].clone()};
                assertEquals((double) jvm.invoke(jvmA, w), (double) primal.handle().invoke(nativeA, w), 0, "primal");
                assertArrayEquals(jvmA[0], nativeA[0], 0, "the write through the result reached a");
                double[][] da = {new double[2], new double[2]};
                double[] out = new double[reverse.convention().slots().size()];
                reverse.handle().invoke(new double[][] {a[0].clone(), a[1].clone()}, da, w, out);
                double h = CentralDifferences.STEP;
                double fdW = CentralDifferences.derivative(x -> (double) jvm.invoke(copy(a), x), w);
                assertEquals(fdW, out[1], 1e-6 * (1 + Math.abs(fdW)), "d/dw");
                for (int i = 0; i < 2; i++) {
                    for (int j = 0; j < 2; j++) {
                        double[][] up = copy(a), down = copy(a);
                        up[i][j] += h;
                        down[i][j] -= h;
                        double fd = ((double) jvm.invoke(up, w) - (double) jvm.invoke(down, w)) / (2 * h);
                        assertEquals(fd, da[i][j], 1e-6 * (1 + Math.abs(fd)), "d/da" + i + j);
                    }
                }
            }
        }
    }

    /** qa7 R1's one-dimensional form (JVM 4.29 at a = {1, 2}, w = 0.7; the copy gave 3.10), forward mode too. */
    @Test
    void aReturnedArrayParameterIsTheCallersOwnArray() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("rpar.Rp", "sm1");
        try (NativeMethod primal = pipeline.jit(method("sm1", "([DD)D"));
             Derivative reverse = pipeline.differentiate(method("sm1", "([DD)D"), Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT);
             Derivative forward = pipeline.differentiate(method("sm1", "([DD)D"), Mode.FORWARD, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            assertEquals(4.29, (double) primal.handle().invoke(new double[] {1, 2}, 0.7), 1e-12);
            Random random = new Random(5);
            for (int trial = 0; trial < 20; trial++) {
                double[] a = random.doubles(2, -2, 2).toArray();
                double w = random.nextDouble();
                assertEquals((double) jvm.invoke(a.clone(), w), (double) primal.handle().invoke(a.clone(), w), 0);
                double[] da = new double[2], out = new double[reverse.convention().slots().size()];
                reverse.handle().invoke(a.clone(), da, w, out);
                double fdW = CentralDifferences.derivative(x -> (double) jvm.invoke(a.clone(), x), w);
                assertEquals(fdW, out[1], 1e-6 * (1 + Math.abs(fdW)), "reverse d/dw");
                double[] tangent = new double[forward.convention().slots().size()];
                forward.handle().invoke(a.clone(), new double[2], w, 1.0, tangent);
                assertEquals(fdW, tangent[forward.convention().returnTangentSlot()], 1e-6 * (1 + Math.abs(fdW)),
                        "forward d/dw");
                double[] fd = CentralDifferences.gradient(x -> (double) jvm.invoke(x, w), a);
                for (int k = 0; k < 2; k++) {
                    assertEquals(fd[k], da[k], 1e-6 * (1 + Math.abs(fd[k])), "d/da" + k);
                }
            }
        }
    }

    /** The second parameter handed back, its argument itself a callee's returned parameter, in a loop. */
    @Test
    void returnedParametersChainInsideALoop() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("rpar.Rp", "chain");
        try (NativeMethod primal = pipeline.jit(method("chain", "([D[DDI)D"));
             Derivative reverse = pipeline.differentiate(method("chain", "([D[DDI)D"), Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            Random random = new Random(8);
            for (int trial = 0; trial < 20; trial++) {
                double[] a = random.doubles(2, -1, 1).toArray(), b = random.doubles(2, -1, 1).toArray();
                double w = 0.5 + random.nextDouble();
                int n = 1 + random.nextInt(4);
                double[] jvmB = b.clone(), nativeB = b.clone();
                assertEquals((double) jvm.invoke(a.clone(), jvmB, w, n),
                        (double) primal.handle().invoke(a.clone(), nativeB, w, n), 0, "primal");
                assertArrayEquals(jvmB, nativeB, 0, "b as the JVM left it");
                double[] da = new double[2], db = new double[2], out = new double[reverse.convention().slots().size()];
                reverse.handle().invoke(a.clone(), da, b.clone(), db, w, n, out);
                double fdW = CentralDifferences.derivative(x -> (double) jvm.invoke(a.clone(), b.clone(), x, n), w);
                assertEquals(fdW, out[1], 1e-6 * (1 + Math.abs(fdW)), "d/dw");
                double[] fd = CentralDifferences.gradient(x -> (double) jvm.invoke(a.clone(), x, w, n), b);
                for (int k = 0; k < 2; k++) {
                    assertEquals(fd[k], db[k], 1e-6 * (1 + Math.abs(fd[k])), "d/db" + k);
                }
            }
        }
    }

    /** A callee choosing between two parameters hands back the one it chose (ArrayResultsTest's either, differentiated). */
    @Test
    void aParameterChosenAtRunTimeIsTheCallersOwnArray() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("rpar.Rp", "pick");
        try (NativeMethod primal = pipeline.jit(method("pick", "([D[DD)D"));
             Derivative reverse = pipeline.differentiate(method("pick", "([D[DD)D"), Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            Random random = new Random(13);
            for (int trial = 0; trial < 20; trial++) {
                double[] a = random.doubles(2, -1, 1).toArray(), b = random.doubles(2, -1, 1).toArray();
                double w = random.nextDouble();
                double[] jvmA = a.clone(), jvmB = b.clone(), nativeA = a.clone(), nativeB = b.clone();
                assertEquals((double) jvm.invoke(jvmA, jvmB, w), (double) primal.handle().invoke(nativeA, nativeB, w),
                        0, "primal");
                assertArrayEquals(jvmA, nativeA, 0);
                assertArrayEquals(jvmB, nativeB, 0);
                double[] da = new double[2], db = new double[2], out = new double[reverse.convention().slots().size()];
                reverse.handle().invoke(a.clone(), da, b.clone(), db, w, out);
                double[] fd = CentralDifferences.gradient(x -> (double) jvm.invoke(x, b.clone(), w), a);
                for (int k = 0; k < 2; k++) {
                    assertEquals(fd[k], da[k], 1e-6 * (1 + Math.abs(fd[k])), "d/da" + k);
                }
                double fdW = CentralDifferences.derivative(x -> (double) jvm.invoke(a.clone(), b.clone(), x), w);
                assertEquals(fdW, out[1], 1e-6 * (1 + Math.abs(fdW)), "d/dw");
            }
        }
    }

    @Test
    void aCalleeThatMayReturnAParameterOrAnotherArrayIsRefusedAtTheCall() {
        LoweringException maybe = assertThrows(LoweringException.class,
                () -> pipeline.jit(method("usesMaybe", "([DI)D")));
        assertTrue(maybe.getMessage().contains("which returns its parameter a on some paths and another array on "
                + "others") && maybe.getMessage().contains("return a.clone() where it returns a"), maybe.getMessage());
        assertEquals("usesMaybe", maybe.methodName().orElseThrow());
        LoweringException row = assertThrows(LoweringException.class, () -> pipeline.jit(method("usesRow", "([[D)D")));
        assertTrue(row.getMessage().contains("an array it neither made nor took as a parameter (a row of a matrix"),
                row.getMessage());
        assertEquals("usesRow", row.methodName().orElseThrow());
    }

    private static double[][] copy(double[][] a) {
        return new double[][] {a[0].clone(), a[1].clone()};
    }
}
