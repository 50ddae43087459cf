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
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Objects from the JVM whose fields compiled code writes (lowering/ParameterObjects), at the runtime's handles: the
 * object is the double[] of its fields, copied in and written back by the call, also when it throws. Native against
 * the JVM's object after the call on random inputs; the shadow after a reverse sweep against central differences
 * with respect to the fields' values at entry.
 */
class ParameterObjectsTest {

    private static final String SOURCE = """
            package pobj;
            public class Objs {
                static final class Particle {
                    double x, v;
                    final double mass;
                    Particle(double x, double v, double mass) { this.x = x; this.v = v; this.mass = mass; }
                    void step(double k, double dt) { v -= k * x / mass * dt; x += v * dt; }
                }
                static final class Sum {
                    double total;
                    int count;
                    Sum(double total, int count) { this.total = total; this.count = count; }
                    void add(double v) { total += v; count++; }
                }
                static final class Particle2 {
                    final double[] pos, vel;
                    double t;
                    long steps;
                    Particle2(double[] pos, double[] vel, double t, long steps) {
                        this.pos = pos; this.vel = vel; this.t = t; this.steps = steps;
                    }
                    void step(double h) {
                        for (int i = 0; i < pos.length; i++) { vel[i] -= h * (pos[i] * pos[i] - 1) * pos[i]; pos[i] += h * vel[i]; }
                        t += h;
                        steps++;
                        if (pos[0] > 2.2) throw new IllegalStateException("escaped");
                    }
                    double energy() {
                        double e = 0.1 * t * t;
                        for (int i = 0; i < pos.length; i++) e += 0.5 * vel[i] * vel[i] + 0.25 * (pos[i] * pos[i] - 2) * pos[i] * pos[i];
                        return e;
                    }
                    double advance(double h, int n) {
                        for (int k = 0; k < n; k++) step(h);
                        return energy();
                    }
                }
                static final class Regrown {
                    double[] w;
                    double s;
                    Regrown(double[] w, double s) { this.w = w; this.s = s; }
                    void regrow() { w = new double[4]; s++; }
                }
                static final class Nested {
                    Sum inner;
                    double x;
                    Nested(Sum inner, double x) { this.inner = inner; this.x = x; }
                }
                public static double orbit(Particle q, double dt) {
                    for (int i = 0; i < 3; i++) q.step(1.5, dt);
                    return q.x * q.v;
                }
                public static double added(Sum s, double[] p) {
                    Sum alias = s;
                    for (double v : p) alias.add(v * v);
                    if (s.total > 4) throw new IllegalArgumentException("too large");
                    return s.total / s.count;
                }
                public static double regrown(Regrown g) { g.regrow(); return g.s; }
                public static double nested(Nested n, double v) { n.x = v; return v; }
                public static double recurse(Sum s, double x) {
                    s.add(x);
                    return s.count > 3 ? s.total : recurse(s, x);
                }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("pobj.Objs", SOURCE);
    }

    @Test
    void fieldsWrittenByTheCallAreCopiedBackAndTheGradientIsWithRespectToTheirValuesAtEntry() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("pobj.Objs", "orbit");
        Class<?> particle = Class.forName("pobj.Objs$Particle", true, jvm.type().parameterType(0).getClassLoader());
        var make = particle.getDeclaredConstructor(double.class, double.class, double.class);
        make.setAccessible(true);
        var x = particle.getDeclaredField("x");
        var v = particle.getDeclaredField("v");
        x.setAccessible(true);
        v.setAccessible(true);
        JavaMethod method = new JavaMethod(classes, "pobj/Objs", "orbit", "(Lpobj/Objs$Particle;D)D");
        Random random = new Random(7);
        try (NativeMethod primal = pipeline.jit(method);
             Derivative reverse = pipeline.differentiate(method, Mode.REVERSE, Map.of(), DifferentiationOptions.DEFAULT)) {
            for (int trial = 0; trial < 30; trial++) {
                double[] fields = {random.nextDouble(-1, 1), random.nextDouble(-1, 1), random.nextDouble(0.5, 2)};
                double dt = random.nextDouble(0.01, 0.2);
                Object q = make.newInstance(fields[0], fields[1], fields[2]);
                double expected = (double) jvm.invoke(q, dt);
                double[] object = fields.clone();
                assertEquals(expected, (double) primal.handle().invoke(object, dt), 0, "primal " + trial);
                assertArrayEquals(new double[] {x.getDouble(q), v.getDouble(q), fields[2]}, object, 0,
                        "fields after the call " + trial);
            }
            double[] fields = {0.4, -0.3, 1.2};
            double dt = 0.1;
            double[] object = fields.clone(), dobject = new double[3];
            double[] out = new double[reverse.convention().slots().size()];
            reverse.handle().invoke(object, dobject, dt, out);
            for (int k = 0; k < 3; k++) {
                double[] up = fields.clone(), down = fields.clone();
                up[k] += 1e-6;
                down[k] -= 1e-6;
                double fd = ((double) jvm.invoke(make.newInstance(up[0], up[1], up[2]), dt)
                        - (double) jvm.invoke(make.newInstance(down[0], down[1], down[2]), dt)) / 2e-6;
                assertEquals(fd, dobject[k], 1e-6 * (1 + Math.abs(fd)), "d/dfield" + k);
            }
            double fdt = ((double) jvm.invoke(make.newInstance(0.4, -0.3, 1.2), dt + 1e-6)
                    - (double) jvm.invoke(make.newInstance(0.4, -0.3, 1.2), dt - 1e-6)) / 2e-6;
            assertEquals(fdt, out[reverse.convention().adjointSlot(1)], 1e-6 * (1 + Math.abs(fdt)), "d/ddt");
        }
    }

    @Test
    void anIntFieldIsCopiedBackAlsoWhenTheCallThrows() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("pobj.Objs", "added");
        Class<?> sum = Class.forName("pobj.Objs$Sum", true, jvm.type().parameterType(0).getClassLoader());
        var make = sum.getDeclaredConstructor(double.class, int.class);
        make.setAccessible(true);
        var total = sum.getDeclaredField("total");
        var count = sum.getDeclaredField("count");
        total.setAccessible(true);
        count.setAccessible(true);
        Random random = new Random(11);
        try (NativeMethod primal = pipeline.jit(new JavaMethod(classes, "pobj/Objs", "added",
                "(Lpobj/Objs$Sum;[D)D"))) {
            int thrown = 0;
            for (int trial = 0; trial < 40; trial++) {
                double[] p = random.doubles(3, -1.6, 1.6).toArray();
                int n = random.nextInt(0, 5);
                Object s = make.newInstance(0.5, n);
                double[] object = {0.5, n};
                Throwable jvmThrew = null, nativeThrew = null;
                double expected = Double.NaN, actual = Double.NaN;
                try {
                    expected = (double) jvm.invoke(s, p.clone());
                } catch (IllegalArgumentException e) {
                    jvmThrew = e;
                }
                try {
                    actual = (double) primal.handle().invoke(object, p.clone());
                } catch (IllegalArgumentException e) {
                    nativeThrew = e;
                }
                assertEquals(jvmThrew == null, nativeThrew == null, "throws at trial " + trial);
                thrown += jvmThrew == null ? 0 : 1;
                assertEquals(expected, actual, 0, "primal " + trial);
                assertArrayEquals(new double[] {total.getDouble(s), count.getInt(s)}, object, 0, "fields " + trial);
            }
            assertTrue(thrown > 0 && thrown < 40, "some trials throw: " + thrown);
        }
    }

    @Test
    void arrayAndLongFieldsOfTheReceiverTravelAsTheirOwnLeavesAndTheNumbersComeBackExactly() throws Throwable {
        Class<?> particle = Class.forName("pobj.Objs$Particle2", true, classes.jvmHandle("pobj.Objs", "orbit").type()
                .parameterType(0).getClassLoader());
        var make = particle.getDeclaredConstructor(double[].class, double[].class, double.class, long.class);
        var advance = particle.getDeclaredMethod("advance", double.class, int.class);
        var t = particle.getDeclaredField("t");
        var steps = particle.getDeclaredField("steps");
        var posField = particle.getDeclaredField("pos");
        var velField = particle.getDeclaredField("vel");
        for (var member : new java.lang.reflect.AccessibleObject[] {make, advance, t, steps, posField, velField}) {
            member.setAccessible(true);
        }
        Random random = new Random(5);
        JavaMethod method = new JavaMethod(classes, "pobj/Objs$Particle2", "advance", "(DI)D");
        try (NativeMethod primal = pipeline.jit(method);
             Derivative reverse = pipeline.differentiate(method, Mode.REVERSE, Map.of(), DifferentiationOptions.DEFAULT)) {
            int thrown = 0;
            for (int trial = 0; trial < 40; trial++) {
                double[] pos = random.doubles(3, -2, 2.4).toArray(), vel = random.doubles(3, -1, 1).toArray();
                double t0 = random.nextDouble(), h = random.nextDouble(0.05, 0.3);
                int n = random.nextInt(0, 6);
                long steps0 = (1L << 53) + 1 + trial; // a double would round it
                Object p = make.newInstance(pos.clone(), vel.clone(), t0, steps0);
                double[] numbers = {t0}, nativePos = pos.clone(), nativeVel = vel.clone();
                long[] longs = {steps0};
                Object expected = outcome(() -> advance.invoke(p, h, n));
                Object actual = outcome(() -> primal.handle().invoke(numbers, longs, nativePos, nativeVel, h, n));
                assertEquals(expected, actual, "result or failure " + trial);
                thrown += expected instanceof String ? 1 : 0;
                assertArrayEquals((double[]) posField.get(p), nativePos, 0, "pos " + trial);
                assertArrayEquals((double[]) velField.get(p), nativeVel, 0, "vel " + trial);
                assertEquals(t.getDouble(p), numbers[0], 0, "t " + trial);
                assertEquals(steps.getLong(p), longs[0], "steps " + trial);
                // reverse mode too, the throw inside the loop of a callee included: the object as the JVM leaves it
                double[] reverseNumbers = {t0}, reversePos = pos.clone(), reverseVel = vel.clone();
                long[] reverseLongs = {steps0};
                Object swept = outcome(() -> reverse.handle().invoke(reverseNumbers, new double[1], reverseLongs,
                        reversePos, new double[3], reverseVel, new double[3], h, n,
                        new double[reverse.convention().slots().size()]));
                assertEquals(expected instanceof String ? expected : null, swept, "reverse failure " + trial);
                assertArrayEquals(nativePos, reversePos, 0, "pos after reverse " + trial);
                assertArrayEquals(nativeVel, reverseVel, 0, "vel after reverse " + trial);
                assertArrayEquals(numbers, reverseNumbers, 0, "t after reverse " + trial);
                assertArrayEquals(longs, reverseLongs, "steps after reverse " + trial);
            }
            assertTrue(thrown > 0 && thrown < 40, "some trials throw: " + thrown);
            assertTrue(assertThrows(jenzyme.runtime.error.BindingException.class, () -> jenzyme.runtime.ship
                    .CompiledArtifact.of(reverse)).getMessage().startsWith("advance writes the fields of this, a "
                    + "pobj.Objs$Particle2 from the JVM, which only the notebook's own stubs copy back"));
            double[] pos = {0.3, -0.7, 1.1}, vel = {0.2, 0.5, -0.4};
            double t0 = 0.25, h = 0.1;
            int n = 4;
            double[] dnumbers = new double[1], dpos = new double[3], dvel = new double[3];
            double[] out = new double[reverse.convention().slots().size()];
            reverse.handle().invoke(new double[] {t0}, dnumbers, new long[] {7}, pos.clone(), dpos, vel.clone(), dvel,
                    h, n, out);
            java.util.function.DoubleUnaryOperator energyAtT = x -> energy(make, advance, pos, vel, x, h, n);
            assertEquals(centralDifference(energyAtT, t0), dnumbers[0], 1e-6, "d/dt");
            for (int i = 0; i < 3; i++) {
                int k = i;
                assertEquals(centralDifference(x -> energy(make, advance, with(pos, k, x), vel, t0, h, n), pos[k]),
                        dpos[k], 1e-6, "d/dpos" + k);
                assertEquals(centralDifference(x -> energy(make, advance, pos, with(vel, k, x), t0, h, n), vel[k]),
                        dvel[k], 1e-6, "d/dvel" + k);
            }
            assertEquals(centralDifference(x -> energy(make, advance, pos, vel, t0, x, n), h),
                    out[reverse.convention().adjointSlot(reverse.convention().entry().parameters().size() - 2)], 1e-6,
                    "d/dh");
        }
    }

    /** The JVM's {@code new Particle2(pos, vel, t, 7).advance(h, n)}, on copies of the arrays. */
    private static double energy(java.lang.reflect.Constructor<?> make, java.lang.reflect.Method advance, double[] pos,
                                 double[] vel, double t, double h, int n) {
        try {
            return (double) advance.invoke(make.newInstance(pos.clone(), vel.clone(), t, 7L), h, n);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static double centralDifference(java.util.function.DoubleUnaryOperator f, double x) {
        return (f.applyAsDouble(x + 1e-6) - f.applyAsDouble(x - 1e-6)) / 2e-6;
    }

    private static double[] with(double[] values, int index, double value) {
        double[] copy = values.clone();
        copy[index] = value;
        return copy;
    }

    /** A call that may throw (a method handle's invoke throws Throwable). */
    private interface Call {
        Object call() throws Throwable;
    }

    /** The call's result, or the message of the exception it threw (through reflection: its cause). */
    private static Object outcome(Call call) {
        try {
            return call.call();
        } catch (java.lang.reflect.InvocationTargetException e) {
            return e.getCause().getMessage();
        } catch (Throwable e) {
            return e.getMessage();
        }
    }

    @Test
    void aNewArrayInAFieldARecordFieldAndTheMethodCallingItselfWithTheObjectAreRefusedInWords() {
        assertRefused("regrown", "(Lpobj/Objs$Regrown;)D", "assigning a new array to the field pobj.Objs$Regrown.w of a "
                + "pobj.Objs$Regrown from the JVM");
        assertRefused("nested", "(Lpobj/Objs$Nested;D)D", "writing the field pobj.Objs$Nested.x, and n, a parameter "
                + "of the method you compile, is a pobj.Objs$Nested");
        assertRefused("recurse", "(Lpobj/Objs$Sum;D)D", "calling pobj.Objs.recurse(pobj.Objs$Sum, double) from "
                + "itself: the method the magic names takes a pobj.Objs$Sum from the JVM");
    }

    private static void assertRefused(String name, String descriptor, String expected) {
        LoweringException refused = assertThrows(LoweringException.class,
                () -> pipeline.jit(new JavaMethod(classes, "pobj/Objs", name, descriptor)).close());
        assertTrue(refused.getMessage().contains(expected), refused.getMessage());
    }
}
