package jenzyme.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.DoubleStream;
import jenzyme.runtime.testing.CentralDifferences;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 12's everyday snippets as a new user types them into a notebook (ODE, optimisation and inverse-problem code
 * written as scientists write Java, not bent to the compiled subset), each through {@code %autodiff reverse} and
 * {@code %autodiff forward}: the value against the JVM's own method, the reverse gradient against central
 * differences of the JVM's method, the forward tangent along a random direction against both.
 */
class EverydaySnippetsTest {

    @RegisterExtension
    static final NotebookCells cells = new NotebookCells(
            "final double G = 9.81;",
            """
            double drop(double t, double v0) { return v0 * t - 0.5 * G * t * t; }

            final class Quadrature {
                static final double[] NODES = {-0.7745966692414834, 0, 0.7745966692414834};
                static final double[] WEIGHTS = {5.0 / 9, 8.0 / 9, 5.0 / 9};
            }
            double gauss3(double a, double b) {
                double mid = (a + b) / 2, half = (b - a) / 2, s = 0;
                for (int i = 0; i < 3; i++) {
                    double x = mid + half * Quadrature.NODES[i];
                    s += Quadrature.WEIGHTS[i] * Math.exp(-x * x);
                }
                return half * s;
            }

            double quadForm(double[][] a, double[] x) {
                double s = 0;
                for (int i = 0; i < a.length; i++)
                    for (int j = 0; j < a[i].length; j++)
                        s += x[i] * a[i][j] * x[j];
                return s;
            }

            record Oscillator(double k, double m) {}
            double energy(Oscillator osc, double x, double v) { return 0.5 * osc.k() * x * x + 0.5 * osc.m() * v * v; }

            record State(double x, double v) {}
            State leapfrog(State s, double h, double k) {
                double v = s.v() - 0.5 * h * k * s.x();
                double x = s.x() + h * v;
                return new State(x, v - 0.5 * h * k * x);
            }
            @FunctionalInterface
            interface Flow { State step(State s, double h); }
            double flowEnd(Flow f, State s0, double h) {
                State s = s0;
                for (int i = 0; i < 10; i++) s = f.step(s, h);
                return s.x() * s.x() + s.v();
            }
            double finalEnergy(double x0, double v0, double k) {
                State s = new State(x0, v0);
                for (int i = 0; i < 100; i++) s = leapfrog(s, 0.01, k);
                return 0.5 * s.v() * s.v() + 0.5 * k * s.x() * s.x();
            }

            final class Pendulum {
                final double length;
                double angle, speed;
                Pendulum(double length, double angle) { this.length = length; this.angle = angle; }
                void step(double h) {
                    speed -= h * G / length * Math.sin(angle);
                    angle += h * speed;
                }
            }
            double swing(double length, double angle0) {
                Pendulum p = new Pendulum(length, angle0);
                for (int i = 0; i < 50; i++) p.step(0.02);
                return p.angle;
            }

            double delayed(double[] u) {
                double[] history = new double[2 * u.length];
                System.arraycopy(u, 0, history, u.length, u.length);
                System.arraycopy(u, 0, history, 0, u.length);
                double s = 0;
                for (int i = 1; i < history.length; i++) s += history[i] * history[i - 1];
                return s;
            }

            double variance(double[] x) {
                double[] c = x.clone();
                double mean = 0;
                for (double v : c) mean += v;
                mean /= c.length;
                double s = 0;
                for (int i = 0; i < c.length; i++) { c[i] -= mean; s += c[i] * c[i]; }
                return s / (c.length - 1);
            }

            double smoothPenalty(double[] w) {
                double[] scale = new double[w.length];
                Arrays.fill(scale, 0.5);
                double s = 0;
                for (int i = 0; i < w.length; i++) s += scale[i] * w[i] * w[i];
                return s;
            }

            double sumOfSquares(double[] x) { return Arrays.stream(x).map(v -> v * v).sum(); }
            double logSumExp(double[] z) { return Math.log(IntStream.range(0, z.length).mapToDouble(i -> Math.exp(z[i])).sum()); }

            double heat(double[] u0, double alpha) {
                double[] u = u0.clone();
                for (int s = 0; s < 20; s++) {
                    double[] next = new double[u.length];
                    for (int i = 1; i < u.length - 1; i++) next[i] = u[i] + alpha * (u[i - 1] - 2 * u[i] + u[i + 1]);
                    u = next;
                }
                double e = 0;
                for (double v : u) e += v * v;
                return e;
            }

            double[] force(double[] q) {
                double[] f = new double[q.length];
                for (int i = 0; i < q.length; i++) f[i] = q[i] - q[i] * q[i] * q[i];
                return f;
            }
            double work(double[] q) {
                double[] f = force(q);
                double s = 0;
                for (double v : f) s += v * v;
                return s;
            }

            double integrate(DoubleUnaryOperator f, double a, double b) {
                int n = 64;
                double h = (b - a) / n, s = 0.5 * (f.applyAsDouble(a) + f.applyAsDouble(b));
                for (int i = 1; i < n; i++) s += f.applyAsDouble(a + i * h);
                return s * h;
            }

            double gaussianLogLikelihood(double[] x, double mu, double sigma) {
                if (sigma <= 0) throw new IllegalArgumentException("sigma must be positive");
                double s = 0;
                for (double v : x) s += -0.5 * ((v - mu) / sigma) * ((v - mu) / sigma) - Math.log(sigma);
                return s - 0.5 * x.length * Math.log(2 * Math.PI);
            }

            @FunctionalInterface
            interface Rhs { double[] eval(double t, double[] y, double[] p); }
            double[] solve(Rhs f, double[] y0, double[] p, double t1) {
                int steps = 100;
                double h = t1 / steps;
                double[] y = y0.clone();
                for (int s = 0; s < steps; s++) {
                    double t = s * h;
                    double[] k1 = f.eval(t, y, p);
                    double[] y2 = new double[y.length];
                    for (int i = 0; i < y.length; i++) y2[i] = y[i] + h / 2 * k1[i];
                    double[] k2 = f.eval(t + h / 2, y2, p);
                    double[] y3 = new double[y.length];
                    for (int i = 0; i < y.length; i++) y3[i] = y[i] + h / 2 * k2[i];
                    double[] k3 = f.eval(t + h / 2, y3, p);
                    double[] y4 = new double[y.length];
                    for (int i = 0; i < y.length; i++) y4[i] = y[i] + h * k3[i];
                    double[] k4 = f.eval(t + h, y4, p);
                    for (int i = 0; i < y.length; i++) y[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
                }
                return y;
            }
            final class PredatorPrey {
                double[] lotkaVolterra(double t, double[] y, double[] p) {
                    return new double[] {p[0] * y[0] - p[1] * y[0] * y[1], p[2] * y[0] * y[1] - p[3] * y[1]};
                }
                double loss(double[] p) {
                    double[] y = solve(this::lotkaVolterra, new double[] {1, 0.5}, p, 2);
                    return (y[0] - 1.2) * (y[0] - 1.2) + (y[1] - 0.4) * (y[1] - 0.4);
                }
            }
            """,
            "var model = new PredatorPrey();");

