package jenzyme.runtime.ad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodType;
import java.util.List;
import java.util.Map;
import jenzyme.runtime.ad.CallingConvention.Feed;
import jenzyme.runtime.bind.NativeArgument;
import jenzyme.runtime.bind.NativeSignature;
import jenzyme.runtime.lower.BytecodeLowering;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The calling convention of PROTOCOL.md's example {@code double f(double x, double[] a, int n)}, read off the model. */
class CallingConventionTest {

    private static EntryPoint f;
    private static EntryPoint mixed;

    @BeforeAll
    static void lower() {
        CompiledClasses classes = InMemoryJavac.compile("cc.Fns", """
                package cc;
                public class Fns {
                    public static double f(double x, double[] a, int n) { return x * a[n]; }
                    public static float mixed(float[] v, float s, double[] w) { return s * v[0] + (float) w[0]; }
                }
                """);
        f = new BytecodeLowering(classes).lower("cc/Fns", "f", "(D[DI)D").entry();
        mixed = new BytecodeLowering(classes).lower("cc/Fns", "mixed", "([FF[D)F").entry();
    }

    @Test
    void reverseModeOfTheProtocolExample() {
        CallingConvention reverse = CallingConvention.of(f, Mode.REVERSE, Map.of());
        assertEquals(List.of(Activity.ACTIVE, Activity.DUPLICATED, Activity.CONST), reverse.activities());
        assertEquals(List.of("const:i32*", "active:double", "dup:double*", "const:i32", "const:i32"),
                reverse.workerArguments().stream().map(Argument::token).toList());
        assertEquals(Activity.ACTIVE, reverse.returnActivity());
        assertEquals("(arg0:ptr,arg1:double,arg2:ptr,shadow2:ptr,arg3:i32,arg4:i32,out:ptr) -> "
                + "[primal:double,adjoint1:double]", reverse.wrapperLayout().toString());
        assertEquals(MethodType.methodType(void.class, double.class, double[].class, double[].class, int.class,
                double[].class), reverse.handleType());
        // status, x, a, da, a.length, n, out: handle positions x=0, a=1, da=2, n=3, out=4
        assertEquals(List.of(new Feed(Feed.Kind.STATUS, -1), new Feed(Feed.Kind.VALUE, 0),
                new Feed(Feed.Kind.ARRAY, 1), new Feed(Feed.Kind.ARRAY, 2), new Feed(Feed.Kind.LENGTH, 1),
                new Feed(Feed.Kind.VALUE, 3), new Feed(Feed.Kind.ARRAY, 4)), reverse.feeds());
        assertEquals(0, reverse.primalSlot());
        assertEquals(1, reverse.adjointSlot(0));
        assertFalse(reverse.hasShadow(0));
        assertTrue(reverse.hasShadow(1));
    }

    @Test
    void thePrimalBindingReadsItsLayoutOffTheSameModel() {
        // status, x, a, a.length, n: positions are the Java parameters (no shadows without AD)
        assertEquals(List.of(new Feed(Feed.Kind.STATUS, -1), new Feed(Feed.Kind.VALUE, 0),
                new Feed(Feed.Kind.ARRAY, 1), new Feed(Feed.Kind.LENGTH, 1), new Feed(Feed.Kind.VALUE, 2)),
                CallingConvention.primalFeeds(f));
        NativeSignature signature = NativeSignature.of(f);
        assertEquals(List.of(NativeArgument.value(double.class), NativeArgument.arrayAndLength(double[].class),
                NativeArgument.value(int.class)), signature.arguments());
        assertEquals(FunctionDescriptor.of(ValueLayout.JAVA_DOUBLE, ValueLayout.ADDRESS, ValueLayout.JAVA_DOUBLE,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), signature.functionDescriptor());
    }

    @Test
    void forwardModeGivesActiveScalarsATangent() {
        CallingConvention forward = CallingConvention.of(f, Mode.FORWARD, Map.of());
        assertEquals(List.of(Activity.ACTIVE, Activity.DUPLICATED, Activity.CONST), forward.activities());
        assertEquals(List.of("const:i32*", "dup:double", "dup:double*", "const:i32", "const:i32"),
                forward.workerArguments().stream().map(Argument::token).toList());
        assertEquals(Activity.DUPLICATED, forward.returnActivity());
        assertEquals(MethodType.methodType(void.class, double.class, double.class, double[].class, double[].class,
                int.class, double[].class), forward.handleType());
        assertEquals(0, forward.primalSlot());
        assertEquals(1, forward.returnTangentSlot());
    }

    @Test
    void slotsFollowTheTypesOfFloatMethods() {
        CallingConvention reverse = CallingConvention.of(mixed, Mode.REVERSE, Map.of("w", Activity.CONST));
        assertEquals("(arg0:ptr,arg1:ptr,shadow1:ptr,arg2:i32,arg3:float,arg4:ptr,arg5:i32,out:ptr) -> "
                + "[primal:float,adjoint3:float]", reverse.wrapperLayout().toString());
        assertEquals(1, reverse.adjointSlot(1));
        assertEquals(MethodType.methodType(void.class, float[].class, float[].class, float.class, double[].class,
                double[].class), reverse.handleType());
    }

    @Test
    void floatSlotsAreReadFromTheirFirstFourBytes() {
        double[] out = new double[2];
        java.lang.foreign.MemorySegment.ofArray(out).set(java.lang.foreign.ValueLayout.JAVA_FLOAT, 8, 1.5f);
        assertEquals(1.5f, OutputSlot.floatAt(out, 1));
    }

    @Test
    void hessianVectorProductsNeedADoubleResult() {
        var refused = assertThrows(jenzyme.runtime.error.DifferentiationException.class,
                () -> CallingConvention.hvpGradient(mixed));
        assertTrue(refused.getMessage().contains("expected mixed to return double and take no two-dimensional array"
                + " for a Hessian-vector product, got mixed("), refused.getMessage());
    }

    @Test
    void theForwardPassOverAGradientWithAnActiveScalarDuplicatesItsAdjointSlots() {
        CallingConvention gradient = CallingConvention.hvpGradient(f);
        assertEquals("(arg0:ptr,arg1:double,arg2:ptr,shadow2:ptr,arg3:i32,arg4:i32,out:ptr) -> [adjoint1:double]",
                gradient.wrapperLayout().toString());
        // x's tangent is the direction, out's tangent receives d/dv of x's adjoint: (H·v) of x
        assertEquals(List.of("const:i32*", "dup:double", "dup:double*", "dup:double*", "const:i32", "const:i32",
                "dup:double*"), gradient.overGradient().arguments().stream().map(Argument::token).toList());
    }
}
