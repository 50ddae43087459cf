package jenzyme.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jenzyme.magics.binding.VectorFunctions;
import jenzyme.magics.UserMethod;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;

/**
 * Record and object parameters in the modes beyond reverse/forward: {@code %gradcheck}/{@code %plot} sample a
 * record's doubles as coordinates, {@code %autodiff hvp} returns H·v as a record of the parameter's type.
 */
class RecordModesTest {

    @RegisterExtension
    static final NotebookCells cells = new NotebookCells("""
            record Params(double a, double b) {}
            final class Spring {
                final double k, rest;
                Spring(double k, double rest) { this.k = k; this.rest = rest; }
                double energy(double x) { return 0.5 * k * (x - rest) * (x - rest); }
            }
            double bowl(Params p, double x) { return p.a() * p.a() * x + Math.sin(p.b() * x); }
            double stretch(Spring s, double x) { return 0.5 * s.k * (x - s.rest) * (x - s.rest); }
            final class Tape {
                final double[] v;
                Tape(double[] v) { this.v = v; }
                double push(double x) {
                    v[0] = x;
                    if (x < 0) throw new IllegalArgumentException("negative x");
                        for (int i = 1; i < v.length; i++) v[i] = v[i - 1] * x;
                        return v[v.length - 1];
                    }
                }
                double mix(Params p, double[] x, int unused) {
                    return p.a() * p.a() * p.b() + p.a() * x[0] * x[1] + Math.sin(p.b()) * x[1] * x[1];
                }
                double pulled(Spring s) { return s.k * s.k * s.rest + Math.exp(s.rest); }
                record Pt(double x, double y) {}
                record Seg(Pt mid, double len) {}
                Seg seg(double a, double b) { return new Seg(new Pt((a + b) / 2, a * b), Math.sqrt(a * a + b * b)); }
                Pt centre(double[] p) { return new Pt((p[0] + p[1]) / 2, p[0] * p[1] * p[2]); }
                final class Flow {
                    final double a;
                    final double[] w;
                    Flow(double a, double[] w) { this.a = a; this.w = w; }
                    double[] rhs(double[] y) { return new double[] {a * y[0] * y[1], w[0] * Math.sin(y[1]), w[1] * y[0]}; }
                }
                """);

    private static VectorFunctions sampled(String name) {
        UserMethod method = cells.compiler().method(name);
        return VectorFunctions.of(cells.compiler().jvmHandle(method), cells.compiler().defaultGradient(method));
    }

    @Test
    void aRecordsDoublesAreCoordinatesOfTheSampledFunction() {
        VectorFunctions bowl = sampled("bowl");
        assertEquals(3, bowl.dimension()); // p.a, p.b, x
        java.util.Random random = new java.util.Random(12);
        for (int i = 0; i < 20; i++) {
            double a = random.nextGaussian(), b = random.nextGaussian(), x = random.nextGaussian();
            double[] point = {a, b, x};
            assertEquals(a * a * x + Math.sin(b * x), bowl.value().applyAsDouble(point), 0.0);
            assertArrayEquals(new double[] {2 * a * x, x * Math.cos(b * x), a * a + b * Math.cos(b * x)},
                    bowl.gradient().apply(point), 1e-14);
        }
        VectorFunctions stretch = sampled("stretch");
        // 0.5 k (x - r)^2 at k = 3, r = 0.5, x = 2: d/dk = (x - r)^2 / 2, d/dr = -k (x - r), d/dx = k (x - r)
        assertArrayEquals(new double[] {1.125, -4.5, 4.5}, stretch.gradient().apply(new double[] {3, 0.5, 2}), 0.0);
        assertEquals(3.375, stretch.value().applyAsDouble(new double[] {3, 0.5, 2}), 0.0);
    }

    @Test
    void gradcheckAndPlotTakeRecordParameters() throws Exception {
        assertTrue(cells.text("%gradcheck bowl --points 4 --seed 3").startsWith("gradcheck passed: 4 points × 3 components"));
        assertTrue(cells.text("%gradcheck stretch at 3,0.5,2").startsWith("gradcheck passed: 1 point × 3 components"));
        cells.run("%plot bowl --at 1,0.5,2 --coord 1 --x -1:1"); // raises if refused
    }