    private static final Random random = new Random(12);

    /** The first number the notebook shows for {@code template} filled with {@code x}. */
    private static double jvm(String template, double[] x) throws Exception {
        return cells.numbers(template.formatted(DoubleStream.of(x).boxed().toArray()))[0];
    }

    /**
     * The reverse binding's value and partials ({@code gradient} filled with x: a cell defining {@code g}, then the
     * expressions {@code partials} of g) against the JVM's method ({@code value} filled with x) and central
     * differences of it; then the forward binding ({@code tangent} filled with x and a random direction v:
     * expressions of the value and the directional derivative) against the same.
     */
    private static void check(double[] x, String value, String gradient, String partials, String tangent)
            throws Throwable {
        double expected = jvm(value, x);
        double[] differences = CentralDifferences.gradient(at -> jvm(value, at), x);
        cells.run(gradient.formatted(DoubleStream.of(x).boxed().toArray()));
        double[] got = cells.numbers(partials);
        assertEquals(expected, got[0], 1e-14 * (1 + Math.abs(expected)), "reverse value vs the JVM");
        double[] reverse = Arrays.copyOfRange(got, 1, got.length);
        assertArrayEquals(differences, reverse, 1e-6 * (1 + DoubleStream.of(differences).map(Math::abs).max()
                .orElse(0)), "reverse gradient vs central differences");
        double[] v = random.doubles(x.length, -1, 1).toArray();
        double[] xv = DoubleStream.concat(DoubleStream.of(x), DoubleStream.of(v)).toArray();
        double[] forward = cells.numbers(tangent.formatted(DoubleStream.of(xv).boxed().toArray()));
        assertEquals(expected, forward[0], 1e-14 * (1 + Math.abs(expected)), "forward value vs the JVM");
        double along = (jvm(value, CentralDifferences.along(x, v, CentralDifferences.STEP))
                - jvm(value, CentralDifferences.along(x, v, -CentralDifferences.STEP))) / (2 * CentralDifferences.STEP);
        assertEquals(along, forward[1], 1e-6 * (1 + Math.abs(along)), "forward tangent vs central differences");
        double fromReverse = 0;
        for (int i = 0; i < x.length; i++) {
            fromReverse += reverse[i] * v[i];
        }
        assertEquals(fromReverse, forward[1], 1e-12 * (1 + Math.abs(fromReverse)), "forward vs reverse");
    }

    @Test
    void aNotebookConstantUsedInAMethod() throws Throwable {
        cells.run("%autodiff reverse drop");
        cells.run("%autodiff forward drop");
        check(new double[] {1.3, 4.0}, "drop(%s, %s)", "var g = drop_grad(%s, %s);", "g.value(), g.dt(), g.dv0()",
                "drop_fwd(%1$s, %3$s, %2$s, %4$s).value(), drop_fwd(%1$s, %3$s, %2$s, %4$s).dvalue()");
    }

