package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.Map;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.error.DifferentiationException;
import jenzyme.runtime.lower.StaticField;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Static fields read by compiled code (notebook variables are static fields of JShell's wrapper classes): passed as
 * hidden Const arguments read at every call, so compiled code, its gradient and its tangent see the value the JVM
 * sees at that moment; element writes go into the field's own array.
 */
class StaticFieldsTest {

    private static final String SOURCE = """
            package sf;
            public class Model {
                static double g = 9.81;
                static final double[] WEIGHTS = {1.0, 2.0, 3.0};
                static final double HALF = Math.sqrt(0.25);
                static int calls;
                static double[] nothing;
                static double fall(double t) { return HALF * g * t * t; }
                static double weighted(double[] x) {
                    double s = 0;
                    for (int i = 0; i < x.length; i++) s += WEIGHTS[i] * x[i] * x[i];
                    return s + scaled(x[0]);
                }
                static double scaled(double v) { return g * v; }
                static void remember(double v) { WEIGHTS[0] = v; }
                static double readsNull(double x) { return nothing.length * x; }
                static int count() { return calls; }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();
    private static Class<?> model;

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("sf.Model", SOURCE);
        model = classes.load("sf.Model");
    }

    private static JavaMethod method(String name, String descriptor) {
        return new JavaMethod(classes, "sf/Model", name, descriptor);
    }

    private static void set(String field, Object value) throws ReflectiveOperationException {
        var f = model.getDeclaredField(field);
        f.setAccessible(true);
        f.set(null, value);
    }

    private static double[] weights() throws ReflectiveOperationException {
        var f = model.getDeclaredField("WEIGHTS");
        f.setAccessible(true);
        return (double[]) f.get(null);
    }

    @Test
    void theEntryPointTakesTheFieldsItsCallGraphReadsAsHiddenParameters() {
        var entry = pipeline.lower(method("weighted", "([D)D")).entry();
        assertEquals(List.of(new StaticField("sf/Model", "WEIGHTS", JavaType.DOUBLE_ARRAY),
                new StaticField("sf/Model", "g", JavaType.DOUBLE)),
                entry.fields().stream().map(f -> f.field()).toList());
        assertEquals(List.of(3, 5), entry.fields().stream().map(f -> f.llvmIndex()).toList());
    }

    @Test
    void compiledCodeSeesTheValueAtEachCall() throws Throwable {
        try (NativeMethod fall = pipeline.jit(method("fall", "(D)D"))) {
            set("g", 9.81);
            assertEquals(0.5 * 9.81 * 4, (double) fall.handle().invokeExact(2.0), 0);
            set("g", 1.62);
            assertEquals(0.5 * 1.62 * 4, (double) fall.handle().invokeExact(2.0), 0);
            assertEquals(0.5 * 1.62 * 9, (double) fall.copyingHandle().invokeExact(3.0), 0);
            set("calls", 7);
        }
        try (NativeMethod count = pipeline.jit(method("count", "()I"))) {
            assertEquals(7, (int) count.handle().invokeExact());
        }
    }

    @Test
    void gradientsAndTangentsUseTheCurrentValues() throws Throwable {
        set("g", 2.0);
        try (Derivative d = pipeline.differentiate(method("weighted", "([D)D"), Mode.REVERSE, Map.of(),
                DifferentiationOptions.DEFAULT)) {
            double[] x = {1.5, -2.0, 0.5}, dx = new double[3], out = new double[1];
            d.handle().invokeExact(x, dx, out);
            double[] w = weights();
            assertEquals(w[0] * 2.25 + w[1] * 4 + w[2] * 0.25 + 2.0 * 1.5, out[0], 1e-12);
            assertArrayEquals(new double[] {2 * w[0] * 1.5 + 2.0, 2 * w[1] * -2.0, 2 * w[2] * 0.5}, dx, 1e-12);
            set("g", 5.0);
            weights()[1] = 10;
            dx = new double[3];
            d.handle().invokeExact(x, dx, out);
            assertArrayEquals(new double[] {2 * w[0] * 1.5 + 5.0, 2 * 10 * -2.0, 2 * w[2] * 0.5}, dx, 1e-12);
            weights()[1] = 2.0;
        }
        try (Derivative d = pipeline.differentiate(method("fall", "(D)D"), Mode.FORWARD, Map.of(),
                DifferentiationOptions.DEFAULT)) {
            double[] out = new double[2];
            d.handle().invokeExact(3.0, 1.0, out);
            assertEquals(0.5 * 2.0 * 9 * 0 + 0.5 * 5.0 * 9, out[0], 1e-12);
            assertEquals(5.0 * 3.0, out[1], 1e-12);
        }
    }

    @Test
    void elementWritesGoIntoTheFieldsArray() throws Throwable {
        double before = weights()[0];
        try (NativeMethod remember = pipeline.jit(method("remember", "(D)V"))) {
            remember.handle().invokeExact(42.0);
            assertEquals(42.0, weights()[0]);
        } finally {
            weights()[0] = before;
        }
    }

    @Test
    void aNullArrayFieldRaisesNamingTheField() throws Throwable {
        try (NativeMethod reads = pipeline.jit(method("readsNull", "(D)D"))) {
            NullPointerException e = assertThrows(NullPointerException.class,
                    () -> { double unused = (double) reads.handle().invokeExact(1.0); });
            assertTrue(e.getMessage().contains("sf.Model.nothing is null"), e.getMessage());
        }
    }

    @Test
    void hvpOfAMethodReadingAFieldIsRefusedNamingTheField() {
        DifferentiationException e = assertThrows(DifferentiationException.class,
                () -> pipeline.hvp(method("weighted", "([D)D")));
        assertTrue(e.getMessage().contains("reads sf.Model.WEIGHTS"), e.getMessage());
    }
}