    @Test
    void hessianVectorProductsOfRecordsAreRecordsOfTheSameType() throws Exception {
        assertTrue(cells.text("%autodiff hvp mix").contains("MixHvp mix_hvp(Params p, Params vp, double[] x, double[] vx,"
                + " int unused)"));
        java.util.Random random = new java.util.Random(4);
        for (int i = 0; i < 5; i++) {
            double a = random.nextGaussian(), b = random.nextGaussian(), x0 = random.nextGaussian(),
                    x1 = random.nextGaussian(), va = random.nextGaussian(), vb = random.nextGaussian(),
                    v0 = random.nextGaussian(), v1 = random.nextGaussian();
            cells.run("var h = mix_hvp(new Params(%s, %s), new Params(%s, %s), new double[] {%s, %s},"
                    .formatted(a, b, va, vb, x0, x1) + " new double[] {%s, %s}, 7);".formatted(v0, v1));
            // the Hessian of a²b + a·x0·x1 + sin(b)·x1², times v
            double[] expected = {2 * b * va + 2 * a * vb + x1 * v0 + x0 * v1,
                2 * a * va - Math.sin(b) * x1 * x1 * vb + 2 * Math.cos(b) * x1 * v1,
                x1 * va + a * v1,
                x0 * va + 2 * Math.cos(b) * x1 * vb + a * v0 + 2 * Math.sin(b) * v1};
            double[] got = cells.numbers("h.hvp().a(), h.hvp().b(), h.hvx()[0], h.hvx()[1]");
            assertArrayEquals(expected, got, 1e-13 * (1 + java.util.Arrays.stream(expected).map(Math::abs).sum()));
        }
        // one object parameter: H·v is an object of its class. k²·rest + e^rest: H·v = (2·rest·vk + 2k·vr,
        // 2k·vk + e^rest·vr), at k = 2, rest = 0, v = (1, 1): (4, 5)
        assertTrue(cells.text("%autodiff hvp pulled").contains("Spring pulled_hvp(Spring s, Spring v)"));
        cells.run("var hs = pulled_hvp(new Spring(2, 0), new Spring(1, 1));");
        assertArrayEquals(new double[] {4, 5}, cells.numbers("hs.k, hs.rest"), 0.0);
    }

    @Test
    void anInstanceMethodOfANotebookVariableIsCompiledWithTheObjectReadAtEachCall() throws Exception {
        cells.run("var spring = new Spring(3, 0.5);");
        assertTrue(cells.text("%autodiff reverse spring.energy").contains("EnergyGradient energy_grad(double x)"));
        // 0.5 k (x - r)^2: d/dk = (x - r)^2 / 2, d/dr = -k (x - r), d/dx = k (x - r)
        cells.run("var g = energy_grad(2);");
        assertArrayEquals(new double[] {3.375, 1.125, -4.5, 4.5}, cells.numbers("g.value(), g.dspring().k,"
                + " g.dspring().rest, g.dx()"), 0.0);
        cells.run("spring = new Spring(1, 0);"); // read at each call, like the notebook variables compiled code reads
        cells.run("var g2 = energy_grad(2);");
        assertArrayEquals(new double[] {2, 2, -2, 2}, cells.numbers("g2.value(), g2.dspring().k, g2.dspring().rest,"
                + " g2.dx()"), 0.0);
        assertTrue(cells.text("%autodiff forward spring.energy").contains("EnergyTangent energy_fwd(Spring tspring,"
                + " double x, double tx)"));
        assertArrayEquals(new double[] {2, 2}, cells.numbers("energy_fwd(new Spring(1, 0), 2, 0).value(),"
                + " energy_fwd(new Spring(1, 0), 2, 0).dvalue()"), 0.0);
        cells.run("%autodiff reverse spring.energy spring.rest=Const --name fixed");
        assertArrayEquals(new double[] {2, 0, 2}, cells.numbers("fixed_grad(2).dspring().k, fixed_grad(2).dspring().rest,"
                + " fixed_grad(2).dx()"), 0.0);
        assertTrue(cells.refusal("%autodiff reverse spring.energy --checkpoint").contains(
                "--checkpoint does not take an instance method (spring.energy)"));
        assertTrue(cells.refusal("%autodiff reverse nothing.energy").contains("but nothing is no variable of the notebook"));
    }