    @Test
    void assigningANotebookVariableIsRefusedNamingIt() throws Throwable {
        cells.run("""
                double onTheMoon(double t) {
                    G = 1.62;
                    return 0.5 * G * t * t;
                }""");
        String refusal = cells.refusal("%autodiff reverse onTheMoon");
        assertTrue(refusal.contains("assigning G (compiled code reads notebook variables and static fields but cannot"
                + " assign them; return the new value, or write into an array)"), refusal);
        assertTrue(refusal.contains("G = 1.62;"), refusal);
    }

    @Test
    void staticFinalArraysOfACellClass() throws Throwable {
        cells.run("%autodiff reverse gauss3");
        cells.run("%autodiff forward gauss3");
        check(new double[] {-0.4, 1.1}, "gauss3(%s, %s)", "var g = gauss3_grad(%s, %s);", "g.value(), g.da(), g.db()",
                "gauss3_fwd(%1$s, %3$s, %2$s, %4$s).value(), gauss3_fwd(%1$s, %3$s, %2$s, %4$s).dvalue()");
    }

    @Test
    void aMatrixParameter() throws Throwable {
        cells.run("%autodiff reverse quadForm");
        cells.run("%autodiff forward quadForm");
        String a = "new double[][] {{%s, %s}, {%s, %s}}", x = "new double[] {%s, %s}";
        String ta = "new double[][] {{%7$s, %8$s}, {%9$s, %10$s}}", tx = "new double[] {%11$s, %12$s}";
        String fwd = "quadForm_fwd(" + indexed(a, 1) + ", " + ta + ", " + indexed(x, 5) + ", " + tx + ")";
        check(new double[] {2, -0.5, 0.3, 1.5, 0.7, -1.2}, "quadForm(" + a + ", " + x + ")",
                "var g = quadForm_grad(" + a + ", " + x + ");",
                "g.value(), g.da()[0][0], g.da()[0][1], g.da()[1][0], g.da()[1][1], g.dx()[0], g.dx()[1]",
                fwd + ".value(), " + fwd + ".dvalue()");
    }

    @Test
    void aRecordParameter() throws Throwable {
        cells.run("%autodiff reverse energy");
        cells.run("%autodiff forward energy");
        String fwd = "energy_fwd(new Oscillator(%1$s, %2$s), new Oscillator(%5$s, %6$s), %3$s, %7$s, %4$s, %8$s)";
        check(new double[] {3, 0.5, 0.2, -1.1}, "energy(new Oscillator(%s, %s), %s, %s)",
                "var g = energy_grad(new Oscillator(%s, %s), %s, %s);", "g.value(), g.dosc().k(), g.dosc().m(), g.dx(),"
                        + " g.dv()", fwd + ".value(), " + fwd + ".dvalue()");
    }

    @Test
    void recordsCreatedInAStepFunctionInsideALoop() throws Throwable {
        cells.run("%autodiff reverse finalEnergy");
        cells.run("%autodiff forward finalEnergy");
        String fwd = "finalEnergy_fwd(%1$s, %4$s, %2$s, %5$s, %3$s, %6$s)";
        check(new double[] {1, 0.3, 4}, "finalEnergy(%s, %s, %s)", "var g = finalEnergy_grad(%s, %s, %s);",
                "g.value(), g.dx0(), g.dv0(), g.dk()", fwd + ".value(), " + fwd + ".dvalue()");
    }

    @Test
    void aUserFunctionalInterfaceOverRecords() throws Throwable {
        cells.run("%autodiff reverse flowEnd");
        cells.run("%autodiff forward flowEnd");
        String euler = "(s, h) -> new State(s.x() + h * s.v(), s.v() - h * s.x())";
        String fwd = "flowEnd_fwd(" + euler + ", new State(%1$s, %2$s), new State(%4$s, %5$s), %3$s, %6$s)";
        check(new double[] {1, 0.5, 0.1}, "flowEnd(" + euler + ", new State(%s, %s), %s)", "var g = flowEnd_grad("
                + euler + ", new State(%s, %s), %s);", "g.value(), g.ds0().x(), g.ds0().v(), g.dh()",
                fwd + ".value(), " + fwd + ".dvalue()");
    }

    @Test
    void aSmallClassWithFieldsAndAnInstanceMethodCreatedInCompiledCode() throws Throwable {
        cells.run("%autodiff reverse swing");
        cells.run("%autodiff forward swing");
        String fwd = "swing_fwd(%1$s, %3$s, %2$s, %4$s)";
        check(new double[] {1.5, 0.4}, "swing(%s, %s)", "var g = swing_grad(%s, %s);",
                "g.value(), g.dlength(), g.dangle0()", fwd + ".value(), " + fwd + ".dvalue()");
    }

    @Test
    void systemArraycopy() throws Throwable {
        arrayOfFour("delayed", "du");
    }

    @Test
    void cloneOfAnArray() throws Throwable {
        arrayOfFour("variance", "dx");
    }

    @Test
    void arraysFill() throws Throwable {
        arrayOfFour("smoothPenalty", "dw");
    }

    @Test
    void aStreamOverAnArray() throws Throwable {
        arrayOfFour("sumOfSquares", "dx");
    }

