package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Records as values: parameters (flattened into their components at the native boundary), locals, results of
 * callees, records created in loops, instance methods and compact constructors; native primal against the JVM and
 * gradients against central differences of the JVM's method.
 */
class RecordValuesTest {

    private static final String SOURCE = """
            package rec;
            public class Phys {
                public record Vec(double x, double y) {
                    Vec plus(Vec o) { return new Vec(x + o.x, y + o.y); }
                    Vec scale(double c) { return new Vec(c * x, c * y); }
                    double norm2() { return x * x + y * y; }
                }
                public record State(Vec pos, Vec vel) {}
                public record Spring(double k, double m, double[] w) {
                    public Spring { if (k < 0) k = -k; }
                }
                static State step(State s, Spring p, double dt) {
                    Vec acc = s.pos().scale(-p.k() / p.m());
                    return new State(s.pos().plus(s.vel().scale(dt)), s.vel().plus(acc.scale(dt)));
                }
                public static double energyAfter(State s0, Spring p, double dt, int n) {
                    State s = s0;
                    for (int i = 0; i < n; i++) s = step(s, p, dt);
                    return 0.5 * p.m() * s.vel().norm2() + 0.5 * p.k() * s.pos().norm2();
                }
                public static double series(Spring p, double x) {
                    double s = 0;
                    for (int i = 0; i < p.w().length; i++) s += p.w()[i] * Math.pow(x, i);
                    return s * p.k();
                }
                public static double chosen(double a, double b, int c) {
                    Vec v = new Vec(c > 0 ? a : b, a * b);
                    return v.norm2();
                }
                public static boolean same(Vec a, Vec b) { return a == b; }
                public static double text(Vec a) { return a.toString().length(); }
                public static Vec identity(Vec a) { return a; }
                public static Spring stiffer(Spring p) { return new Spring(2 * p.k(), p.m(), p.w()); }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("rec.Phys", SOURCE);
    }

    private static JavaMethod method(String name, String descriptor) {
        return new JavaMethod(classes, "rec/Phys", name, descriptor);
    }

    private static Object record(String name, Object... components) throws Exception {
        Class<?> type = classes.load("rec.Phys$" + name);
        Constructor<?> canonical = type.getDeclaredConstructors()[0];
        canonical.setAccessible(true);
        return canonical.newInstance(components);
    }

    private static final String ENERGY = "(Lrec/Phys$State;Lrec/Phys$Spring;DI)D";

    private static double jvmEnergy(double[] s, double k, double m, double dt, int n) throws Throwable {
        Object state = record("State", record("Vec", s[0], s[1]), record("Vec", s[2], s[3]));
        return (double) classes.jvmHandle("rec.Phys", "energyAfter").invoke(state,
                record("Spring", k, m, new double[0]), dt, n);
    }

    @Test
    void nativePrimalEqualsTheJvmsForRecordsCreatedInALoop() throws Throwable {
        try (NativeMethod f = pipeline.jit(method("energyAfter", ENERGY))) {
            MethodHandle h = f.handle();
            assertEquals(MethodType.methodType(double.class, double.class, double.class, double.class, double.class,
                    double.class, double.class, double[].class, double.class, int.class), h.type());
            Random random = new Random(3);
            for (int trial = 0; trial < 50; trial++) {
                double[] s = random.doubles(4, -2, 2).toArray();
                double k = 0.1 + 3 * random.nextDouble(), m = 0.5 + random.nextDouble(), dt = 0.01 * random.nextDouble();
                int n = random.nextInt(200);
                double expected = jvmEnergy(s, k, m, dt, n);
                double actual = (double) h.invokeExact(s[0], s[1], s[2], s[3], k, m, new double[0], dt, n);
                assertEquals(expected, actual, 1e-14 * Math.abs(expected), "energy after " + n + " steps");
            }
        }
    }

    @Test
    void reverseGradientOfEveryComponentMatchesCentralDifferences() throws Throwable {
        try (Derivative d = pipeline.differentiate(method("energyAfter", ENERGY), Mode.REVERSE, Map.of(),
                DifferentiationOptions.DEFAULT)) {
            var convention = d.convention();
            double[] s = {0.3, -0.7, 1.1, 0.4};
            double k = 2.5, m = 1.3, dt = 0.01;
            int n = 50;
            double[] out = new double[convention.slots().size()];
            double[] w = new double[0], dw = new double[0];
            d.handle().invokeExact(s[0], s[1], s[2], s[3], k, m, w, dw, dt, n, out);
            assertEquals(jvmEnergy(s, k, m, dt, n), out[convention.primalSlot()], 1e-13);
            double[] x = {s[0], s[1], s[2], s[3], k, m};
            for (int p = 0; p < 6; p++) {
                double h = 1e-6;
                double[] up = x.clone(), down = x.clone();
                up[p] += h;
                down[p] -= h;
                double fd = (jvmEnergy(up, up[4], up[5], dt, n) - jvmEnergy(down, down[4], down[5], dt, n)) / (2 * h);
                assertEquals(fd, out[convention.adjointSlot(p)], 1e-6 * (1 + Math.abs(fd)),
                        "d/d" + d.entry().parameters().get(p).name());
            }
        }
    }

    @Test
    void arraysInsideRecordsGetTheirGradientInTheShadow() throws Throwable {
        try (Derivative d = pipeline.differentiate(method("series", "(Lrec/Phys$Spring;D)D"), Mode.REVERSE, Map.of(),
                DifferentiationOptions.DEFAULT)) {
            double[] w = {1, 2, 3, 4};
            double[] dw = new double[4];
            double k = 1.5, mass = 2, x = 0.7;
            double[] out = new double[d.convention().slots().size()];
            d.handle().invokeExact(k, mass, w, dw, x, out);
            for (int i = 0; i < w.length; i++) {
                assertEquals(k * Math.pow(x, i), dw[i], 1e-14, "d/dw[" + i + "]");
            }
            assertEquals(1 + 2 * x + 3 * x * x + 4 * x * x * x, out[d.convention().adjointSlot(0)], 1e-13, "d/dk");
            assertEquals(0.0, out[d.convention().adjointSlot(1)], "m is unused");
        }
    }

    @Test
    void recordsUnderConstructionAcrossABranchAndCompactConstructors() throws Throwable {
        try (NativeMethod f = pipeline.jit(method("chosen", "(DDI)D"))) {
            assertEquals(Math.pow(2.0, 2) + 36, (double) f.handle().invokeExact(2.0, 3.0, 1), 0);
            assertEquals(9.0 + 36, (double) f.handle().invokeExact(2.0, 3.0, 0), 0);
        }
        try (NativeMethod f = pipeline.jit(method("series", "(Lrec/Phys$Spring;D)D"))) {
            // the compact constructor made k positive on the JVM side; here k arrives flattened as given
            assertEquals(-2.0 * (1 + 2 * 0.5), (double) f.handle().invokeExact(-2.0, 1.0, new double[] {1, 2}, 0.5), 0);
        }
    }

    @Test
    void identityOperationsAndEntryResultsHoldingMoreThanDoublesAreRefusedInWords() throws Throwable {
        LoweringException same = assertThrows(LoweringException.class,
                () -> pipeline.jit(method("same", "(Lrec/Phys$Vec;Lrec/Phys$Vec;)Z")));
        assertTrue(same.getMessage().contains("a reference comparison"), same.getMessage());
        LoweringException text = assertThrows(LoweringException.class,
                () -> pipeline.jit(method("text", "(Lrec/Phys$Vec;)D")));
        assertTrue(text.getMessage().contains("toString() on the record rec.Phys$Vec"), text.getMessage());
        LoweringException returned = assertThrows(LoweringException.class,
                () -> pipeline.jit(method("stiffer", "(Lrec/Phys$Spring;)Lrec/Phys$Spring;")));
        assertTrue(returned.getMessage().contains("returning the record rec.Phys$Spring from the method you compile,"
                + " which holds more than doubles"), returned.getMessage());
        // a record of doubles fills the caller's array of its leaves
        double[] result = new double[2];
        pipeline.jit(method("identity", "(Lrec/Phys$Vec;)Lrec/Phys$Vec;")).handle().invokeExact(1.5, -0.25, result);
        assertArrayEquals(new double[] {1.5, -0.25}, result, 0.0);
        java.lang.invoke.MethodHandle identity = pipeline.jit(method("identity", "(Lrec/Phys$Vec;)Lrec/Phys$Vec;"))
                .handle();
        assertThrows(IllegalArgumentException.class, () -> { identity.invokeExact(1.5, -0.25, new double[3]); });
    }
}
