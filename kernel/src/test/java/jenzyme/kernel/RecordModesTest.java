package jenzyme.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jenzyme.magics.binding.CompilerSession;
import jenzyme.magics.binding.VectorFunctions;
import jenzyme.magics.UserMethod;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Record and object parameters in the modes beyond reverse/forward: {@code %gradcheck}/{@code %plot} sample a
 * record's doubles as coordinates, {@code %autodiff hvp} returns H·v as a record of the parameter's type.
 */
class RecordModesTest {

    private static JEnzymeKernel kernel;
    private static NotebookCells cells;
    private static CompilerSession compiler;

    @BeforeAll
    static void start() throws Exception {
        kernel = JEnzymeKernel.start();
        cells = new NotebookCells(kernel);
        compiler = new CompilerSession(kernel.session());
        kernel.session().define("""
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
                """);
    }

    @AfterAll
    static void stop() {
        kernel.onShutdown(false);
    }

    private static VectorFunctions sampled(String name) {
        UserMethod method = compiler.method(name);
        return VectorFunctions.of(compiler.jvmHandle(method), compiler.defaultGradient(method));
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
        kernel.runCell("%plot bowl --at 1,0.5,2 --coord 1 --x -1:1"); // raises if refused
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
            kernel.runCell("var h = mix_hvp(new Params(%s, %s), new Params(%s, %s), new double[] {%s, %s},"
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
        kernel.runCell("var hs = pulled_hvp(new Spring(2, 0), new Spring(1, 1));");
        assertArrayEquals(new double[] {4, 5}, cells.numbers("hs.k, hs.rest"), 0.0);
    }

    @Test
    void anInstanceMethodOfANotebookVariableIsCompiledWithTheObjectReadAtEachCall() throws Exception {
        kernel.runCell("var spring = new Spring(3, 0.5);");
        assertTrue(cells.text("%autodiff reverse spring.energy").contains("EnergyGradient energy_grad(double x)"));
        // 0.5 k (x - r)^2: d/dk = (x - r)^2 / 2, d/dr = -k (x - r), d/dx = k (x - r)
        kernel.runCell("var g = energy_grad(2);");
        assertArrayEquals(new double[] {3.375, 1.125, -4.5, 4.5}, cells.numbers("g.value(), g.dspring().k,"
                + " g.dspring().rest, g.dx()"), 0.0);
        kernel.runCell("spring = new Spring(1, 0);"); // read at each call, like the notebook variables compiled code reads
        kernel.runCell("var g2 = energy_grad(2);");
        assertArrayEquals(new double[] {2, 2, -2, 2}, cells.numbers("g2.value(), g2.dspring().k, g2.dspring().rest,"
                + " g2.dx()"), 0.0);
        assertTrue(cells.text("%autodiff forward spring.energy").contains("EnergyTangent energy_fwd(Spring tspring,"
                + " double x, double tx)"));
        assertArrayEquals(new double[] {2, 2}, cells.numbers("energy_fwd(new Spring(1, 0), 2, 0).value(),"
                + " energy_fwd(new Spring(1, 0), 2, 0).dvalue()"), 0.0);
        kernel.runCell("%autodiff reverse spring.energy spring.rest=Const --name fixed");
        assertArrayEquals(new double[] {2, 0, 2}, cells.numbers("fixed_grad(2).dspring().k, fixed_grad(2).dspring().rest,"
                + " fixed_grad(2).dx()"), 0.0);
        assertTrue(cells.refusal("%autodiff hvp spring.energy").contains(
                "an instance method (spring.energy) compiles in %autodiff reverse and forward"));
        assertTrue(cells.refusal("%autodiff reverse nothing.energy").contains("but nothing is no variable of the notebook"));
    }

    @Test
    void anInstanceMethodWritingItsArrayFieldsLeavesTheWritesInTheObjectOnExceptionsToo() throws Exception {
        kernel.runCell("var tape = new Tape(new double[3]);");
        cells.text("%autodiff reverse tape.push");
        // x, x², x³ written into the field's own array; d(x³)/dx = 3x²
        assertArrayEquals(new double[] {8, 12}, cells.numbers("push_grad(2).value(), push_grad(2).dx()"), 0.0);
        assertArrayEquals(new double[] {2, 4, 8}, cells.numbers("tape.v[0], tape.v[1], tape.v[2]"), 0.0);
        assertTrue(cells.refusal("push_grad(-1.5);").contains("negative x"));
        assertArrayEquals(new double[] {-1.5, 4, 8}, cells.numbers("tape.v[0], tape.v[1], tape.v[2]"), 0.0);
    }
}