    @Test
    void anIntStreamOverIndices() throws Throwable {
        arrayOfFour("logSumExp", "dz");
    }

    @Test
    void newArraysInsideALoop() throws Throwable {
        cells.run("%autodiff reverse heat");
        cells.run("%autodiff forward heat");
        String u = "new double[] {%s, %s, %s, %s, %s}";
        String fwd = indexed("heat_fwd(" + u + ", new double[] {%7$s, %8$s, %9$s, %10$s, %11$s}, %6$s, %12$s)", 1);
        check(new double[] {0, 0.8, 1.2, 0.5, 0, 0.2}, "heat(" + u + ", %s)", "var g = heat_grad(" + u + ", %s);",
                "g.value(), g.du0()[0], g.du0()[1], g.du0()[2], g.du0()[3], g.du0()[4], g.dalpha()",
                fwd + ".value(), " + fwd + ".dvalue()");
    }

    @Test
    void aMethodReturningAnArrayCalledAndDifferentiated() throws Throwable {
        arrayOfFour("work", "dq");
        // the vector function itself: ybar·J and J·t against the analytic Jacobian diag(1 - 3q²)
        cells.run("%autodiff reverse force");
        cells.run("%autodiff forward force");
        double[] q = {0.3, -0.7, 1.1}, ybar = {1, -2, 0.5}, t = {0.2, 0.4, -1};
        String args = "new double[] {0.3, -0.7, 1.1}";
        double[] vjp = cells.numbers("force_vjp(" + args + ", new double[] {1, -2, 0.5}).dq()[0], force_vjp(" + args
                + ", new double[] {1, -2, 0.5}).dq()[1], force_vjp(" + args + ", new double[] {1, -2, 0.5}).dq()[2]");
        cells.run("var jvp = force_jvp(" + args + ", new double[] {0.2, 0.4, -1});");
        double[] jvp = cells.numbers("jvp.value()[0], jvp.value()[1], jvp.value()[2], jvp.dvalue()[0],"
                + " jvp.dvalue()[1], jvp.dvalue()[2]");
        for (int i = 0; i < 3; i++) {
            double slope = 1 - 3 * q[i] * q[i];
            assertEquals(ybar[i] * slope, vjp[i], 1e-15);
            assertEquals(q[i] - q[i] * q[i] * q[i], jvp[i], 0.0);
            assertEquals(slope * t[i], jvp[3 + i], 1e-15);
        }
    }

    @Test
    void aDoubleUnaryOperatorParameter() throws Throwable {
        cells.run("%autodiff reverse integrate");
        cells.run("%autodiff forward integrate");
        String f = "x -> Math.exp(-x * x)";
        String fwd = "integrate_fwd(" + f + ", %1$s, %3$s, %2$s, %4$s)";
        check(new double[] {-0.3, 1.4}, "integrate(" + f + ", %s, %s)", "var g = integrate_grad(" + f + ", %s, %s);",
                "g.value(), g.da(), g.db()", fwd + ".value(), " + fwd + ".dvalue()");
    }

