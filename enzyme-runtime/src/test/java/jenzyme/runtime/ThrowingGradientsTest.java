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
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.StatusCode;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A Java exception thrown before, inside or after a loop leaves every compiled form as it leaves the JVM: reverse
 * gradients (whose failures unwind to the call's guard, lower/UnwindingFailures), forward derivatives and {@code %jit}
 * code, on short (per-iteration) and long (strip-mined) loops. Where nothing throws, values equal the JVM's and
 * derivatives the analytic one. Session 6 found a throw before a loop vanishing from reverse gradients: Enzyme marks
 * the calls of the functions it clones {@code willreturn}, which made the unwinder's noreturn call undefined
 * behaviour for O3 (worker/src/failure_checks.rs); {@code before(v, -1.5)} then returned a gradient of 6.75.
 */
class ThrowingGradientsTest {

    private static final String SOURCE = """
            package demo;
            public class Throws {
                public static double before(double[] v, double x) {
                    v[0] = x;
                    if (x < 0) throw new IllegalArgumentException("negative x");
                    for (int i = 1; i < v.length; i++) v[i] = v[i - 1] * x;
                    return v[v.length - 1];
                }
                public static double inside(double[] v, double x) {
                    v[0] = x;
                    for (int i = 1; i < v.length; i++) {
                        if (Math.abs(v[i - 1]) > 10) throw new IllegalStateException("too large");
                        v[i] = v[i - 1] * x;
                    }
                    return v[v.length - 1];
                }
                public static double after(double[] v, double x) {
                    v[0] = x;
                    for (int i = 1; i < v.length; i++) v[i] = v[i - 1] * x;
                    if (v[v.length - 1] < -1) throw new ArithmeticException("below -1");
                    return v[v.length - 1];
                }
                public static double nest(double x, int k) {
                    return k <= 0 ? x : Math.sin(nest(x, k - 1));
                }
            }
            """;

    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();
    private static CompiledClasses classes;

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("demo.Throws", SOURCE);
    }

    private static JavaMethod method(String name, String descriptor) {
        return new JavaMethod(classes, "demo/Throws", name, descriptor);
    }

    private static Object jvm(String name, Object... args) throws Throwable {
        return classes.jvmHandle("demo.Throws", name).invokeWithArguments(args);
    }

    /** How one compiled form is called on {@code (v, x)}: its value, and its derivative in x where it has one. */
    enum Form { REVERSE, FORWARD, JIT }

    /**
     * x in [-2, 2] (with 0 and -0.0): {@code before} throws for every negative x, {@code inside} once a power of x
     * passes 10 in magnitude, {@code after} when x^n < -1; n = 3 runs the per-iteration loop, n = 200 the
     * strip-mined one.
     */
    @ParameterizedTest
    @CsvSource({"before, REVERSE", "before, FORWARD", "before, JIT", "inside, REVERSE", "inside, FORWARD",
            "inside, JIT", "after, REVERSE", "after, FORWARD", "after, JIT"})
    void aThrowLeavesTheCompiledFormAsItLeavesTheJvm(String name, Form form) throws Throwable {
        JavaMethod method = method(name, "([DD)D");
        AutoCloseable compiled = form == Form.JIT ? pipeline.jit(method) : pipeline.differentiate(method,
                form == Form.REVERSE ? Mode.REVERSE : Mode.FORWARD, Map.of(), DifferentiationOptions.DEFAULT);
        try (compiled) {
            MethodHandle handle = compiled instanceof Derivative d ? d.handle() : ((NativeMethod) compiled).handle();
            Random random = new Random(name.hashCode());
            int thrown = 0, returned = 0;
            for (int n : new int[] {3, 200}) {
                for (int trial = 0; trial < 40; trial++) {
                    double x = trial == 0 ? 0.0 : trial == 1 ? -0.0 : random.nextDouble(-2, 2);
                    double[] jvmV = new double[n], nativeV = new double[n];
                    Throwable expected = null;
                    double value = 0;
                    try {
                        value = (double) jvm(name, jvmV, x);
                    } catch (RuntimeException e) {
                        expected = e;
                    }
                    String where = name + " " + form + " n=" + n + " x=" + x;
                    if (expected != null) {
                        thrown++;
                        Throwable actual = assertThrows(expected.getClass(), () -> call(form, handle, nativeV, x),
                                where);
                        assertEquals(expected.getMessage(), actual.getMessage(), where);
                        // Inside a derivative's loop LLVM may move array stores across a failing check
                        // (docs/DERIVATIVES.md); the stores before the loop and %jit's are the JVM's.
                        if (form == Form.JIT) {
                            assertArrayEquals(jvmV, nativeV, 0.0, where);
                        } else {
                            assertEquals(jvmV[0], nativeV[0], 0.0, where);
                        }
                        continue;
                    }
                    returned++;
                    double[] got = call(form, handle, nativeV, x);
                    assertEquals(value, got[0], 0.0, where);
                    if (form != Form.JIT) { // d(x^n)/dx = n x^(n-1)
                        double slope = n * Math.pow(x, n - 1);
                        assertEquals(slope, got[1], 1e-12 * (1 + Math.abs(slope)), where);
                    }
                }
            }
            // both paths taken at both lengths (no test that cannot fail)
            assertTrue(thrown >= 5 && returned >= 5, name + " threw " + thrown + ", returned " + returned);
        }
    }

    /** Value and (for derivatives) d/dx of one call; the tangent of v is zero, its adjoint ignored. */
    private static double[] call(Form form, MethodHandle handle, double[] v, double x) throws Throwable {
        return switch (form) {
            case JIT -> new double[] {(double) handle.invokeExact(v, x)};
            case REVERSE -> {
                double[] out = new double[2];
                handle.invokeExact(v, new double[v.length], x, out);
                yield out;
            }
            case FORWARD -> {
                double[] out = new double[2];
                handle.invokeExact(v, new double[v.length], x, 1.0, out);
                yield out;
            }
        };
    }

    /**
     * The recursion depth check, the other failure outside loops that vanished with the throw (nest at depth 2001
     * gave d/dx = 0.0): past {@link StatusCode#MAX_CALL_DEPTH} compiled calls every mode raises; below it the
     * derivative is the chain rule's product of cosines.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"REVERSE", "FORWARD"})
    void recursionPastTheDepthLimitRaisesAndBelowItDifferentiates(Mode mode) throws Throwable {
        try (Derivative nest = pipeline.differentiate(method("nest", "(DI)D"), mode, Map.of(),
                DifferentiationOptions.DEFAULT)) {
            for (int k : new int[] {StatusCode.MAX_CALL_DEPTH + 1, Integer.MAX_VALUE}) {
                Throwable error = assertThrows(StackOverflowError.class, () -> nest(mode, nest.handle(), 0.7, k));
                assertEquals(Messages.COMPILED_STACK_OVERFLOW.format(StatusCode.MAX_CALL_DEPTH), error.getMessage());
            }
            for (int k : new int[] {0, 1, 50, StatusCode.MAX_CALL_DEPTH - 1}) {
                double s = 0.7, slope = 1;
                for (int j = 0; j < k; j++) {
                    slope *= Math.cos(s);
                    s = Math.sin(s);
                }
                double[] got = nest(mode, nest.handle(), 0.7, k);
                // native sin may round differently from the JVM's by an ulp (docs/DERIVATIVES.md), k times over
                assertEquals((double) jvm("nest", 0.7, k), got[0], 1e-13 * Math.abs(got[0]), "k=" + k);
                assertEquals(slope, got[1], 1e-10 * Math.abs(slope), "k=" + k);
            }
        }
    }

    private static double[] nest(Mode mode, MethodHandle handle, double x, int k) throws Throwable {
        double[] out = new double[2];
        if (mode == Mode.REVERSE) {
            handle.invokeExact(x, k, out);
        } else {
            handle.invokeExact(x, 1.0, k, out);
        }
        return out;
    }
}
