package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Objects whose fields compiled code writes outside their constructors (lowering/WrittenObjects): a field written in
 * a loop, setters writing {@code this}, writes through an alias, through a callee's parameter and through the object
 * {@code ?:} picked at run time, a particle advancing its own state, objects made in each loop iteration, record and
 * array fields rewritten, a recursive callee and a lambda writing a captured object. Each: %jit equal to the JVM on random inputs, reverse and forward derivatives against
 * central differences of the JVM's method. What would break the JVM's semantics is refused in words.
 */
class WrittenObjectsTest {

    private static final String SOURCE = """
            package wobj;
            public class Objs {
                static final class Sum {
                    double total;
                    int count;
                    void add(double v) { total += v; count++; }
                    double mean() { return total / count; }
                    double total() { return total; }
                }
                static final class Particle {
                    double x, v;
                    final double mass;
                    Particle(double x, double v, double mass) { this.x = x; this.v = v; this.mass = mass; }
                    void step(double k, double dt) { v -= k * x / mass * dt; x += v * dt; }
                    double energy(double k) { return 0.5 * mass * v * v + 0.5 * k * x * x; }
                }
                record Pair(double a, double b) {}
                static final class Box {
                    Pair pair;
                    double[] w;
                    boolean flipped;
                    Box(double[] w) { this.w = w; }
                }
                record Holder(Sum s) {}
                static final class Clock {
                    double t;
                    Clock() { reset(); }
                    void reset() { t = 0; }
                }
                static void bump(Sum s, double d) { s.total *= d; s.count += 2; }
                static Sum make(double t) { Sum s = new Sum(); s.total = t; return s; }

                public static double squares(double[] p) {
                    Sum a = new Sum();
                    for (int i = 0; i < p.length; i++) a.total += p[i] * p[i];
                    return a.total;
                }
                public static double setter(double[] p) {
                    Sum a = new Sum();
                    for (double v : p) a.add(Math.sin(v));
                    return a.mean() * a.total();
                }
                public static double aliases(double[] p) {
                    Sum a = new Sum();
                    Sum b = a;
                    b.total = p[0];
                    a.total += p[1] * b.total;
                    bump(b, p[2]);
                    a.add(p[3]);
                    return a.total * b.total + b.count;
                }
                public static double pick(double[] p) {
                    Sum a = new Sum(), b = new Sum();
                    a.total = p[0];
                    b.total = p[1];
                    Sum c = p[0] > p[1] ? a : b;
                    c.total *= 3;
                    c.add(p[2]);
                    return a.total - 2 * b.total + a.count;
                }
                public static double orbit(double[] p) {
                    Particle q = new Particle(p[0], p[1], 1 + p[2] * p[2]);
                    for (int i = 0; i < 40; i++) q.step(2.0, 0.05);
                    return q.energy(2.0) + q.x;
                }
                public static double perIteration(double[] p) {
                    double s = 0;
                    for (int i = 0; i < p.length; i++) {
                        Particle q = new Particle(p[i], 1, 2);
                        q.step(2, 0.1);
                        q.step(2, 0.1);
                        s += q.x * q.v;
                    }
                    return s;
                }
                public static double fields(double[] p) {
                    Box b = new Box(new double[] {p[0], p[1]});
                    b.pair = new Pair(p[2], p[3]);
                    for (int i = 0; i < 3; i++) {
                        b.pair = new Pair(b.pair.b(), b.pair.a() * b.w[i % 2]);
                        b.flipped = !b.flipped;
                    }
                    b.w = p;
                    return b.pair.a() + b.pair.b() * b.w[1] + (b.flipped ? 1 : 0);
                }
                static void fill(Sum s, double[] p, int i) {
                    if (i == p.length) return;
                    s.add(p[i] * p[i]);
                    fill(s, p, i + 1);
                }
                public static double recursive(double[] p) {
                    Sum s = new Sum();
                    fill(s, p, 0);
                    return s.total / s.count;
                }
                public static double captured(double[] p) {
                    Sum s = new Sum();
                    java.util.function.DoubleUnaryOperator f = v -> { s.add(v * p[0]); return s.total; };
                    double r = 0;
                    for (int i = 0; i < p.length; i++) r += f.applyAsDouble(p[i]);
                    return r + s.total;
                }

                public static double clock(double[] p) {
                    Clock c = new Clock();
                    c.t += p[0];
                    return c.t;
                }
                public static double kept(double[] p) {
                    Sum keep = new Sum();
                    for (int i = 0; i < p.length; i++) {
                        Sum s = new Sum();
                        s.total = p[i];
                        keep = s;
                    }
                    return keep.total;
                }
                public static double returned(double[] p) { return make(p[0]).total; }
                public static double held(double[] p) {
                    Sum s = new Sum();
                    s.total = p[0];
                    return new Holder(s).s().total;
                }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("wobj.Objs", SOURCE);
    }

    private static JavaMethod method(String name) {
        return new JavaMethod(classes, "wobj/Objs", name, "([D)D");
    }

    @ParameterizedTest
    @ValueSource(strings = {"squares", "setter", "aliases", "pick", "orbit", "perIteration", "fields", "recursive",
            "captured"})
    void writesAreSeenThroughEveryNameInEveryMode(String name) throws Throwable {
        MethodHandle jvm = classes.jvmHandle("wobj.Objs", name);
        int n = 4;
        Random random = new Random(name.hashCode());
        try (NativeMethod primal = pipeline.jit(method(name));
             Derivative reverse = pipeline.differentiate(method(name), Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT);
             Derivative forward = pipeline.differentiate(method(name), Mode.FORWARD, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            for (int trial = 0; trial < 40; trial++) {
                double[] p = random.doubles(n, -1.5, 1.5).toArray();
                assertEquals((double) jvm.invoke(p.clone()), (double) primal.handle().invoke(p.clone()), 0,
                        name + " primal at trial " + trial);
            }
            for (int trial = 0; trial < 5; trial++) {
                double[] p = random.doubles(n, -1.5, 1.5).toArray();
                double[] dp = new double[n], out = new double[reverse.convention().slots().size()];
                reverse.handle().invoke(p, dp, out);
                assertEquals((double) jvm.invoke(p.clone()), out[reverse.convention().primalSlot()], 1e-12,
                        name + " reverse primal");
                double[] tangent = new double[forward.convention().slots().size()];
                for (int k = 0; k < n; k++) {
                    double[] up = p.clone(), down = p.clone();
                    up[k] += 1e-6;
                    down[k] -= 1e-6;
                    double fd = ((double) jvm.invoke(up) - (double) jvm.invoke(down)) / 2e-6;
                    assertEquals(fd, dp[k], 1e-6 * (1 + Math.abs(fd)), name + " reverse d/dp" + k);
                    double[] direction = new double[n];
                    direction[k] = 1;
                    forward.handle().invoke(p, direction, tangent);
                    assertEquals(fd, tangent[forward.convention().returnTangentSlot()], 1e-6 * (1 + Math.abs(fd)),
                            name + " forward d/dp" + k);
                }
            }
        }
    }

    @Test
    void batchedForwardLanesThroughASteppedParticleAgreeWithCentralDifferences() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("wobj.Objs", "orbit");
        double[] p = {0.3, -0.7, 0.4, 0.1};
        int lanes = 3;
        double[][] tangents = new double[lanes][p.length];
        for (int k = 0; k < lanes; k++) {
            tangents[k][k] = 1;
        }
        try (BatchedForward batched = new BatchedForward(pipeline.differentiate(method("orbit"), Mode.FORWARD,
                Map.of(), DifferentiationOptions.DEFAULT, lanes))) {
            double[] dvalue = new double[lanes];
            assertEquals((double) jvm.invoke(p.clone()), batched.into(dvalue, p, tangents), 1e-12, "value");
            for (int k = 0; k < lanes; k++) {
                double[] up = p.clone(), down = p.clone();
                up[k] += 1e-6;
                down[k] -= 1e-6;
                double fd = ((double) jvm.invoke(up) - (double) jvm.invoke(down)) / 2e-6;
                assertEquals(fd, dvalue[k], 1e-6 * (1 + Math.abs(fd)), "lane " + k);
            }
        }
    }

    @Test
    void whatWouldBreakTheJvmsSemanticsIsRefusedInWords() {
        assertRefused("kept", "([D)D", "keeping a wobj.Objs$Sum created inside a loop beyond its iteration, and "
                + "compiled code writes its fields: it is assigned to keep, declared outside the loop");
        assertRefused("returned", "([D)D", "returning a wobj.Objs$Sum from wobj.Objs.make(double)");
        assertRefused("held", "([D)D", "a wobj.Objs$Sum in the field s of wobj.Objs$Holder");
        assertRefused("clock", "([D)D", "calling a method with the wobj.Objs$Clock under construction (this) inside "
                + "its constructor");
    }

    private static void assertRefused(String name, String descriptor, String expected) {
        LoweringException refused = assertThrows(LoweringException.class,
                () -> pipeline.jit(new JavaMethod(classes, "wobj/Objs", name, descriptor)).close());
        assertTrue(refused.getMessage().contains(expected), refused.getMessage());
    }
}