    @Test
    void anIllegalArgumentExceptionWithItsMessage() throws Throwable {
        cells.run("%autodiff reverse gaussianLogLikelihood");
        cells.run("%autodiff forward gaussianLogLikelihood");
        String x = "new double[] {%s, %s, %s}";
        String fwd = indexed("gaussianLogLikelihood_fwd(" + x + ", new double[] {%6$s, %7$s, %8$s}, %4$s, %9$s, %5$s,"
                + " %10$s)", 1);
        check(new double[] {0.3, 1.2, -0.4, 0.5, 0.9}, "gaussianLogLikelihood(" + x + ", %s, %s)",
                "var g = gaussianLogLikelihood_grad(" + x + ", %s, %s);",
                "g.value(), g.dx()[0], g.dx()[1], g.dx()[2], g.dmu(), g.dsigma()",
                fwd + ".value(), " + fwd + ".dvalue()");
        for (String call : new String[] {"gaussianLogLikelihood_grad(new double[] {1}, 0, -2)",
            "gaussianLogLikelihood_fwd(new double[] {1}, new double[] {0}, 0, 1, -2, 0)"}) {
            String refusal = cells.refusal(call);
            assertTrue(refusal.contains("IllegalArgumentException: sigma must be positive"), refusal);
        }
        // the message built from the value, as scientists write it: the JVM's exception with the JVM's message from
        // every binding (-0.0, 1.0E-300 and -Infinity printed as Double.toString prints them)
        cells.run("""
                double checkedScale(double x, double sigma) {
                    if (sigma <= 0) throw new IllegalArgumentException("sigma must be positive, got " + sigma);
                    return x / sigma;
                }""");
        cells.run("""
                double[] checkedTerms(double[] p) {
                    if (p[1] <= 0) throw new IllegalArgumentException("sigma must be positive, got " + p[1]);
                    double z = (0.5 - p[0]) / p[1];
                    return new double[] {-Math.log(p[1]), -0.5 * z * z};
                }""");
        cells.run("""
                double checkedLogLikelihood(double[] p) {
                    if (p[1] <= 0) throw new IllegalArgumentException("sigma must be positive, got " + p[1]);
                    double z = (0.5 - p[0]) / p[1];
                    return -Math.log(p[1]) - 0.5 * z * z;
                }""");
        for (String magic : new String[] {"%jit checkedScale", "%autodiff reverse checkedScale",
            "%autodiff forward checkedScale", "%autodiff jacobian checkedTerms", "%autodiff reverse checkedTerms",
            "%autodiff forward checkedTerms", "%autodiff hvp checkedLogLikelihood"}) {
            cells.run(magic);
        }
        for (String sigma : new String[] {"-0.5", "-0.0", "-1.0E-300", "Double.NEGATIVE_INFINITY"}) {
            String p = "new double[] {0.2, " + sigma + "}";
            String message = "IllegalArgumentException: sigma must be positive, got "
                    + Double.toString(sigma.startsWith("Double") ? Double.NEGATIVE_INFINITY : Double.parseDouble(sigma));
            for (String call : new String[] {"checkedScale_native(1.5, " + sigma + ")",
                "checkedScale_grad(1.5, " + sigma + ")", "checkedScale_fwd(1.5, 1, " + sigma + ", 0)",
                "checkedTerms_jac(" + p + ")", "checkedTerms_vjp(" + p + ", new double[] {1, 1})",
                "checkedTerms_jvp(" + p + ", new double[] {1, 0})",
                "checkedLogLikelihood_hvp(" + p + ", new double[] {1, 0})"}) {
                String refusal = cells.refusal(call);
                assertTrue(refusal.contains(message), call + ": " + refusal);
                assertTrue(refusal.contains("), line 2:\n  ----> 2     if ("), call + ": " + refusal); // the guard's line
            }
        }
        // where the guard passes, the derivatives are untouched by it: d(x/s) = (1/s, -x/s^2), J of the terms
        cells.run("var scaled = checkedScale_grad(1.5, 0.6);");
        double[] scaled = cells.numbers("scaled.value(), scaled.dx(), scaled.dsigma()");
        assertArrayEquals(new double[] {1.5 / 0.6, 1 / 0.6, -1.5 / 0.36}, scaled, 1e-14);
        double z = (0.5 - 0.2) / 0.6;
        double[][] jacobian = cells.matrix("checkedTerms_jac(new double[] {0.2, 0.6})");
        assertArrayEquals(new double[] {0, -1 / 0.6}, jacobian[0], 1e-14);
        assertArrayEquals(new double[] {z / 0.6, z * z / 0.6}, jacobian[1], 1e-14);
    }

    @Test
    void theOdeSolverWithALambdaAndAMethodReference() throws Throwable {
        cells.run("%autodiff reverse solve");
        cells.run("%autodiff forward solve");
        String lambda = "(t, y, p) -> new double[] {p[0] * y[0] - p[1] * y[0] * y[1], p[2] * y[0] * y[1] - p[3] * y[1]}";
        for (String rhs : new String[] {lambda, "model::lotkaVolterra"}) {
            String y0 = "new double[] {%s, %s}", p = "new double[] {%s, %s, %s, %s}";
            // ybar = (1, 1): the reverse gradient of y0 + y1 at t1
            String value = "java.util.Arrays.stream(solve(" + rhs + ", " + y0 + ", " + p + ", %s)).sum()";
            String fwd = "solve_jvp(" + rhs + ", " + indexed(y0, 1) + ", new double[] {%8$s, %9$s}, " + indexed(p, 3)
                    + ", new double[] {%10$s, %11$s, %12$s, %13$s}, %7$s, %14$s)";
            // f_vjp returns the adjoints only: the native value comes from f_jvp along zero tangents
            String gradient = "var g = solve_vjp(" + rhs + ", " + y0 + ", " + p + ", %s, new double[] {1, 1});"
                    + " var yv = solve_jvp(" + rhs + ", " + indexed(y0, 1) + ", new double[2], " + indexed(p, 3)
                    + ", new double[4], %7$s, 0).value();";
            check(new double[] {1, 0.5, 1.1, 0.4, 0.6, 0.9, 2}, value, gradient, "yv[0] + yv[1], g.dy0()[0], g.dy0()[1],"
                    + " g.dp()[0], g.dp()[1], g.dp()[2], g.dp()[3], g.dt1()", "java.util.Arrays.stream(" + fwd
                    + ".value()).sum(), java.util.Arrays.stream(" + fwd + ".dvalue()).sum()");
        }
    }

    @Test
    void theOdeSolverCalledWithThisMethodReferenceInsideAClass() throws Throwable {
        cells.run("%autodiff reverse model.loss");
        cells.run("%autodiff forward model.loss");
        String p = "new double[] {%s, %s, %s, %s}";
        String fwd = indexed("loss_fwd(" + p + ", new double[] {%5$s, %6$s, %7$s, %8$s})", 1);
        check(new double[] {1.1, 0.4, 0.6, 0.9}, "model.loss(" + p + ")", "var g = loss_grad(" + p + ");",
                "g.value(), g.dp()[0], g.dp()[1], g.dp()[2], g.dp()[3]", fwd + ".value(), " + fwd + ".dvalue()");
    }

