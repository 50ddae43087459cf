package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
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
 * Objects of final classes with fields, created and used inside compiled code (as values, like records): their
 * constructors (field initialisers, unassigned fields at zero), instance methods and getters; native primal equal to
 * the JVM's, the reverse gradient against central differences; what stays out refused in words.
 */
class ValueObjectsTest {

    private static final String SOURCE = """
            package obj;
            public class Osc {
                static final class Particle {
                    final double x, v;
                    double mass = 1;
                    int steps;
                    Particle(double x, double v, double mass) { this.x = x; this.v = v; this.mass = mass; }
                    Particle(double x, double v, double mass, int steps) { this(x, v, mass); }
                    double x() { return x; }
                    Particle step(double k, double dt) {
                        double a = -k * x / mass;
                        double v1 = v + a * dt;
                        return new Particle(x + v1 * dt, v1, mass);
                    }
                    double energy(double k) { return 0.5 * mass * v * v + 0.5 * k * x * x; }
                }
                public static double simulate(double x0, double v0, double m, double k, double dt, int n) {
                    Particle p = new Particle(x0, v0, m);
                    for (int i = 0; i < n; i++) p = p.step(k, dt);
                    return p.energy(k) + p.x();
                }
                public static double energyOf(Particle p, double k) { return p.energy(k) + p.x(); }
                static final class Hidden {
                    private final double a;
                    Hidden(double a) { this.a = a; }
                }
                static final class Partial {
                    double a, b;
                    Partial(double a) { this.a = a; }
                }
                public static double hidden(Hidden h) { return 1; }
                public static double partial(Partial q) { return q.a; }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("obj.Osc", SOURCE);
    }

    private static JavaMethod method(String name, String descriptor) {
        return new JavaMethod(classes, "obj/Osc", name, descriptor);
    }

    private static double jvm(double... a) throws Throwable {
        return (double) classes.jvmHandle("obj.Osc", "simulate").invoke(a[0], a[1], a[2], a[3], a[4], (int) a[5]);
    }

    @Test
    void objectsCreatedInALoopMatchTheJvmAndDifferentiate() throws Throwable {
        try (NativeMethod f = pipeline.jit(method("simulate", "(DDDDDI)D"))) {
            Random random = new Random(5);
            for (int trial = 0; trial < 50; trial++) {
                double x = random.nextGaussian(), v = random.nextGaussian(), m = 0.5 + random.nextDouble();
                double k = 0.5 + random.nextDouble(), dt = 0.05 * random.nextDouble();
                int n = random.nextInt(300);
                double expected = jvm(x, v, m, k, dt, n);
                assertEquals(expected, (double) f.handle().invokeExact(x, v, m, k, dt, n), 1e-14 * Math.abs(expected));
            }
        }
        try (Derivative d = pipeline.differentiate(method("simulate", "(DDDDDI)D"), Mode.REVERSE, Map.of(),
                DifferentiationOptions.DEFAULT)) {
            double[] a = {0.4, -0.3, 1.2, 2.0, 0.01, 100};
            double[] out = new double[d.convention().slots().size()];
            d.handle().invokeExact(a[0], a[1], a[2], a[3], a[4], 100, out);
            assertEquals(jvm(a), out[d.convention().primalSlot()], 1e-13);
            for (int p = 0; p < 5; p++) {
                double h = 1e-6;
                double[] up = a.clone(), down = a.clone();
                up[p] += h;
                down[p] -= h;
                double fd = (jvm(up) - jvm(down)) / (2 * h);
                assertEquals(fd, out[d.convention().adjointSlot(p)], 1e-6 * (1 + Math.abs(fd)), "partial " + p);
            }
        }
    }

    @Test
    void anObjectParameterIsReadFieldByFieldAndDifferentiated() throws Throwable {
        try (Derivative d = pipeline.differentiate(method("energyOf", "(Lobj/Osc$Particle;D)D"), Mode.REVERSE,
                Map.of(), DifferentiationOptions.DEFAULT)) {
            assertEquals(List.of("p.x", "p.v", "p.mass", "p.steps", "k"),
                    d.entry().parameters().stream().map(jenzyme.runtime.lower.NativeParameter::name).toList());
            double x = 0.7, v = -1.3, m = 2.5, k = 3.0;
            double[] out = new double[d.convention().slots().size()];
            d.handle().invokeExact(x, v, m, 4, k, out);
            assertEquals(0.5 * m * v * v + 0.5 * k * x * x + x, out[d.convention().primalSlot()], 1e-15);
            assertEquals(k * x + 1, out[d.convention().adjointSlot(0)], 1e-15, "d/dx");
            assertEquals(m * v, out[d.convention().adjointSlot(1)], 1e-15, "d/dv");
            assertEquals(0.5 * v * v, out[d.convention().adjointSlot(2)], 1e-15, "d/dmass");
            assertEquals(0.5 * x * x, out[d.convention().adjointSlot(4)], 1e-15, "d/dk");
        }
    }

    @Test
    void anInstanceMethodIsCompiledWithItsReceiverAsTheFirstObjectParameter() throws Throwable {
        try (Derivative d = pipeline.differentiate(new JavaMethod(classes, "obj/Osc$Particle", "energy", "(D)D"),
                Mode.REVERSE, Map.of(), DifferentiationOptions.DEFAULT)) {
            assertEquals(List.of("this.x", "this.v", "this.mass", "this.steps", "k"),
                    d.entry().parameters().stream().map(jenzyme.runtime.lower.NativeParameter::name).toList());
            double x = 0.7, v = -1.3, m = 2.5, k = 3.0;
            double[] out = new double[d.convention().slots().size()];
            d.handle().invokeExact(x, v, m, 4, k, out);
            assertEquals(0.5 * m * v * v + 0.5 * k * x * x, out[d.convention().primalSlot()], 1e-15);
            assertEquals(k * x, out[d.convention().adjointSlot(0)], 1e-15, "d/dx");
            assertEquals(m * v, out[d.convention().adjointSlot(1)], 1e-15, "d/dv");
            assertEquals(0.5 * v * v, out[d.convention().adjointSlot(2)], 1e-15, "d/dmass");
            assertEquals(0.5 * x * x, out[d.convention().adjointSlot(4)], 1e-15, "d/dk");
        }
    }

    @Test
    void objectParametersTheBindingCannotReadAreRefusedInWords() {
        LoweringException hidden = assertThrows(LoweringException.class,
                () -> pipeline.jit(method("hidden", "(Lobj/Osc$Hidden;)D")));
        assertTrue(hidden.getMessage().contains("the parameter h of type obj.Osc$Hidden: its field a is private"),
                hidden.getMessage());
        LoweringException partial = assertThrows(LoweringException.class,
                () -> pipeline.jit(method("partial", "(Lobj/Osc$Partial;)D")));
        assertTrue(partial.getMessage().contains("it has no constructor obj.Osc$Partial(double a, double b)"),
                partial.getMessage());
    }
}
