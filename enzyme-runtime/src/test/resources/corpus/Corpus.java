package corpus;

import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;

/**
 * Differential-testing corpus: every static method here is run on the JVM and JIT-compiled on thousands of random
 * inputs, and the results must agree bit for bit, or within {@link Ulps} units in the last place where libm and the
 * JVM legitimately differ. Parameter names steer the input generator: int {@code n*} 0..40 (sizes, loop counts),
 * {@code i*, j*, k*} -3..30 (indices that may be out of bounds), {@code d*} 0..15 (recursion depth); everything else
 * spans its whole type including NaN, infinities, ±0, MIN/MAX.
 */
public class Corpus {

    @Retention(RetentionPolicy.RUNTIME)
    public @interface Ulps {
        int value();
    }

    // ---- floating-point arithmetic

    static double poly(double x) { return 3 * x * x * x - 2 * x * x + x - 7; }

    static double rational(double x, double y) { return (x * y - 1) / (x + y); }

    static double remainderD(double x, double y) { return x % y; }

    static double signedZeros(double x) { return -(x - x) + 0.0 * -x; }

    static float floatArith(float a, float b) { return a * b + a / b - (a % b); }

    static double floatDoubleMix(float a, double x) { return a * x + (float) (x * 0.1f) - a; }

    // ---- integer arithmetic, overflow, shifts

    static int intOverflow(int a, int b) { return a * b + a - b * 7; }

    static int intDivRem(int a, int b) { return a / b * 31 + a % b; }

    static int intShifts(int a, int s) { return (a << s) ^ (a >> s) ^ (a >>> s) ^ -a; }

    static long longOps(long a, long b) { return a * b - (a >>> 7) + (a ^ b) - (a & ~b) | (b << 3); }

    static long longDivRem(long a, long b) { return a / b + a % b; }

    static long longShifts(long a, int s) { return (a << s) | (a >>> (s + 1)) ^ (a >> -s); }

    static long intLongMix(int a, long b) { return (a + b) * 3L + (int) (b >> 3) - (a >>> 1); }

    static int increments(int a) {
        int x = a;
        x += 127;
        x -= 1000;
        x++;
        return x * 3;
    }

    // ---- conversions

    static int d2i(double x) { return (int) x; }

    static long d2l(double x) { return (long) x; }

    static int f2i(float x) { return (int) x; }

    static long f2l(float x) { return (long) x; }

    static int narrowing(int a) { return (byte) a + (short) a * 3 + (char) a; }

    static double l2fd(long a) { return (double) a + (float) a + (float) (int) a; }

    static double d2f(double x) { return (double) (float) x; }

    // ---- branches, ?:, comparisons, switch

    static int sign(double x) {
        if (x > 0) {
            return 1;
        } else if (x < 0) {
            return -1;
        }
        return 0;
    }

