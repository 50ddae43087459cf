package jenzyme.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.DoubleStream;
import java.util.stream.Stream;
import jenzyme.runtime.testing.CentralDifferences;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Parameters named like what the stubs themselves refer to: the receiver's variable of {@code %autodiff reverse
 * model.loss}, which the stubs read by its name, and the stubs' own locals ({@code out$}, {@code value$}, ...: {@code $}
 * is legal in a Java name). Each binding against central differences of the JVM's method.
 */
class StubNameClashTest {

    @RegisterExtension
    static final NotebookCells cells = new NotebookCells("""
            final class Model {
                final double k;
                Model(double k) { this.k = k; }
                double loss(double[] model, double c) { return k * model[0] * model[0] * c + Math.sin(k * model[1] * c); }
            }
            double dollars(double[] out$, double[] Active$, double[][] m, double value$, double e$, double t$, double i$) {
                return out$[0] * out$[1] * value$ + Math.sin(Active$[0]) * e$ + m[0][1] * m[1][0] * t$ + Math.exp(i$ * out$[1]);
            }
            double[] field(double[] x, double m$, double arguments$, double out$) {
                return new double[] {x[0] * x[1] * m$ + arguments$, Math.sin(x[0]) * out$ + m$ * m$ * x[1]};
            }
            double cubes(double[] x, double[] hv$x) { return x[0] * x[0] * x[0] * hv$x[0] + x[0] * x[1] * x[1]; }
            """, "Model model = new Model(1.5);");

    /** dollars(...) with its 11 numbers as %s: out$ (2), Active$ (1), m (2 x 2), value$, e$, t$, i$. */
    private static final String DOLLARS = "new double[] {%s, %s}, new double[] {%s}, new double[][] {{%s, %s}, {%s, %s}},"
            + " %s, %s, %s, %s";

    /**
     * A parameter named like the receiver's variable hid it in the stubs, which then read {@code model.k} of the
     * {@code double[]} and did not compile: the parameter is {@code model_} in the bindings.
     */
    @Test
    void aParameterNamedLikeTheReceiverVariableIsRenamedInTheBindings() throws Throwable {
        String bound = cells.text("%autodiff reverse model.loss model.k=Const");
        assertTrue(bound.contains("loss_grad_into(double[] model_, double[] dmodel_, double c, double[] dActive)"),
                bound);
        double[] x = {0.7, -0.4, 1.3};
        String point = "new double[] {%s, %s}, %s";
        double[] differences = CentralDifferences.gradient(at -> jvm("model.loss(" + point + ")", at), x);
        double tolerance = 1e-6 * (1 + DoubleStream.of(differences).map(Math::abs).max().orElse(0));
        Object[] at = DoubleStream.of(x).boxed().toArray();
        cells.run("var clashGradient = loss_grad(" + point.formatted(at) + ");");
        assertArrayEquals(new double[] {jvm("model.loss(" + point + ")", x), differences[0], differences[1],
                differences[2]}, cells.numbers("clashGradient.value(), clashGradient.dmodel_()[0],"
                + " clashGradient.dmodel_()[1], clashGradient.dc()"), tolerance, "loss_grad");
    }

    /**
     * A method whose parameters are named like the stubs' locals out$, value$, dActive$ (the shadow of Active$),
     * the catch parameters e$ and t$ and a loop counter i$ (a double[][]'s rows): its stubs declared those names twice
     * and did not compile. _grad, _grad_set (over garbage) and _fwd against central differences.
     */
    @Test
    void parametersNamedLikeTheStubsLocals() throws Throwable {
        cells.text("%autodiff reverse dollars");
        cells.text("%autodiff forward dollars");
        double[] x = {0.7, -0.4, 0.3, 1.2, -0.8, 0.5, 0.9, 1.1, -0.6, 0.45, 0.25};
        double[] differences = CentralDifferences.gradient(at -> jvm("dollars(" + DOLLARS + ")", at), x);
        double tolerance = 1e-6 * (1 + DoubleStream.of(differences).map(Math::abs).max().orElse(0));
        Object[] at = DoubleStream.of(x).boxed().toArray();
        double value = jvm("dollars(" + DOLLARS + ")", x);
        double[] expected = DoubleStream.concat(DoubleStream.of(value), DoubleStream.of(differences)).toArray();

        cells.run("var dollarsGradient = dollars_grad(" + DOLLARS.formatted(at) + ");");
        assertArrayEquals(expected, cells.numbers("dollarsGradient.value(), dollarsGradient.dout$()[0],"
                + " dollarsGradient.dout$()[1], dollarsGradient.dActive$()[0], dollarsGradient.dm()[0][0],"
                + " dollarsGradient.dm()[0][1], dollarsGradient.dm()[1][0], dollarsGradient.dm()[1][1],"
                + " dollarsGradient.dvalue$(), dollarsGradient.de$(), dollarsGradient.dt$(), dollarsGradient.di$()"),
                tolerance, "dollars_grad");

        cells.run(("double[] setOut = {Double.NaN, 1e300}, setActive = {-7}; double[][] setM = {{Double.NaN, 2},"
                + " {3, 1e300}}; double[] setPartials = new double[4]; double setValue = dollars_grad_set(new double[]"
                + " {%s, %s}, setOut, new double[] {%s}, setActive, new double[][] {{%s, %s}, {%s, %s}}, setM, %s, %s,"
                + " %s, %s, setPartials);").formatted(at));
        assertArrayEquals(expected, cells.numbers("setValue, setOut[0], setOut[1], setActive[0], setM[0][0],"
                + " setM[0][1], setM[1][0], setM[1][1], setPartials[0], setPartials[1], setPartials[2],"
                + " setPartials[3]"), tolerance, "dollars_grad_set");

        double[] v = {1, -0.5, 0.25, 2, 0.5, -1, 0.75, 1.5, -0.25, 0.6, -1.2};
        double directional = 0;
        for (int i = 0; i < 11; i++) {
            directional += differences[i] * v[i];
        }
        cells.run(("var dollarsTangent = dollars_fwd(new double[] {%s, %s}, new double[] {%s, %s}, new double[] {%s},"
                + " new double[] {%s}, new double[][] {{%s, %s}, {%s, %s}}, new double[][] {{%s, %s}, {%s, %s}}, %s, %s,"
                + " %s, %s, %s, %s, %s, %s);").formatted(x[0], x[1], v[0], v[1], x[2], v[2], x[3], x[4], x[5], x[6],
                v[3], v[4], v[5], v[6], x[7], v[7], x[8], v[8], x[9], v[9], x[10], v[10]));
        assertArrayEquals(new double[] {value, directional},
                cells.numbers("dollarsTangent.value(), dollarsTangent.dvalue()"), tolerance, "dollars_fwd");
    }