    @Test
    void anInstanceMethodWritingItsArrayFieldsLeavesTheWritesInTheObjectOnExceptionsToo() throws Exception {
        cells.run("var tape = new Tape(new double[3]);");
        cells.text("%autodiff reverse tape.push");
        // x, x², x³ written into the field's own array; d(x³)/dx = 3x²
        assertArrayEquals(new double[] {8, 12}, cells.numbers("push_grad(2).value(), push_grad(2).dx()"), 0.0);
        assertArrayEquals(new double[] {2, 4, 8}, cells.numbers("tape.v[0], tape.v[1], tape.v[2]"), 0.0);
        assertTrue(cells.refusal("push_grad(-1.5);").contains("negative x"));
        assertArrayEquals(new double[] {-1.5, 4, 8}, cells.numbers("tape.v[0], tape.v[1], tape.v[2]"), 0.0);
    }

    @Test
    void anInstanceMethodCompilesInJitHvpWidthAndJacobianWithTheObjectReadAtEachCall() throws Exception {
        cells.run("var coil = new Spring(3, 0.5);");
        assertTrue(cells.text("%jit coil.energy --name coilj").contains("double coilj_native(double x)"));
        java.util.Random random = new java.util.Random(8);
        for (int i = 0; i < 5; i++) { // native equals the JVM's own method, bit for bit, on the object as it is now
            double k = 0.5 + random.nextDouble(), r = random.nextGaussian(), x = random.nextGaussian();
            cells.run("coil = new Spring(%s, %s);".formatted(k, r));
            assertArrayEquals(cells.numbers("coil.energy(%s)".formatted(x)), cells.numbers("coilj_native(%s)"
                    .formatted(x)), 0.0);
        }
        // 0.5 k (x - r)^2 over (k, r, x): H = [[0, -d, d], [-d, k, -k], [d, -k, k]] with d = x - r
        assertTrue(cells.text("%autodiff hvp coil.energy --name coilh").contains(
                "CoilhHvp coilh_hvp(Spring vcoil, double x, double vx)"));
        cells.run("coil = new Spring(2, 0.5);");
        cells.run("var hv = coilh_hvp(new Spring(0.3, -0.7), 2, 1.1);");
        double d = 1.5, vk = 0.3, vr = -0.7, vx = 1.1;
        assertArrayEquals(new double[] {-d * vr + d * vx, -d * vk + 2 * vr - 2 * vx, d * vk - 2 * vr + 2 * vx},
                cells.numbers("hv.hvcoil().k, hv.hvcoil().rest, hv.hvx()"), 1e-14);
        // two lanes of forward mode: lane j along (tcoil[j], tx[j]); the gradient is (d²/2, -k d, k d) = (1.125, -3, 3)
        assertTrue(cells.text("%autodiff forward coil.energy --width 2 --name coilw").contains(
                "CoilwTangents coilw_fwd(Spring[] tcoil, double x, double[] tx)"));
        assertArrayEquals(new double[] {2.25, 1.125 * 1 + 3 * 0.5, 1.125 * 0.5 - 3 * 1 + 3 * 2}, cells.numbers(
                "coilw_fwd(new Spring[] {new Spring(1, 0), new Spring(0.5, 1)}, 2, new double[] {0.5, 2}).value(),"
                + " coilw_fwd(new Spring[] {new Spring(1, 0), new Spring(0.5, 1)}, 2, new double[] {0.5, 2}).dvalue()[0],"
                + " coilw_fwd(new Spring[] {new Spring(1, 0), new Spring(0.5, 1)}, 2, new double[] {0.5, 2}).dvalue()[1]"),
                1e-15);
        // a vector function of its argument, the receiver's fields constants of the Jacobian
        cells.run("var flow = new Flow(1.5, new double[] {2, -3});");
        assertTrue(cells.text("%autodiff jacobian flow.rhs").contains("double[][] rhs_jac(double[] y)"));
        for (int i = 0; i < 3; i++) {
            double a = random.nextGaussian(), w0 = random.nextGaussian(), w1 = random.nextGaussian(),
                    y0 = random.nextGaussian(), y1 = random.nextGaussian();
            cells.run("flow = new Flow(%s, new double[] {%s, %s});".formatted(a, w0, w1));
            double[][] jacobian = cells.matrix("rhs_jac(new double[] {%s, %s})".formatted(y0, y1));
            double[][] expected = {{a * y1, a * y0}, {0, w0 * Math.cos(y1)}, {w1, 0}};
            for (int row = 0; row < 3; row++) {
                assertArrayEquals(expected[row], jacobian[row], 1e-14);
            }
        }
        // J·t of the same method in forward mode, and the receiver's array field as the input when named
        cells.run("flow = new Flow(1.5, new double[] {2, -3});");
        cells.text("%autodiff forward flow.rhs flow=Const");
        assertArrayEquals(new double[] {1.5 * (2 * 0.5 + 1 * 0.25), 2 * Math.cos(2) * 0.25, -3 * 0.5},
                cells.numbers("rhs_jvp(new double[] {1, 2}, new double[] {0.5, 0.25}).dvalue()[0],"
                        + " rhs_jvp(new double[] {1, 2}, new double[] {0.5, 0.25}).dvalue()[1],"
                        + " rhs_jvp(new double[] {1, 2}, new double[] {0.5, 0.25}).dvalue()[2]"), 1e-14);
        cells.text("%autodiff jacobian flow.rhs --wrt flow.w --name byw");
        double[][] byW = cells.matrix("byw_jac(new double[] {1, 2})");
        assertArrayEquals(new double[] {0, 0}, byW[0], 0.0);
        assertArrayEquals(new double[] {Math.sin(2), 0}, byW[1], 1e-15);
        assertArrayEquals(new double[] {0, 1}, byW[2], 0.0);
    }

