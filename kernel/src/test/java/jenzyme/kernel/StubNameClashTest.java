package jenzyme.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.DoubleStream;
import jenzyme.runtime.testing.CentralDifferences;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Parameters named like what the stubs themselves refer to: the receiver's variable of {@code %autodiff reverse
 * model.loss}, which the stubs read by its name. Each binding against central differences of the JVM's method.
 */
class StubNameClashTest {

    @RegisterExtension
    static final NotebookCells cells = new NotebookCells("""
            final class Model {
                final double k;
                Model(double k) { this.k = k; }
                double loss(double[] model, double c) { return k * model[0] * model[0] * c + Math.sin(k * model[1] * c); }
            }
            """, "Model model = new Model(1.5);");

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

    private static double jvm(String template, double[] x) throws Exception {
        return cells.numbers(template.formatted(DoubleStream.of(x).boxed().toArray()))[0];
    }
}