    static double clamp(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

    static double piecewise(double x, double y) {
        if ((x > 1 && y < 2) || x == y) {
            return x * y;
        } else if (!(x <= -3) && y != 0) {
            return x / y;
        }
        return x - y;
    }

    static int compareLongs(long a, long b) { return a < b ? -1 : a == b ? 0 : 1; }

    static int compareFloats(float a, float b) { return (a < b ? 1 : 0) + (a > b ? 2 : 0) + (a <= b ? 4 : 0) + (a >= b ? 8 : 0); }

    static boolean booleanLogic(boolean p, boolean q, int a) { return (p && a > 0) || (!q && a % 2 == 0) || (p ^ q); }

    static double ternaryOnStack(double x) { return x + (x > 1 ? 2.0 : 3.0) * Math.max(x, x < 0 ? -x : 0.5); }

    static int tableSwitch(int a) {
        switch (a & 7) {
            case 0: return 10;
            case 1: return a * 2;
            case 2:
            case 3: return -a;
            case 5: return a >> 1;
            default: return 7;
        }
    }

    static int lookupSwitch(int a) {
        return switch (a % 1000) {
            case -999 -> 1;
            case 7 -> 2;
            case 100, 200 -> a * 3;
            case 555 -> -a;
            default -> a & 15;
        };
    }

    // ---- loops

    static long sumOfSquares(int n) {
        long s = 0;
        for (int i = 0; i <= n; i++) {
            s += (long) i * i;
        }
        return s;
    }

    static double harmonic(int n) {
        double s = 0;
        for (int k = 1; k <= n; k++) {
            s += 1.0 / k;
        }
        return s;
    }

    static int nestedLoops(int n1, int n2) {
        int s = 0;
        for (int i = 0; i < n1; i++) {
            for (int j = 0; j < n2; j++) {
                s += (i * j) % 7 - (i ^ j);
            }
        }
        return s;
    }

    static int collatzSteps(int n) {
        int steps = 0;
        long v = n;
        while (v > 1) {
            v = (v % 2 == 0) ? v / 2 : 3 * v + 1;
            steps++;
        }
        return steps;
    }

    static double newtonSqrt(double x) {
        double r = x > 1 ? x : 1;
        int i = 0;
        do {
            r = 0.5 * (r + x / r);
            i++;
        } while (i < 30);
        return r;
    }

    static int breakContinue(int n) {
        int s = 0;
        outer:
        for (int i = 0; i < n; i++) {
            if (i % 3 == 0) {
                continue;
            }
            for (int j = 0; j < i; j++) {
                if (j * j > i) {
                    continue outer;
                }
                if (s > 500) {
                    break outer;
                }
                s += j;
            }
        }
        return s;
    }

    static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    // ---- Math: exact functions (bit for bit)

    static double mathExact(double x, double y) {
        return Math.sqrt(x) + Math.abs(y) + Math.floor(x) + Math.ceil(y) + Math.rint(x) + Math.fma(x, y, x)
                + Math.copySign(x, y) + Math.signum(y) + StrictMath.sqrt(y);
    }

    static float mathFloat(float a, float b) {
        return Math.abs(a) + Math.min(a, b) - Math.max(b, a) + Math.copySign(a, b) + Math.signum(b) + Math.fma(a, b, a);
    }

    static double minD(double x, double y) { return Math.min(x, y); }

    static double maxD(double x, double y) { return Math.max(x, y); }

    static long minMaxIntegers(int a, int b, long c, long e) {
        return Math.min(a, b) + 3L * Math.max(a, b) + Math.min(c, e) - Math.max(e, c) + Math.abs(a) + Math.abs(c);
    }

    static long roundD(double x) { return Math.round(x); }

    static int roundF(float x) { return Math.round(x); }

    static int floorDivMod(int a, int b) { return Math.floorDiv(a, b) * 100 + Math.floorMod(a, b); }

    static long floorDivModLong(long a, long b) { return Math.floorDiv(a, b) * 100 + Math.floorMod(a, b); }

    static double anglesExact(double x) { return Math.toRadians(x) + Math.toDegrees(x); }

    static int classify(double x, float f) {
        return (Double.isNaN(x) ? 1 : 0) + (Double.isInfinite(x) ? 2 : 0) + (Double.isFinite(x) ? 4 : 0)
                + (Float.isNaN(f) ? 8 : 0) + (Float.isInfinite(f) ? 16 : 0) + (Float.isFinite(f) ? 32 : 0);
    }

    // ---- Math: transcendental functions (libm vs the JVM's intrinsics)
    // Bounds = the largest distance measured over 100,000 inputs each (glibc's libm against HotSpot's intrinsics and
    // StrictMath's fdlibm): 1 ulp except cbrt 3, sinh/cosh/tanh 2, log10 2.

    @Ulps(1)
    static double sin(double x) { return Math.sin(x); }

    @Ulps(1)
    static double cos(double x) { return Math.cos(x); }

    @Ulps(1)
    static double tan(double x) { return Math.tan(x); }

    @Ulps(1)
    static double exp(double x) { return Math.exp(x); }

    @Ulps(1)
    static double log(double x) { return Math.log(x); }

    @Ulps(2)
    static double log10(double x) { return Math.log10(x); }

    @Ulps(1)
    static double pow(double x, double y) { return Math.pow(x, y); }

    @Ulps(1)
    static double atan2(double y, double x) { return Math.atan2(y, x); }

    @Ulps(1)
    static double hypot(double x, double y) { return Math.hypot(x, y); }

    @Ulps(2)
    static double sinh(double x) { return Math.sinh(x); }

    @Ulps(2)
    static double cosh(double x) { return Math.cosh(x); }

    @Ulps(2)
    static double tanh(double x) { return Math.tanh(x); }

    @Ulps(1)
    static double asin(double x) { return Math.asin(x); }

    @Ulps(1)
    static double acos(double x) { return Math.acos(x); }

    @Ulps(1)
    static double atan(double x) { return Math.atan(x); }

    // glibc's cbrt alone measured 3 ulps from the JVM (1.36 from exact); refined by one Newton step (MathCalls).
    @Ulps(1)
    static double cbrt(double x) { return Math.cbrt(x); }

    @Ulps(1)
    static double expm1(double x) { return Math.expm1(x); }

    @Ulps(1)
    static double log1p(double x) { return Math.log1p(x); }

    // ---- exact library functions (bit for bit; StrictMath's transcendental ones are refused, see MathCalls)

    static double ieeeRemainder(double x, double y) { return Math.IEEEremainder(x, y) + StrictMath.IEEEremainder(y, x); }

    static double scalb(double x, int n) { return Math.scalb(x, n); }

    static double nextUpDown(double x) { return Math.nextUp(x) - StrictMath.nextDown(x) * 0.5; }

    static double nextAfter(double x, double y) { return Math.nextAfter(x, y); }

    static double ulp(double x) { return Math.ulp(x); }

    static double powToTheZero(double x) { return Math.pow(x, 0.0) + Math.pow(x, -0.0); }

    static double strictExact(double x, double y) {
        return StrictMath.sqrt(x) + StrictMath.floor(y) + StrictMath.fma(x, y, x) + StrictMath.signum(y)
                + StrictMath.max(x, y) + StrictMath.toRadians(x);
    }

    // ---- arrays

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    static void scaleInPlace(double[] a, double c) {
        for (int i = 0; i < a.length; i++) {
            a[i] *= c;
        }
    }

    static void prefixSum(double[] a) {
        for (int i = 1; i < a.length; i++) {
            a[i] += a[i - 1];
        }
    }

    static double element(double[] a, int i) { return a[i] * 2; }

    static void writeElement(float[] a, int i, float v) { a[i] = v; }

    static void histogram(int[] values, int[] counts) {
        for (int v : values) {
            counts[v & 3]++;
        }
    }

    static long longArray(long[] a, int k) {
        long s = 0;
        for (long v : a) {
            s = s * 31 + v;
        }
        a[k] = s;
        return s;
    }

    static float floatArrayMax(float[] a) {
        float m = Float.NEGATIVE_INFINITY;
        for (float v : a) {
            m = Math.max(m, v);
        }
        return m;
    }

    static int lengths(double[] a, int[] b) { return a.length * 100 + b.length; }

    static double newArraySum(int k) {
        double[] t = new double[k];
        for (int i = 0; i < t.length; i++) {
            t[i] = i * 0.5;
        }
        double s = 0;
        for (int i = t.length - 1; i >= 0; i -= 2) {
            s += t[i];
        }
        return s;
    }

    static int newArraysOfEveryType(double[] a, int n) {
        int[] counts = new int[n + 1];
        long[] sums = new long[3];
        float[] f = new float[2];
        for (int i = 0; i < a.length; i++) {
            counts[i % (n + 1)]++;
            sums[i % 3] += (long) a[i];
            f[i & 1] += (float) a[i];
        }
        return counts[0] + (int) sums[1] + (int) f[0];
    }

    static double arrayAliasing(double[] a, double[] b) {
        a[0] = 1;
        b[0] = 2;
        return a[0] + b[0];
    }

    /** Chained assignments compile to the dup_x1/dup_x2/dup2_x1/dup2_x2 family. */
    static double chainedAssignments(double[] a, long[] l, int[] m, int i) {
        double x = a[i] = a[0] * 2 + 1;
        long y = l[i] = l[0] + 3;
        int z = m[i] = m[0] - 5;
        double w;
        double v = w = x * 3;
        long q = y++ + ++y;
        int r = z++ + ++z;
        return x + y + z + v + w + q + r;
    }

    // ---- calls, recursion

    private static double helper(double x) { return x * x - 1; }

    static double callsHelper(double x) { return helper(x) + helper(2 * x) * helper(-x); }

    static long fib(int d) { return d < 2 ? d : fib(d - 1) + fib(d - 2); }

    private static boolean isEven(int d) { return d == 0 || isOdd(d - 1); }

    private static boolean isOdd(int d) { return d != 0 && isEven(d - 1); }

    static int mutualRecursion(int d) { return isEven(d) ? 1 : 2; }

    private static double at(double[] a, int i) { return a[i]; }

    static double callWithArray(double[] a, int i) { return at(a, i) + at(a, 0); }

    private static void fill(double[] a, double v) {
        for (int i = 0; i < a.length; i++) {
            a[i] = v + i;
        }
    }

    static double voidCallee(double[] a, double v) {
        fill(a, v);
        return a.length > 0 ? a[a.length - 1] : -1;
    }

    private static double sumFrom(double[] a, int from) { return from >= a.length ? 0 : a[from] + sumFrom(a, from + 1); }

    static double recursiveArraySum(double[] a) { return sumFrom(a, 0); }

    private static long mixedParameters(boolean flag, int i, long l, float f, double d, int[] a) {
        return flag ? i + l + (long) f + (long) d + a.length : -1;
    }

    static long callMixedParameters(int i, long l, float f, double d, int[] a) {
        return mixedParameters(i > 0, i, l, f, d, a) + mixedParameters(false, i, l, f, d, a);
    }

    private static double divideInts(int a, int b) { return a / b; }

    static double exceptionFromCallee(int a, int b) { return divideInts(a, b) + 1; }

    // ---- static fields: read at each call as hidden arguments (the JVM's values), arrays written in place

    static double scale = Math.sqrt(2);
    static final double[] COEFFICIENTS = {0.5, -1.25, 3.0, 0.125};
    static final int[] OFFSETS = {3, 1, 4, 1, 5};
    static long seed = 0x5DEECE66DL;

    static double hornerWithFieldCoefficients(double x) {
        double s = 0;
        for (int i = COEFFICIENTS.length - 1; i >= 0; i--) s = s * x + COEFFICIENTS[i];
        return scale * s;
    }

    static int offsetAt(int i) { return OFFSETS[i] * 2 + (int) (seed & 7); }

    private static double scaled(double x) { return x * scale; }

    static double fieldInCallee(double x, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += scaled(x + i);
        return s;
    }

    static long writesFieldArray(int i, long v) {
        OFFSETS[i % OFFSETS.length < 0 ? 0 : i % OFFSETS.length] = (int) v;
        int s = 0;
        for (int o : OFFSETS) s += o;
        OFFSETS[0] = 3;
        return s + seed;
    }

    // ---- the library: clamp, compare, Integer/Long/Double helpers

    // Bounds computed at run time that Math.clamp refuses give a message without the numbers (docs/JAVA-SUBSET.md).
    static double clampDouble(double x) { return Math.clamp(x, -1.5, 2.0) + Math.clamp(x, -0.0, 0.0); }

    static double clampDoubleRefused(double x) { return Math.clamp(x, 0.0, -0.0); }

    static float clampFloat(float x, float lo) { return Math.clamp(x, -2.5f, 1e30f) + Math.clamp(lo, Float.NaN, 1f); }

    static int clampLongToInt(long v, int lo, int hi) { return Math.clamp(v, lo, hi); }

    static long clampLong(long v, long lo, long hi) { return Math.clamp(v, lo, hi); }

    static int compareDoubles(double a, double b) { return Double.compare(a, b) * 3 + Double.compare(b, a); }

    static int compareFloatsTotally(float a, float b) { return Float.compare(a, b); }

    static int compareIntegers(int a, int b, long c, long d) {
        return Integer.compare(a, b) * 3 + Long.compare(c, d);
    }

    static long boxedHelpers(int a, int b, long c, long d) {
        return Integer.min(a, b) + Integer.max(a, b) * 7L + Long.min(c, d) - Long.max(c, d) + Integer.sum(a, b)
                + Long.sum(c, d) + Math.abs(a) + Math.abs(c);
    }

    static double doubleHelpers(double x, double y, float f, float g) {
        return Double.sum(x, y) + Double.max(x, y) - Double.min(x, y) + Float.max(f, g) + Float.sum(f, g)
                + (Double.isFinite(x) ? 1 : 0);
    }

    static double degreesAndFma(double x, double y, double z) {
        return Math.fma(Math.toRadians(x), y, z) + Math.toDegrees(z) + Math.floorMod((long) x, 7) + Math.floorDiv((int) y, -3);
    }

    // ---- throw new X("constant")

    static double checkedSqrt(double x) {
        if (x < 0) throw new IllegalArgumentException("x must not be negative");
        if (Double.isNaN(x)) throw new ArithmeticException();
        return Math.sqrt(x);
    }

    private static int requireIndex(int i, int n) {
        if (i < 0 || i >= n) throw new IndexOutOfBoundsException("index outside the table");
        return i;
    }

    static double throwFromCallee(double[] table, int i) {
        if (table.length == 0) throw new IllegalStateException("empty table");
        return table[requireIndex(i, table.length)] * 2;
    }

    // ---- the array library: arraycopy, fill, copyOf, copyOfRange, clone, varargs

    static double arraycopyChecked(double[] a, int i, int j, int n) {
        double[] b = new double[8];
        System.arraycopy(a, i, b, j, n);
        double s = 0;
        for (double v : b) s = s * 1.5 + v;
        return s;
    }

    static long arraycopyOverlapping(long[] a, int i, int j, int n) {
        System.arraycopy(a, i, a, j, n);
        long s = 0;
        for (long v : a) s = s * 31 + v;
        return s;
    }

    static int fillRange(int[] a, int i, int j, int v) {
        java.util.Arrays.fill(a, i, j, v);
        int s = 0;
        for (int x : a) s = s * 7 + x;
        return s;
    }

    static float fillAll(float[] a, float v) {
        java.util.Arrays.fill(a, v);
        return a.length > 0 ? a[0] + a[a.length - 1] : v;
    }

    static double copyOfGrowAndShrink(double[] a, int n) {
        double[] b = java.util.Arrays.copyOf(a, n);
        double s = b.length;
        for (int i = 0; i < b.length; i++) s += b[i] * (i + 1);
        return s;
    }

    static long copyOfRangeSum(long[] a, int i, int j) {
        long[] b = java.util.Arrays.copyOfRange(a, i, j);
        long s = b.length;
        for (long v : b) s = s * 3 + v;
        return s;
    }

    static double cloneAndModify(double[] a, double v) {
        double[] b = a.clone();
        if (b.length > 0) b[0] = v;
        return (a.length > 0 ? a[0] : 0) + (b.length > 0 ? b[0] : 0);
    }

    private static double sumAll(double... xs) {
        double s = 0;
        for (double x : xs) s += x;
        return s;
    }

    static double varargsCall(double x, double y) { return sumAll(x, y, x * y) + sumAll() + sumAll(x); }
}
