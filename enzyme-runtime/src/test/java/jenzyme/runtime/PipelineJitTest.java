package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.util.Collections;
import java.util.List;
import jenzyme.runtime.bind.CompiledCodeInterruptedException;
import jenzyme.runtime.bind.InterruptFlag;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.lower.StatusCode;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/** The whole path without AD: Java source → bytecode → LLVM IR → ORC JIT → FFM handle, called like the method. */
class PipelineJitTest {

    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @Test
    void squarePlusOneRunsNatively() throws Throwable {
        CompiledClasses classes = InMemoryJavac.compile("demo.Poly", """
                package demo;
                public class Poly {
                    public static double f(double x) { return x * x + 1; }
                }
                """);
        NativeMethod f = pipeline.jit(new JavaMethod(classes, "demo/Poly", "f", "(D)D"));
        String compiled = f.code().compiledIr();
        assertTrue(compiled.contains("fmul double %x, %x") && !compiled.contains("alloca"),
                "the JIT ran O3 on the frontend's module:\n" + compiled);
        assertTrue(compiled.contains("define double @" + f.entry().symbol() + "("), "dumps use the original names:\n" + compiled);
        MethodHandle handle = f.handle();
        assertEquals(MethodType.methodType(double.class, double.class), handle.type());
        for (double x : new double[] {0, 1, -2.5, 3e150, Double.NaN, -0.0}) {
            double expected = x * x + 1;
            assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits((double) handle.invokeExact(x)),
                    "f(" + x + ")");
        }
    }

    @Test
    void aUniqueMethodNameIsEnoughAndAnOverloadIsNamedAsAmbiguous() throws Throwable {
        CompiledClasses classes = InMemoryJavac.compile("demo.Names", """
                package demo;
                public class Names {
                    static long unique(int[] a) { return a.length; }
                    static double twice(double x) { return 2 * x; }
                    static int twice(int x) { return 2 * x; }
                }
                """);
        NativeMethod unique = pipeline.jit(JavaMethod.unique(classes, "demo/Names", "unique"));
        assertEquals(3L, (long) unique.handle().invokeExact(new int[3]));
        LoweringException ambiguous = assertThrows(LoweringException.class, () -> pipeline.jit(JavaMethod.unique(classes, "demo/Names", "twice")));
        assertTrue(ambiguous.getMessage().contains("several static methods twice [(D)D, (I)I]"), ambiguous.getMessage());
        LoweringException missing = assertThrows(LoweringException.class, () -> pipeline.jit(JavaMethod.unique(classes, "demo/Names", "absent")));
        assertTrue(missing.getMessage().contains("no static method absent"), missing.getMessage());
    }

    @Test
    void recompilingReleasesTheOldCodeAndItsHandleRaises() throws Throwable {
        CompiledClasses classes = InMemoryJavac.compile("demo.Twice", """
                package demo;
                public class Twice {
                    public static int g(int x) { return 2 * x; }
                }
                """);
        NativeMethod first = pipeline.jit(new JavaMethod(classes, "demo/Twice", "g", "(I)I"));
        NativeMethod second = pipeline.jit(new JavaMethod(classes, "demo/Twice", "g", "(I)I"));
        assertFalse(first.isLive());
        assertTrue(second.isLive());
        assertEquals(42, (int) second.handle().invokeExact(21));
        MethodHandle stale = first.handle();
        BindingException e = assertThrows(BindingException.class, () -> { int unused = (int) stale.invokeExact(1); });
        assertTrue(e.getMessage().contains("released"), e.getMessage());
    }

    private static final String RECURSIVE = """
            package demo;
            public class Deep {
                public static double nest(double x, int k) { return k <= 0 ? x : Math.sin(nest(x, k - 1)) + 1e-9; }
                public static double forever(double x) { return forever(x + 1); }
                public static long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
            }
            """;

    @Test
    void exceptionsOfCompiledCodeHaveAFirstFrameAtTheLineThatRaised() throws Throwable {
        CompiledClasses classes = InMemoryJavac.compile("demo.Lines", """
                package demo;
                public class Lines {
                    static double peek(double[] a, int i) {
                        double s = a[0];
                        return s + a[i];
                    }
                    static int ratio(int x, int d) {
                        int y = x + 1;
                        return y / d;
                    }
                    public static double outer(double[] a, int i, int d) {
                        double v = ratio(3, d);
                        return v + peek(a, i);
                    }
                }
                """);
        MethodHandle outer = pipeline.jit(new JavaMethod(classes, "demo/Lines", "outer", "([DII)D")).handle();
        assertEquals(1.0 + 2.0 + 1.0, (double) outer.invokeExact(new double[] {1, 2}, 1, 3), 0);
        ArrayIndexOutOfBoundsException oob = assertThrows(ArrayIndexOutOfBoundsException.class,
                () -> { double unused = (double) outer.invokeExact(new double[] {1, 2}, 5, 3); });
        assertEquals("Index 5 out of bounds for length 2", oob.getMessage());
        assertEquals(new StackTraceElement("demo.Lines", "peek", null, 5), oob.getStackTrace()[0],
                "the innermost compiled method's line");
        assertEquals(new StackTraceElement("demo.Lines", "outer", null, 13), oob.getStackTrace()[1],
                "its compiled caller's line of the call");
        ArithmeticException zero = assertThrows(ArithmeticException.class,
                () -> { double unused = (double) outer.invokeExact(new double[] {1, 2}, 1, 0); });
        assertEquals(new StackTraceElement("demo.Lines", "ratio", null, 9), zero.getStackTrace()[0]);
        assertEquals(new StackTraceElement("demo.Lines", "outer", null, 12), zero.getStackTrace()[1]);
        assertFalse(zero.getStackTrace()[2].getClassName().startsWith("demo."), "no frame but the compiled chain's");
    }

    @Test
    void everyCompiledCallerOfARaisingMethodGetsItsFrameAtTheCall() throws Throwable {
        CompiledClasses classes = InMemoryJavac.compile("demo.Chain", """
                package demo;
                public class Chain {
                    static double leaf(double[] a, int i) {
                        return a[i];
                    }
                    static double down(double[] a, int i, int k) {
                        if (k == 0) return leaf(a, i);
                        return down(a, i, k - 1);
                    }
                }
                """);
        MethodHandle down = pipeline.jit(new JavaMethod(classes, "demo/Chain", "down", "([DII)D")).handle();
        ArrayIndexOutOfBoundsException three = assertThrows(ArrayIndexOutOfBoundsException.class,
                () -> { double unused = (double) down.invokeExact(new double[] {1}, 4, 2); });
        StackTraceElement leaf = new StackTraceElement("demo.Chain", "leaf", null, 4);
        StackTraceElement recurse = new StackTraceElement("demo.Chain", "down", null, 8);
        StackTraceElement call = new StackTraceElement("demo.Chain", "down", null, 7);
        assertEquals(List.of(leaf, call, recurse, recurse), List.of(three.getStackTrace()).subList(0, 4));
        // Deeper than the block records: the innermost frame and the outermost callers stay exact.
        ArrayIndexOutOfBoundsException deep = assertThrows(ArrayIndexOutOfBoundsException.class,
                () -> { double unused = (double) down.invokeExact(new double[] {1}, 4, 40); });
        List<StackTraceElement> frames = List.of(deep.getStackTrace()).subList(0, StatusCode.CALLER_WORDS + 1);
        assertEquals(leaf, frames.getFirst());
        assertEquals(Collections.nCopies(StatusCode.CALLER_WORDS - 1, recurse), frames.subList(2, frames.size()));
    }

    @Test
    void recursionDeeperThanTheStackBudgetRaisesStackOverflowErrorInsteadOfCrashing() throws Throwable {
        CompiledClasses classes = InMemoryJavac.compile("demo.Deep", RECURSIVE);
        MethodHandle nest = pipeline.jit(new JavaMethod(classes, "demo/Deep", "nest", "(DI)D")).handle();
        assertEquals(Deep.nest(0.5, 2000), (double) nest.invokeExact(0.5, 2000), 1e-12); // libm sin vs the JVM's: ulps
        StackOverflowError deep = assertThrows(StackOverflowError.class,
                () -> { double unused = (double) nest.invokeExact(0.5, 100_000_000); });
        assertTrue(deep.getMessage().contains("deeper than"), deep.getMessage());
        int deepest = jenzyme.runtime.lower.StatusCode.MAX_CALL_DEPTH - 10;
        assertEquals(Deep.nest(0.5, deepest), (double) nest.invokeExact(0.5, deepest), 1e-12, "just below the limit");
        // A self-call in tail position must stay a call: as a loop it would spin forever without overflowing.
        MethodHandle forever = pipeline.jit(new JavaMethod(classes, "demo/Deep", "forever", "(D)D")).handle();
        assertThrows(StackOverflowError.class, () -> { double unused = (double) forever.invokeExact(1.0); });
        assertEquals(Deep.nest(0.25, 10), (double) nest.invokeExact(0.25, 10), 1e-12, "usable after an overflow");
    }

    @Test
    void recursionWithoutLoopsStopsWhenTheInterruptFlagIsRaised() throws Throwable {
        CompiledClasses classes = InMemoryJavac.compile("demo.Deep", RECURSIVE);
        MethodHandle fib = pipeline.jit(new JavaMethod(classes, "demo/Deep", "fib", "(I)J")).handle();
        assertEquals(6765L, (long) fib.invokeExact(20));
        var raiser = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
            InterruptFlag.global().raise();
        });
        try {
            // fib(90) takes centuries; only the polls before each call can end it.
            assertThrows(CompiledCodeInterruptedException.class, () -> { long unused = (long) fib.invokeExact(90); });
        } finally {
            raiser.join();
            InterruptFlag.global().clear();
        }
    }

    @Test
    void arraysLargerThanTheJvmHeapAreRefusedLikeTheJvmDoesAndNullArraysAreNamed() throws Throwable {
        CompiledClasses classes = InMemoryJavac.compile("demo.Alloc", """
                package demo;
                public class Alloc {
                    public static double fill(int n) { double[] t = new double[n]; return t.length; }
                    public static double first(double[] a, int n) { return n > 0 ? a[0] : -1; }
                }
                """);
        MethodHandle fill = pipeline.jit(new JavaMethod(classes, "demo/Alloc", "fill", "(I)D")).handle();
        assertEquals(1000.0, (double) fill.invokeExact(1000));
        // 16 GiB: more than this JVM's heap (so the JVM itself would throw); natively it would be touched page by page.
        assertTrue(16L << 30 > Runtime.getRuntime().maxMemory(), "the test needs a heap below 16 GiB");
        OutOfMemoryError refused = assertThrows(OutOfMemoryError.class,
                () -> { double unused = (double) fill.invokeExact(Integer.MAX_VALUE); });
        assertTrue(refused.getMessage().contains(Integer.toString(Integer.MAX_VALUE)), refused.getMessage());
        MethodHandle first = pipeline.jit(new JavaMethod(classes, "demo/Alloc", "first", "([DI)D")).handle();
        NullPointerException npe = assertThrows(NullPointerException.class,
                () -> { double unused = (double) first.invokeExact((double[]) null, 0); });
        assertTrue(npe.getMessage().contains("double[] argument, got null"), npe.getMessage());
    }

    /** The JVM's own version of the recursive fixture, for comparisons. */
    private static final class Deep {
        static double nest(double x, int k) { return k <= 0 ? x : Math.sin(nest(x, k - 1)) + 1e-9; }
    }
}
