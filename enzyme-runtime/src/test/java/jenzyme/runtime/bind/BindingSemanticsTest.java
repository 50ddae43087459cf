package jenzyme.runtime.bind;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.NativeMethod;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Java semantics through both bindings: exceptions raised inside compiled code come out as the JVM's own, with its
 * messages, without harming the process; writes made before the exception stay visible; an array passed twice is
 * one array; recursion too deep for the native stack is a StackOverflowError.
 */
class BindingSemanticsTest {

    private static final String SOURCE = """
            package ex;
            public class Ex {
                static double read(double[] a, int i) { return a[i]; }
                static void writeThenFail(double[] a) {
                    a[0] = 42;
                    a[a.length] = 1;
                }
                static int divide(int a, int b) { return a / b; }
                static long remainder(long a, long b) { return a % b; }
                static double allocate(int n) { return new double[n].length; }
                private static double deep(double[] a, int depth) { return depth == 0 ? a[-1] : deep(a, depth - 1); }
                static double failsDeepInRecursion(double[] a, int depth) { return 1 + deep(a, depth); }
                static double alias(double[] a, double[] b) { a[0] = 1; b[0] = 2; return a[0] * 10 + b.length; }
                static double down(double[] x, int n) { return n == 0 ? x[0] : 1 + down(x, n - 1) * x[0]; }
            }
            """;

    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();
    private static CompiledClasses classes;

    @BeforeAll
    static void compile() {
        classes = InMemoryJavac.compile("ex.Ex", SOURCE);
    }

    @Test
    void outOfBoundsReadHasTheJvmMessage() throws Throwable {
        for (MethodHandle read : bothBindings("read", "([DI)D")) {
            double[] a = {1, 2, 3};
            assertEquals(2.0, (double) read.invokeExact(a, 1));
            var high = assertThrows(ArrayIndexOutOfBoundsException.class, () -> { double unused = (double) read.invokeExact(a, 3); });
            assertEquals("Index 3 out of bounds for length 3", high.getMessage());
            var negative = assertThrows(ArrayIndexOutOfBoundsException.class, () -> { double unused = (double) read.invokeExact(a, -7); });
            assertEquals("Index -7 out of bounds for length 3", negative.getMessage());
            assertThrows(ArrayIndexOutOfBoundsException.class, () -> { double unused = (double) read.invokeExact(new double[0], 0); });
            assertThrows(NullPointerException.class, () -> { double unused = (double) read.invokeExact((double[]) null, 0); });
            assertEquals(3.0, (double) read.invokeExact(a, 2), "a failed call leaves no state behind");
        }
    }

    @Test
    void writesBeforeTheExceptionStayVisible() {
        for (MethodHandle write : bothBindings("writeThenFail", "([D)V")) {
            double[] a = new double[4];
            var e = assertThrows(ArrayIndexOutOfBoundsException.class, () -> { write.invokeExact(a); });
            assertEquals("Index 4 out of bounds for length 4", e.getMessage());
            assertArrayEquals(new double[] {42, 0, 0, 0}, a);
        }
    }

    @Test
    void integerDivisionByZeroIsAnArithmeticException() throws Throwable {
        for (MethodHandle divide : bothBindings("divide", "(II)I")) {
            assertEquals(-3, (int) divide.invokeExact(7, -2));
            assertEquals(Integer.MIN_VALUE, (int) divide.invokeExact(Integer.MIN_VALUE, -1));
            var e = assertThrows(ArithmeticException.class, () -> { int unused = (int) divide.invokeExact(1, 0); });
            assertEquals("/ by zero", e.getMessage());
        }
        for (MethodHandle remainder : bothBindings("remainder", "(JJ)J")) {
            assertEquals(0L, (long) remainder.invokeExact(Long.MIN_VALUE, -1L));
            assertThrows(ArithmeticException.class, () -> { long unused = (long) remainder.invokeExact(5L, 0L); });
        }
    }

    @Test
    void negativeArraySizeNamesTheSize() throws Throwable {
        for (MethodHandle allocate : bothBindings("allocate", "(I)D")) {
            assertEquals(5.0, (double) allocate.invokeExact(5));
            assertEquals(0.0, (double) allocate.invokeExact(0));
            var e = assertThrows(NegativeArraySizeException.class, () -> { double unused = (double) allocate.invokeExact(-3); });
            assertEquals("-3", e.getMessage());
            var huge = assertThrows(OutOfMemoryError.class, () -> { double unused = (double) allocate.invokeExact(Integer.MAX_VALUE); });
            assertTrue(huge.getMessage().contains(Integer.toString(Integer.MAX_VALUE)), huge.getMessage());
        }
    }

    @Test
    void exceptionPropagatesOutOfDeepRecursion() {
        for (MethodHandle fails : bothBindings("failsDeepInRecursion", "([DI)D")) {
            var e = assertThrows(ArrayIndexOutOfBoundsException.class,
                    () -> { double unused = (double) fails.invokeExact(new double[2], 500); });
            assertEquals("Index -1 out of bounds for length 2", e.getMessage());
        }
    }

    @Test
    void theSameArrayPassedTwiceIsOneArray() throws Throwable {
        for (MethodHandle alias : bothBindings("alias", "([D[D)D")) {
            double[] x = new double[3];
            assertEquals(23.0, (double) alias.invokeExact(x, x));
            assertArrayEquals(new double[] {2, 0, 0}, x);
        }
    }

    /** Native stack overflow would kill the JVM; deep recursion raises StackOverflowError instead, on a 1 MB stack. */
    @Test
    void recursionDeeperThanTheLimitIsAStackOverflowError() throws Throwable {
        for (MethodHandle down : bothBindings("down", "([DI)D")) {
            double[] half = {0.5};
            int allowed = jenzyme.runtime.lower.StatusCode.MAX_CALL_DEPTH - 1;
            Throwable[] outcome = new Throwable[2];
            double[] results = new double[1];
            Thread small = new Thread(null, () -> {
                try {
                    results[0] = (double) down.invokeExact(half, allowed);
                } catch (Throwable t) {
                    outcome[0] = t;
                }
                try {
                    double unused = (double) down.invokeExact(half, 1_000_000);
                } catch (Throwable t) {
                    outcome[1] = t;
                }
            }, "one-megabyte-stack", 1 << 20);
            small.start();
            small.join();
            assertEquals(null, outcome[0]);
            assertEquals(2.0, results[0], 1e-15);
            assertEquals(StackOverflowError.class, outcome[1].getClass());
        }
    }

    private static MethodHandle[] bothBindings(String method, String descriptor) {
        NativeMethod compiled = pipeline.jit(new JavaMethod(classes, "ex/Ex", method, descriptor));
        return new MethodHandle[] {compiled.handle(), compiled.copyingHandle()};
    }
}
