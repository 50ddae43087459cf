package jenzyme.runtime.bind;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.util.List;
import java.util.Map;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.jit.JitModule;
import jenzyme.runtime.jit.OrcJit;
import jenzyme.runtime.testing.DebianLlvm19;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Binding symbols the frontend did not produce, as the AD stage binds the worker's wrappers: a status pointer, a
 * scalar, an array with its length and a bare output pointer, written in C here to stand in for Enzyme's output.
 */
class NativeBinderTest {

    private static final String WRAPPER = """
            void fake_gradient(int *status, double x, const double *a, int n, double *out) {
                if (n < 1) { status[0] = 1; status[1] = 0; status[2] = n; return; }
                out[0] = 2 * x;
                out[1] = a[n - 1];
            }
            _Bool positive(int *status, double x) { return x > 0; }
            """;

    private static OrcJit jit;
    private static JitModule module;

    @BeforeAll
    static void load() throws Exception {
        jit = OrcJit.create(Map.of());
        module = jit.add("wrapper", DebianLlvm19.bitcodeOf(WRAPPER), false);
    }

    @AfterAll
    static void close() {
        jit.close();
    }

    private static final NativeSignature GRADIENT = new NativeSignature(List.of(NativeArgument.value(double.class),
            NativeArgument.arrayAndLength(double[].class), NativeArgument.arrayPointer(double[].class)), void.class);

    @Test
    void wrapperWithOutputPointerBindsInBothModes() throws Throwable {
        MethodHandle critical = NativeBinder.bind(module.address("fake_gradient"), GRADIENT, module::isLive, "fake_gradient");
        MethodHandle copying = NativeBinder.bindCopying(module.address("fake_gradient"), GRADIENT, module::isLive, "fake_gradient");
        for (MethodHandle gradient : List.of(critical, copying)) {
            assertEquals(MethodType.methodType(void.class, double.class, double[].class, double[].class), gradient.type());
            double[] out = new double[2];
            gradient.invokeExact(1.5, new double[] {4, 5, 6}, out);
            assertArrayEquals(new double[] {3, 6}, out);
            var e = assertThrows(ArrayIndexOutOfBoundsException.class, () -> { gradient.invokeExact(1.5, new double[0], out); });
            assertEquals("Index 0 out of bounds for length 0", e.getMessage());
        }
    }

    @Test
    void booleansCrossAsCBool() throws Throwable {
        NativeSignature signature = new NativeSignature(List.of(NativeArgument.value(double.class)), boolean.class);
        MethodHandle positive = NativeBinder.bind(module.address("positive"), signature, module::isLive, "positive");
        assertTrue((boolean) positive.invokeExact(2.0));
        assertEquals(false, (boolean) positive.invokeExact(-2.0));
    }

    @Test
    void releasedCodeIsNeverCalled() throws Throwable {
        JitModule temporary = jit.add("temporary", DebianLlvm19.bitcodeOf(WRAPPER), false);
        MethodHandle gradient = NativeBinder.bind(temporary.address("fake_gradient"), GRADIENT, temporary::isLive, "fake_gradient");
        temporary.close();
        var e = assertThrows(BindingException.class, () -> { gradient.invokeExact(1.0, new double[1], new double[2]); });
        assertTrue(e.getMessage().contains("released"), e.getMessage());
    }

    @Test
    void signaturesRejectNonPrimitiveTypes() {
        assertThrows(IllegalArgumentException.class, () -> NativeArgument.value(String.class));
        assertThrows(IllegalArgumentException.class, () -> NativeArgument.arrayAndLength(double.class));
        assertThrows(IllegalArgumentException.class, () -> NativeArgument.arrayPointer(Object[].class));
    }
}
