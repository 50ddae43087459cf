package jenzyme.runtime.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import jenzyme.runtime.testing.MarkedLines;

/**
 * Every construct outside the subset is refused with a {@link LoweringException} that names it, the class and method,
 * and the source line (each offending line below carries a marker comment naming its method).
 */
class UnsupportedConstructTest {

    private static final String SOURCE = """
            package neg;
            public class Neg {
                static double k = 2;
                static String label = "k";
                static double staticField(double x) {
                    return label.length() * x; // staticField
                }
                static void putStatic(double x) {
                    k = x; // putStatic
                }
                static int arraySort(double[] a) {
                    java.util.Arrays.sort(a); // arraySort
                    return a.length;
                }
                static int newObject(int x) {
                    Object o = new Object(); // newObject
                    return x;
                }
                static int throwing(int x) {
                    if (x < 0) throw new IllegalArgumentException("x = " + Integer.toString(x)); // throwing
                    return x;
                }
                static int throwingBranch(int x) {
                    if (x < 0) throw new IllegalArgumentException("x is " + (x < -5 ? -1 : 1)); // throwingBranch
                    return x;
                }
                static int throwingMany(int x) {
                    if (x < 0) throw new IllegalArgumentException(x + " " + x + " " + x + " " + x + " " + x + " " // throwingMany
                            + x + " " + x + " " + x + " " + x);
                    return x;
                }
                static int synchronizedBlock(double[] a) {
                    synchronized (a) { // synchronizedBlock
                        return a.length;
                    }
                }
                static double lambda(double x) {
                    var g = (java.util.function.DoubleUnaryOperator & java.io.Serializable) v -> v * 2; // lambda
                    return g.applyAsDouble(x);
                }
                static int stringConcat(int x) {
                    String s = "a" + x; // stringConcat
                    return x;
                }
                static int tryCatch(int a, int b) {
                    try {
                        return a / b;
                    } catch (ArithmeticException e) { // tryCatch
                        return 0;
                    }
                }
                static long systemCall() {
                    return System.nanoTime(); // systemCall
                }
                static double mathRandom() {
                    return Math.random(); // mathRandom
                }
                static double strictSin(double x) {
                    return StrictMath.sin(x); // strictSin
                }
                static int nullCheck(double[] a) {
                    return a == null ? 0 : a.length; // nullCheck
                }
                static int nullConstant(int x) {
                    double[] a = null; // nullConstant
                    return x;
                }
                static int booleanArray(int n) {
                    boolean[] b = new boolean[n]; // booleanArray
                    return b.length;
                }
                static int matrix(int n) {
                    double[][][] m = new double[n][n][n]; // matrix
                    return n;
                }
                static double allocationInLoop(double[][] p, int n) {
                    double[][] y = p;
                    for (int i = 0; i < n; i++) {
                        double[][] t = new double[3][3];
                        y = t; // allocationInLoop
                    }
                    return y[0][0];
                }
                record St(double[] y) {}
                static St stepSt(St s) { return new St(new double[] {s.y()[0] + 1}); }
                static double stateAcrossJump(double[] p, int n) {
                    St s = new St(p.clone());
                    for (int i = 0; i < n; i++) s = p[0] > 0 ? stepSt(s) : s; // stateAcrossJump
                    return s.y()[0];
                }
                static double keepRow(double[][] p, int n) {
                    double[] keep = p[0];
                    for (int i = 0; i < n; i++) {
                        double[][] m = new double[2][3];
                        m[1][0] = i;
                        if (i == 0) keep = m[1]; // keepRow
                    }
                    return keep[0];
                }
                static double[][] mk(double x) {
                    double[][] m = new double[2][2];
                    m[1][0] = x;
                    return m;
                }
                static double keepCalleeRow(double x, int n) {
                    double[] keep = new double[2];
                    for (int i = 0; i < n; i++) {
                        double[][] m = mk(x + i);
                        if (i == 0) keep = m[1]; // keepCalleeRow
                    }
                    return keep[0];
                }
                static int stringConstant() {
                    return "abc".length(); // stringConstant
                }
                static int classLiteral() {
                    return String.class.getModifiers(); // classLiteral
                }
                static int instanceOf(double[] a) {
                    Object o = a;
                    return o instanceof double[] ? 1 : 0; // instanceOf
                }
                static int arraysEqual(double[] a, double[] b) {
                    return a == b ? 1 : 0; // arraysEqual
                }
                private static double readsField(double x) {
                    return label.length() + x; // readsField
                }
                static double callsBadHelper(double x) {
                    return readsField(x) * 2;
                }
                int instanceMethod(int x) { return x; } // instanceMethod
                static double stringParameter(String s) { return 1; } // stringParameter
                static int[] returnsArray(int[] a) { return a; } // returnsArray
                static double[] callsItself(double[] a) { return a.length > 3 ? a : callsItself(a); } // callsItself
                static double[][] returnsMatrix(double[][] m) { return m; }
                static double cubeParameter(double[][][] m) { return 1; } // cubeParameter
                static synchronized double synchronizedMethod(double x) { return x; } // synchronizedMethod
            }
            """;