    @Test
    void aMethodReturningARecordOfDoublesReturnsItNativelyWithItsTangentAndTakesItsCotangent() throws Exception {
        assertTrue(cells.text("%jit seg").contains("Seg seg_native(double a, double b)"));
        assertTrue(cells.text("%autodiff forward seg").contains("SegJvp seg_jvp(double a, double ta, double b,"
                + " double tb)"));
        assertTrue(cells.text("%autodiff reverse seg").contains("SegVjp seg_vjp(double a, double b, Seg ybar)"));
        java.util.Random random = new java.util.Random(21);
        for (int i = 0; i < 6; i++) {
            double a = random.nextGaussian(), b = random.nextGaussian(), ta = random.nextGaussian(),
                    tb = random.nextGaussian(), u = random.nextGaussian(), v = random.nextGaussian(),
                    w = random.nextGaussian();
            // exactly rounded operations only: the native record equals the JVM's bit for bit
            assertArrayEquals(cells.numbers("seg(%s, %s).mid().x(), seg(%s, %s).mid().y(), seg(%s, %s).len()"
                    .formatted(a, b, a, b, a, b)), cells.numbers(("seg_native(%s, %s).mid().x(), seg_native(%s, %s)"
                    + ".mid().y(), seg_native(%s, %s).len()").formatted(a, b, a, b, a, b)), 0.0);
            double len = Math.sqrt(a * a + b * b);
            cells.run("var jvp = seg_jvp(%s, %s, %s, %s);".formatted(a, ta, b, tb));
            assertArrayEquals(new double[] {(a + b) / 2, a * b, len, (ta + tb) / 2, b * ta + a * tb,
                (a * ta + b * tb) / len}, cells.numbers("jvp.value().mid().x(), jvp.value().mid().y(), jvp.value()"
                    + ".len(), jvp.dvalue().mid().x(), jvp.dvalue().mid().y(), jvp.dvalue().len()"), 1e-14);
            // the cotangent record (u, v, w) of (mid.x, mid.y, len): ybar·J
            cells.run("var vjp = seg_vjp(%s, %s, new Seg(new Pt(%s, %s), %s));".formatted(a, b, u, v, w));
            assertArrayEquals(new double[] {u / 2 + v * b + w * a / len, u / 2 + v * a + w * b / len},
                    cells.numbers("vjp.da(), vjp.db()"), 1e-14);
        }
        // its doubles are the rows of a Jacobian: d(mid x, mid y)/dp of ((p0 + p1)/2, p0·p1·p2)
        assertTrue(cells.text("%autodiff jacobian centre").contains("double[][] centre_jac(double[] p)"));
        double[][] jacobian = cells.matrix("centre_jac(new double[] {2, -3, 0.5})");
        assertArrayEquals(new double[] {0.5, 0.5, 0}, jacobian[0], 0.0);
        assertArrayEquals(new double[] {-1.5, 1, -6}, jacobian[1], 0.0);
    }
}