    @Test
    void parametersWhoseGeneratedNamesWouldBeKeywordsGetAnUnderscore() throws Throwable {
        // a record parameter o: its gradient component would be do, and the tangent of ry would be try (JShell rejected
        // the stubs and the magic said its own holder class "would replace your declaration of springEnergy$reverse")
        cells.run("double springEnergy(Oscillator o, double ry) { return 0.5 * o.k() * ry * ry + o.m(); }");
        cells.run("%autodiff reverse springEnergy");
        // value 0.5 k ry^2 + m, d/dk = ry^2 / 2, d/dm = 1, d/dry = k ry at k = 2, m = 1, ry = 3
        assertArrayEquals(new double[] {10, 4.5, 1, 6}, cells.numbers("springEnergy_grad(new Oscillator(2, 1), 3).value(),"
                + " springEnergy_grad(new Oscillator(2, 1), 3).do_().k(), springEnergy_grad(new Oscillator(2, 1), 3).do_().m(),"
                + " springEnergy_grad(new Oscillator(2, 1), 3).dry()"), 0.0);
        cells.run("%autodiff forward springEnergy");
        // tangents to = (0, 0.5) and try_ = 1: ry^2/2 * 0 + 0.5 + k ry * 1
        assertArrayEquals(new double[] {10, 6.5}, cells.numbers("springEnergy_fwd(new Oscillator(2, 1), new Oscillator(0,"
                + " 0.5), 3, 1).value(), springEnergy_fwd(new Oscillator(2, 1), new Oscillator(0, 0.5), 3, 1).dvalue()"),
                0.0);
        // the hvp direction of oid would be void: H = [[2x, 2 oid], [2 oid, 6x]] at oid = 1.5, x = 2, v = (1, 0.5)
        cells.run("double bowl(double oid, double x) { return oid * oid * x + x * x * x; }");
        cells.run("%autodiff hvp bowl");
        assertArrayEquals(new double[] {5.5, 9}, cells.numbers("bowl_hvp(1.5, 1, 2, 0.5).hvoid(),"
                + " bowl_hvp(1.5, 1, 2, 0.5).hvx()"), 1e-12);
    }

    /**
     * Parameters o and o_ both had the gradient name do_ (o's with the keyword's underscore), ry and ry_ the tangent
     * name try_: the stubs declared each twice and did not compile. In parameter order, the second gets one more
     * underscore (do__, try__); the gradient against central differences of the JVM's method, the tangents, one
     * direction and two lanes at once ({@code --width 2}), against the gradient.
     */
    @Test
    void parametersWhoseGeneratedNamesWouldCollideGetOneMoreUnderscore() throws Throwable {
        cells.run("double twoOs(double[] o, double[] o_, double ry, double ry_) {"
                + " return Math.sin(o[0]) * o_[0] * o_[1] + o[1] * o[1] * ry + Math.exp(ry * ry_); }");
        assertBinds("%autodiff reverse twoOs", "twoOs_grad_into(double[] o, double[] do_, double[] o_, double[] do__,"
                + " double ry, double ry_, double[] dActive)");
        String arguments = "new double[] {%s, %s}, new double[] {%s, %s}, %s, %s";
        double[] x = {0.3, -0.7, 1.2, 0.5, 0.8, -0.4};
        double[] differences = CentralDifferences.gradient(at -> jvm("twoOs(" + arguments + ")", at), x);
        cells.run("var twoOsGradient = twoOs_grad(" + arguments.formatted(DoubleStream.of(x).boxed().toArray()) + ");");
        double[] gradient = cells.numbers("twoOsGradient.do_()[0], twoOsGradient.do_()[1], twoOsGradient.do__()[0],"
                + " twoOsGradient.do__()[1], twoOsGradient.dry(), twoOsGradient.dry_()");
        assertArrayEquals(differences, gradient, 1e-6 * (1 + DoubleStream.of(differences).map(Math::abs).max()
                .orElse(0)), "twoOs_grad vs central differences");

        double[] v = {1, -0.5, 0.25, 2, -1, 0.5}, w = {-0.3, 0.9, 1.5, -0.2, 0.4, 1.1};
        Object[] xvw = java.util.stream.Stream.of(x, v, w).flatMapToDouble(DoubleStream::of).boxed().toArray();
        assertTrue(cells.text("%autodiff forward twoOs").contains("twoOs_fwd(double[] o, double[] to, double[] o_,"
                + " double[] to_, double ry, double try_, double ry_, double try__)"));
        double along = cells.numbers(("twoOs_fwd(new double[] {%1$s, %2$s}, new double[] {%7$s, %8$s}, new double[]"
                + " {%3$s, %4$s}, new double[] {%9$s, %10$s}, %5$s, %11$s, %6$s, %12$s).dvalue()").formatted(xvw))[0];
        assertEquals(dot(gradient, v), along, 1e-12 * (1 + Math.abs(along)), "twoOs_fwd vs the gradient");
        cells.run("%autodiff forward twoOs --width 2");
        cells.run(("var twoOsLanes = twoOs_fwd(new double[] {%1$s, %2$s}, new double[][] {{%7$s, %8$s}, {%13$s,"
                + " %14$s}}, new double[] {%3$s, %4$s}, new double[][] {{%9$s, %10$s}, {%15$s, %16$s}}, %5$s, new"
                + " double[] {%11$s, %17$s}, %6$s, new double[] {%12$s, %18$s});").formatted(xvw));
        double[] lanes = cells.numbers("twoOsLanes.dvalue()[0], twoOsLanes.dvalue()[1]");
        assertEquals(dot(gradient, v), lanes[0], 1e-12 * (1 + Math.abs(lanes[0])), "--width 2, lane 0 vs the gradient");
        assertEquals(dot(gradient, w), lanes[1], 1e-12 * (1 + Math.abs(lanes[1])), "--width 2, lane 1 vs the gradient");
    }