    private static final CompiledClasses CLASSES = InMemoryJavac.compile("neg.Neg", SOURCE);

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            callsItself       | ([D)[D | calling neg.Neg.callsItself(double[]) from itself: the method the magic names fills the caller's result array
            staticField       | (D)D   | reading neg.Neg.label of type String (compiled code reads notebook variables and static fields of type double
            putStatic         | (D)V   | assigning neg.Neg.k (compiled code reads notebook variables and static fields but cannot assign them
            arraySort         | ([D)I  | calling java.util.Arrays.sort(double[]) (java.util.Arrays is not a class of the notebook)
            newObject         | (I)I   | new Object (compiled code cannot create objects)
            throwing          | (I)I   | a thrown message joining a String that is not a constant, or an object (compiled code joins String constants, numbers, booleans and chars into the message: write the value itself, "got " + x)
            throwingBranch    | (I)I   | throw new IllegalArgumentException (compiled code throws new unchecked java.lang exceptions whose message is a String constant or joins constants, numbers, booleans and chars with +
            throwingMany      | (I)I   | a thrown message joining 9 values (compiled code carries at most 8 values to the message: name fewer)
            synchronizedBlock | ([D)I  | synchronized block
            lambda            | (D)D   | unsupported: a serializable or multi-interface lambda
            stringConcat      | (I)I   | string concatenation (+ on a String)
            tryCatch          | (II)I  | try/catch/finally
            systemCall        | ()J    | calling System.nanoTime() (System is not a class of the notebook)
            mathRandom        | ()D    | calling Math.random() (no native equivalent)
            strictSin         | (D)D   | calling StrictMath.sin(double) (specified bit for bit as fdlibm's algorithm, which native code does not reproduce; Math.sin compiles
            nullCheck         | ([D)I  | a null check (== null or != null)
            nullConstant      | (I)I   | unsupported: the null reference (compiled code has no objects that can be null)
            booleanArray      | (I)I   | new boolean[]
            matrix            | (I)I   | new double[][][] (compiled code creates numeric two-dimensional arrays
            allocationInLoop  | ([[DI)D | y is assigned matrices made in a loop, which compiled code copies row by row
            stateAcrossJump   | ([DI)D | beyond its iteration: it is carried on the operand stack across a jump
            keepRow           | ([[DI)D | beyond its iteration: it is assigned to keep, declared outside the loop
            keepCalleeRow     | (DI)D  | beyond its iteration: it is assigned to keep, declared outside the loop
            stringConstant    | ()I    | a String constant "abc"
            classLiteral      | ()I    | the class literal String.class
            instanceOf        | ([D)I  | instanceof double[]
            arraysEqual       | ([D[D)I | == or != on arrays or objects
            """)
    void constructIsNamedWithItsSourceLine(String method, String descriptor, String construct) {
        LoweringException e = lowerExpectingFailure(method, descriptor);
        assertTrue(e.getMessage().contains(construct), "expected the message to name '" + construct + "', got: " + e.getMessage());
        assertEquals(lineOf(method), e.sourceLine(), e.getMessage());
        assertTrue(e.getMessage().contains("at line " + lineOf(method)), e.getMessage());
        assertEquals("neg/Neg", e.className().orElseThrow());
        assertEquals(method, e.methodName().orElseThrow());
        assertTrue(e.bytecodeOffset() >= 0, e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            instanceMethod     | (I)I    | the instance method neg.Neg.instanceMethod(int)
            stringParameter    | (Ljava/lang/String;)D | unsupported parameter type String
            returnsArray       | ([I)[I  | returning int[] from the method the magic names: only double[] results are returned to notebook code
            cubeParameter      | ([[[D)D | unsupported parameter type double[][][]
            cubeParameter      | ([[[D)D | records and final classes holding those, and functional interfaces such as DoubleUnaryOperator)
            returnsMatrix      | ([[D)[[D | returning double[][] from the method the magic names: only double[] results are returned
            synchronizedMethod | (D)D    | the synchronized method neg.Neg.synchronizedMethod(double)
            """)
    void unsupportedSignaturesAreNamed(String method, String descriptor, String problem) {
        LoweringException e = lowerExpectingFailure(method, descriptor);
        assertTrue(e.getMessage().contains(problem), "expected '" + problem + "', got: " + e.getMessage());
        assertEquals(method, e.methodName().orElseThrow());
    }

    @org.junit.jupiter.api.Test
    void failureInsideACalleeNamesTheCalleeAndItsLine() {
        LoweringException e = lowerExpectingFailure("callsBadHelper", "(D)D");
        assertEquals("readsField", e.methodName().orElseThrow());
        assertEquals(lineOf("readsField"), e.sourceLine());
        assertTrue(e.getMessage().contains("reading neg.Neg.label"), e.getMessage());
    }

    @org.junit.jupiter.api.Test
    void missingClassOrMethodIsNamed() {
        LoweringException noClass = assertThrows(LoweringException.class,
                () -> new BytecodeLowering(CLASSES).lower("neg/Missing", "f", "(D)D"));
        assertTrue(noClass.getMessage().contains("no class bytes for neg.Missing"), noClass.getMessage());
        LoweringException noMethod = assertThrows(LoweringException.class,
                () -> new BytecodeLowering(CLASSES).lower("neg/Neg", "absent", "(D)D"));
        assertTrue(noMethod.getMessage().contains("no method neg.Neg.absent(double)"), noMethod.getMessage());
    }

    @org.junit.jupiter.api.Test
    void malformedRequestsSayWhatWasExpected() {
        LoweringException dotted = assertThrows(LoweringException.class,
                () -> new BytecodeLowering(CLASSES).lower("neg.Neg", "staticField", "(D)D"));
        assertTrue(dotted.getMessage().contains("expected an internal class name such as demo/Poly, got neg.Neg"));
        LoweringException descriptor = assertThrows(LoweringException.class,
                () -> new BytecodeLowering(CLASSES).lower("neg/Neg", "staticField", "double(double)"));
        assertTrue(descriptor.getMessage().contains("expected a method descriptor"), descriptor.getMessage());
    }

    private static LoweringException lowerExpectingFailure(String method, String descriptor) {
        return assertThrows(LoweringException.class,
                () -> new BytecodeLowering(CLASSES).lower("neg/Neg", method, descriptor));
    }

    /** javac's older + (a StringBuilder, as for Java 8 targets) in a thrown message is refused in words of its own. */
    @org.junit.jupiter.api.Test
    void aMessageBuiltWithAStringBuilderIsRefusedInWords() {
        String source = """
                package sb;
                public class Sb {
                    static double checked(double sigma) {
                        if (sigma <= 0) throw new IllegalArgumentException("sigma must be positive, got " + sigma); // here
                        return sigma;
                    }
                }
                """;
        CompiledClasses inline = InMemoryJavac.compile("sb.Sb", source, java.util.List.of("-XDstringConcat=inline"));
        LoweringException e = assertThrows(LoweringException.class,
                () -> new BytecodeLowering(inline).lower("sb/Sb", "checked", "(D)D"));
        assertTrue(e.getMessage().contains("a thrown message built with a StringBuilder (javac compiles + that way"),
                e.getMessage());
        assertEquals(MarkedLines.lineOf(source, "here"), e.sourceLine(), e.getMessage());
    }

    private static int lineOf(String marker) {
        return MarkedLines.lineOf(SOURCE, marker);
    }
}