    /**
     * A vector function whose parameters are named like _jvp's m$, _jac_into's arguments$ and _jvp_into's out$
     * (_jvp, _jac and _vjp against central differences), and an hvp whose Const parameter is named like the local
     * hv$x receiving H·v along x (against the analytic Hessian).
     */
    @Test
    void vectorFunctionsAndHvpWithParametersNamedLikeTheStubsLocals() throws Throwable {
        cells.text("%autodiff forward field");
        cells.text("%autodiff jacobian field");
        cells.text("%autodiff reverse field");
        double[] z = {0.4, -1.1, 0.6, 1.3, 0.8}, v = {1, -0.5, 0.25, 2, -1.5}, u = {0.7, -1.5};
        double[][] rows = new double[2][];
        for (int i = 0; i < 2; i++) {
            String row = "field(new double[] {%s, %s}, %s, %s, %s)[" + i + "]";
            rows[i] = CentralDifferences.gradient(p -> jvm(row, p), z);
        }
        double tolerance = 1e-6 * (1 + Stream.of(rows).flatMapToDouble(DoubleStream::of).map(Math::abs).max()
                .orElse(0));
        double[][] jacobian = cells.matrix("field_jac(new double[] {%s, %s}, %s, %s, %s)".formatted(
                DoubleStream.of(z).boxed().toArray()));
        assertArrayEquals(new double[] {rows[0][0], rows[0][1], rows[1][0], rows[1][1]}, new double[] {
                jacobian[0][0], jacobian[0][1], jacobian[1][0], jacobian[1][1]}, tolerance, "field_jac");

        cells.run("var fieldJvp = field_jvp(new double[] {%s, %s}, new double[] {%s, %s}, %s, %s, %s, %s, %s, %s);"
                .formatted(z[0], z[1], v[0], v[1], z[2], v[2], z[3], v[3], z[4], v[4]));
        assertArrayEquals(new double[] {dot(rows[0], v), dot(rows[1], v)},
                cells.numbers("fieldJvp.dvalue()[0], fieldJvp.dvalue()[1]"), tolerance, "field_jvp");

        cells.run("var fieldVjp = field_vjp(new double[] {%s, %s}, %s, %s, %s, new double[] {%s, %s});".formatted(
                z[0], z[1], z[2], z[3], z[4], u[0], u[1]));
        double[] vjp = new double[5];
        for (int j = 0; j < 5; j++) {
            vjp[j] = u[0] * rows[0][j] + u[1] * rows[1][j];
        }
        assertArrayEquals(vjp, cells.numbers("fieldVjp.dx()[0], fieldVjp.dx()[1], fieldVjp.dm$(),"
                + " fieldVjp.darguments$(), fieldVjp.dout$()"), tolerance, "field_vjp");

        // H of x0^3 c + x0 x1^2 along x: [[6 c x0, 2 x1], [2 x1, 2 x0]]
        cells.text("%autodiff hvp cubes hv$x=Const");
        double x0 = 0.5, x1 = -2, c = 1.5;
        assertArrayEquals(new double[] {6 * c * x0 * 1 + 2 * x1 * 3, 2 * x1 * 1 + 2 * x0 * 3}, cells.numbers(
                ("cubes_hvp(new double[] {%s, %s}, new double[] {1, 3}, new double[] {%s})[0], cubes_hvp(new double[]"
                + " {%s, %s}, new double[] {1, 3}, new double[] {%s})[1]").formatted(x0, x1, c, x0, x1, c)), 1e-12);
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double jvm(String template, double[] x) throws Exception {
        return cells.numbers(template.formatted(DoubleStream.of(x).boxed().toArray()))[0];
    }
}