    /**
     * The hvp of a method of one parameter v took v for its direction too: cubeSum_hvp(double[] v, double[] v);
     * H·v against the analytic Hessian.
     */
    @Test
    void theHvpDirectionOfAParameterVIsV_AndTheResultOfAParameterHvIsHv_() throws Throwable {
        cells.run("double cubeSum(double[] v) {"
                + " double s = 0; for (int i = 0; i < v.length; i++) s += v[i] * v[i] * v[i]; return s; }");
        String bound = cells.text("%autodiff hvp cubeSum");
        assertTrue(bound.contains("double[] cubeSum_hvp(double[] v, double[] v_)")
                && bound.contains("void cubeSum_hvp_into(double[] v, double[] v_, double[] hv)"), bound);
        // H = diag(6 v): at v = (0.5, -2) along (1, 3), H·u = (3, -36)
        assertArrayEquals(new double[] {3, -36}, cells.numbers("cubeSum_hvp(new double[] {0.5, -2},"
                + " new double[] {1, 3})[0], cubeSum_hvp(new double[] {0.5, -2}, new double[] {1, 3})[1]"), 1e-12);
        cells.run("double[] cubeSumHv = new double[2];"
                + " cubeSum_hvp_into(new double[] {0.5, -2}, new double[] {1, 3}, cubeSumHv);");
        assertArrayEquals(new double[] {3, -36}, cells.numbers("cubeSumHv[0], cubeSumHv[1]"), 1e-12);

        // and the result hv of a parameter named hv is hv_ (its direction stays v)
        cells.run("double cubeSumOfHv(double[] hv) {"
                + " double s = 0; for (int i = 0; i < hv.length; i++) s += hv[i] * hv[i] * hv[i]; return s; }");
        assertBinds("%autodiff hvp cubeSumOfHv", "void cubeSumOfHv_hvp_into(double[] hv, double[] v, double[] hv_)");
        cells.run("double[] cubeSumOfHvResult = new double[2];"
                + " cubeSumOfHv_hvp_into(new double[] {0.5, -2}, new double[] {1, 3}, cubeSumOfHvResult);");
        assertArrayEquals(new double[] {3, -36}, cells.numbers("cubeSumOfHvResult[0], cubeSumOfHvResult[1]"), 1e-12);
    }

