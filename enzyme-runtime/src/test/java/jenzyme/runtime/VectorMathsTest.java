package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code --fast-math} loops call glibc's vector maths (libmvec, {@code jenzyme.runtime.llvm.VectorMaths}) several
 * elements at a time; each result stays within docs/DERIVATIVES.md's 4 ulp of the exact value (5 of StrictMath's,
 * itself within 1), strict loops keep the scalar calls, and a gradient's forward sweep vectorises too.
 */
class VectorMathsTest {

    private static final String SOURCE = """
            package demo;
            public class Maths {
                /**
                 * Every mapped function, elementwise, a loop each (one loop storing all 18 would need more run-time
                 * overlap checks than the vectoriser makes): x in [-20, 20], p in (0, 50], u in [-1, 1].
                 */
                public static void all(double[] x, double[] p, double[] u, double[] out) {
                    int n = x.length;
                    for (int i = 0; i < n; i++) { out[i] = Math.exp(x[i]); }
                    for (int i = 0; i < n; i++) { out[1 * n + i] = Math.log(p[i]); }
                    for (int i = 0; i < n; i++) { out[2 * n + i] = Math.log10(p[i]); }
                    for (int i = 0; i < n; i++) { out[3 * n + i] = Math.sin(x[i]); }
                    for (int i = 0; i < n; i++) { out[4 * n + i] = Math.cos(x[i]); }
                    for (int i = 0; i < n; i++) { out[5 * n + i] = Math.pow(p[i], u[i]); }
                    for (int i = 0; i < n; i++) { out[6 * n + i] = Math.tan(x[i]); }
                    for (int i = 0; i < n; i++) { out[7 * n + i] = Math.asin(u[i]); }
                    for (int i = 0; i < n; i++) { out[8 * n + i] = Math.acos(u[i]); }
                    for (int i = 0; i < n; i++) { out[9 * n + i] = Math.atan(x[i]); }
                    for (int i = 0; i < n; i++) { out[10 * n + i] = Math.atan2(u[i], x[i]); }
                    for (int i = 0; i < n; i++) { out[11 * n + i] = Math.sinh(x[i]); }
                    for (int i = 0; i < n; i++) { out[12 * n + i] = Math.cosh(x[i]); }
                    for (int i = 0; i < n; i++) { out[13 * n + i] = Math.tanh(x[i]); }
                    for (int i = 0; i < n; i++) { out[14 * n + i] = Math.hypot(x[i], p[i]); }
                    for (int i = 0; i < n; i++) { out[15 * n + i] = Math.expm1(x[i]); }
                    for (int i = 0; i < n; i++) { out[16 * n + i] = Math.log1p(p[i]); }
                    for (int i = 0; i < n; i++) { out[17 * n + i] = Math.cbrt(x[i]); }
                }

                public static double softplusSum(double[] x) {
                    double s = 0;
                    for (int i = 0; i < x.length; i++) {
                        s += Math.log1p(Math.exp(x[i]));
                    }
                    return s;
                }
            }
            """;
    /** libmvec's names, in the order of {@code all}'s outputs, with StrictMath's result for (a, b, c). */
    private static final List<String> NAMES = List.of("exp", "log", "log10", "sin", "cos", "pow", "tan", "asin", "acos",
            "atan", "atan2", "sinh", "cosh", "tanh", "hypot", "expm1", "log1p", "cbrt");
    private static final DifferentiationOptions FAST = DifferentiationOptions.DEFAULT.withFastMath(true);
    private static final Pattern VECTOR_CALL = Pattern.compile("call [^\\n]*@_ZGV[bd]N[24]v+_");

    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();
    private static CompiledClasses classes;

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("demo.Maths", SOURCE);
    }

    private static double strict(int function, double a, double b, double c) {
        return switch (NAMES.get(function)) {
            case "exp" -> StrictMath.exp(a);
            case "log" -> StrictMath.log(b);
            case "log10" -> StrictMath.log10(b);
            case "sin" -> StrictMath.sin(a);
            case "cos" -> StrictMath.cos(a);
            case "pow" -> StrictMath.pow(b, c);
            case "tan" -> StrictMath.tan(a);
            case "asin" -> StrictMath.asin(c);
            case "acos" -> StrictMath.acos(c);
            case "atan" -> StrictMath.atan(a);
            case "atan2" -> StrictMath.atan2(c, a);
            case "sinh" -> StrictMath.sinh(a);
            case "cosh" -> StrictMath.cosh(a);
            case "tanh" -> StrictMath.tanh(a);
            case "hypot" -> StrictMath.hypot(a, b);
            case "expm1" -> StrictMath.expm1(a);
            case "log1p" -> StrictMath.log1p(b);
            case "cbrt" -> StrictMath.cbrt(a);
            default -> throw new IllegalArgumentException(NAMES.get(function));
        };
    }

    @Test
    void fastMathLoopsCallEveryFunctionVectorisedWithinFourUlp() throws Throwable {
        JavaMethod all = new JavaMethod(classes, "demo/Maths", "all", "([D[D[D[D)V");
        Random random = new Random(11);
        int n = 4099; // a remainder after the vector loop, which calls the scalar functions
        double[] x = random.doubles(n, -20, 20).toArray();
        double[] p = random.doubles(n).map(v -> 50 * v + Double.MIN_NORMAL).toArray();
        double[] u = random.doubles(n, -1, 1).toArray();
        double[] out = new double[NAMES.size() * n];
        try (NativeMethod fast = pipeline.jit(all, FAST); NativeMethod strict = pipeline.jit(all)) {
            String ir = fast.code().compiledIr();
            for (String name : NAMES) {
                assertTrue(Pattern.compile("call [^\\n]*@_ZGV[bd]N[24]v+_" + name + "\\(").matcher(ir).find(),
                        "no vector call of " + name + " in\n" + ir);
            }
            assertFalse(VECTOR_CALL.matcher(strict.code().compiledIr()).find(), "strict code stays scalar");
            fast.handle().invokeExact(x, p, u, out);
        }
        double worst = 0;
        for (int f = 0; f < NAMES.size(); f++) {
            for (int i = 0; i < n; i++) {
                double expected = strict(f, x[i], p[i], u[i]);
                double ulps = Math.abs(out[f * n + i] - expected) / Math.ulp(expected);
                assertTrue(ulps <= 5, NAMES.get(f) + " at element " + i + ": " + out[f * n + i] + " is " + ulps
                        + " ulp from StrictMath's " + expected);
                worst = Math.max(worst, ulps);
            }
        }
        assertTrue(worst > 0, "libmvec's results are not libm's bits: the vector functions ran");
    }

    @Test
    void aFastMathGradientVectorisesItsForwardSweepAndStaysWithinTheTolerance() throws Throwable {
        JavaMethod softplus = new JavaMethod(classes, "demo/Maths", "softplusSum", "([D)D");
        double[] x = new Random(12).doubles(10_000, -30, 30).toArray();
        try (Derivative fast = pipeline.differentiate(softplus, Mode.REVERSE, Map.of(), FAST);
             Derivative strict = pipeline.differentiate(softplus, Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            assertTrue(Pattern.compile("call [^\\n]*@_ZGVdN4v_log1p\\(|call [^\\n]*@_ZGVbN2v_log1p\\(")
                    .matcher(fast.code().compiledIr()).find(), fast.code().compiledIr());
            assertFalse(VECTOR_CALL.matcher(strict.code().compiledIr()).find(), "strict code stays scalar");
            double[] g = new double[x.length];
            double[] out = new double[1];
            fast.handle().invokeExact(x, g, out);
            double sum = 0;
            double magnitude = 0;
            for (int i = 0; i < x.length; i++) {
                double term = StrictMath.log1p(StrictMath.exp(x[i]));
                sum += term;
                magnitude += term;
                double sigmoid = 1 / (1 + StrictMath.exp(-x[i]));
                // exp and log1p within 4 ulp each, 1/(1 + e) and the product rounded: 16 ulp is loose enough
                assertEquals(sigmoid, g[i], 16 * Math.ulp(sigmoid), "d/dx log1p(exp(x)) at x = " + x[i]);
            }
            // terms within 4 ulp each plus any summation order (n eps sum|terms|, docs/DERIVATIVES.md)
            assertEquals(sum, out[0], (x.length + 8) * Math.ulp(1.0) * magnitude);
        }
    }
}