    /**
     * Parameters named like the stubs' fixed names: a parameter dActive beside a double[] Active, whose shadow is
     * dActive too, had _grad_into(double[] Active, double[] dActive, double dActive, ..., double[] dActive), which did
     * not compile; likewise ybar, y (tangent ty) and jacobian. Each binding against central differences of the JVM's
     * method.
     */
    @Test
    void parametersNamedLikeTheStubsFixedNamesGetWorkingBindings() throws Throwable {
        cells.run("double fixedNames(double[] Active, double dActive, double ybar) { return Math.sin(Active[0])"
                + " * dActive + Active[1] * Active[1] * ybar + Math.exp(dActive * ybar); }");
        assertBinds("%autodiff reverse fixedNames", "fixedNames_grad_into(double[] Active, double[] dActive_,"
                + " double dActive, double ybar, double[] dActive__)");
        String arguments = "new double[] {%s, %s}, %s, %s";
        double[] x = {0.3, -0.7, 0.5, 0.8};
        Object[] at = DoubleStream.of(x).boxed().toArray();
        double[] differences = CentralDifferences.gradient(p -> jvm("fixedNames(" + arguments + ")", p), x);
        double tolerance = 1e-6 * (1 + DoubleStream.of(differences).map(Math::abs).max().orElse(0));
        cells.run("var fixedGradient = fixedNames_grad(" + arguments.formatted(at) + ");");
        assertArrayEquals(differences, cells.numbers("fixedGradient.dActive_()[0], fixedGradient.dActive_()[1],"
                + " fixedGradient.ddActive(), fixedGradient.dybar()"), tolerance, "fixedNames_grad");
        cells.run("double[] fixedShadow = new double[2], fixedActives = new double[2];"
                + " fixedNames_grad_into(new double[] {%s, %s}, fixedShadow, %s, %s, fixedActives);".formatted(at));
        assertArrayEquals(differences, cells.numbers("fixedShadow[0], fixedShadow[1], fixedActives[0],"
                + " fixedActives[1]"), tolerance, "fixedNames_grad_into");

        // a vector function: ybar beside the cotangent, y beside the value and tangent, jacobian beside the Jacobian
        cells.run("double[] fixedField(double[] y, double ybar, double jacobian) { return new double[] {"
                + " y[0] * y[1] * ybar + jacobian, Math.sin(y[0]) * jacobian + ybar * ybar * y[1] }; }");
        String field = "fixedField(" + arguments + ")["; // and the row's index
        double[] z = {0.4, -1.1, 0.6, 1.3};
        Object[] zAt = DoubleStream.of(z).boxed().toArray();
        double[][] rows = new double[2][];
        for (int i = 0; i < 2; i++) {
            String row = field + i + "]";
            rows[i] = CentralDifferences.gradient(p -> jvm(row, p), z);
        }
        double[] u = {0.7, -1.5}, v = {1, -0.5, 0.25, 2};
        double[] vjp = {u[0] * rows[0][0] + u[1] * rows[1][0], u[0] * rows[0][1] + u[1] * rows[1][1],
                u[0] * rows[0][2] + u[1] * rows[1][2], u[0] * rows[0][3] + u[1] * rows[1][3]};
        String call = "new double[] {%s, %s}, %s, %s".formatted(zAt);
        assertBinds("%autodiff reverse fixedField", "fixedField_vjp(double[] y, double ybar, double jacobian,"
                + " double[] ybar_)");
        cells.run("var fixedVjp = fixedField_vjp(" + call + ", new double[] {" + u[0] + ", " + u[1] + "});");
        assertArrayEquals(vjp, cells.numbers("fixedVjp.dy()[0], fixedVjp.dy()[1], fixedVjp.dybar(),"
                + " fixedVjp.djacobian()"), 1e-6 * (1 + DoubleStream.of(vjp).map(Math::abs).max().orElse(0)),
                "fixedField_vjp vs central differences");

        assertBinds("%autodiff forward fixedField", "fixedField_jvp_into(double[] y, double[] ty, double ybar,"
                + " double tybar, double jacobian, double tjacobian, double[] y_, double[] ty_)");
        cells.run("double[] fixedValue = new double[2], fixedTangent = new double[2]; fixedField_jvp_into(new double[]"
                + " {%s, %s}, new double[] {%s, %s}, %s, %s, %s, %s, fixedValue, fixedTangent);".formatted(
                        z[0], z[1], v[0], v[1], z[2], v[2], z[3], v[3]));
        double[] jvp = {dot(rows[0], v), dot(rows[1], v)};
        assertArrayEquals(jvp, cells.numbers("fixedTangent[0], fixedTangent[1]"),
                1e-6 * (1 + DoubleStream.of(jvp).map(Math::abs).max().orElse(0)), "fixedField_jvp_into");
        assertArrayEquals(new double[] {jvm(field + "0]", z), jvm(field + "1]", z)},
                cells.numbers("fixedValue[0], fixedValue[1]"), 1e-14, "fixedField_jvp_into's value");

        assertBinds("%autodiff jacobian fixedField", "fixedField_jac_into(double[] y, double ybar, double jacobian,"
                + " double[][] jacobian_)");
        cells.run("double[][] fixedJacobian = fixedField_jac(" + call + ");");
        assertArrayEquals(new double[] {rows[0][0], rows[0][1], rows[1][0], rows[1][1]}, cells.numbers(
                "fixedJacobian[0][0], fixedJacobian[0][1], fixedJacobian[1][0], fixedJacobian[1][1]"), 1e-6,
                "fixedField_jac vs central differences");
    }

    /** Runs {@code magic} and checks that it binds {@code signature}. */
    private static void assertBinds(String magic, String signature) throws Exception {
        String bound = cells.text(magic);
        assertTrue(bound.contains(signature), bound);
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** A method of one {@code double[]} of four: reverse and forward against the JVM. */
    private static void arrayOfFour(String name, String shadow) throws Throwable {
        cells.run("%autodiff reverse " + name);
        cells.run("%autodiff forward " + name);
        String x = "new double[] {%s, %s, %s, %s}";
        String fwd = indexed(name + "_fwd(" + x + ", new double[] {%5$s, %6$s, %7$s, %8$s})", 1);
        check(new double[] {0.3, -1.2, 0.8, 1.7}, name + "(" + x + ")", "var g = " + name + "_grad(" + x + ");",
                "g.value(), g.%1$s[0], g.%1$s[1], g.%1$s[2], g.%1$s[3]".formatted(shadow + "()"),
                fwd + ".value(), " + fwd + ".dvalue()");
    }

    /** {@code template}'s plain {@code %s} numbered from {@code first} ({@code %1$s, %2$s, ...}). */
    private static String indexed(String template, int first) {
        StringBuilder out = new StringBuilder();
        int next = first;
        for (int i = 0; i < template.length(); i++) {
            if (template.startsWith("%s", i)) {
                out.append('%').append(next++).append("$s");
                i++;
            } else {
                out.append(template.charAt(i));
            }
        }
        return out.toString();
    }
}
