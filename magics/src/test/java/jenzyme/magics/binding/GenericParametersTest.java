package jenzyme.magics.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Stubs get the type arguments the user wrote back (QA R5: a raw ToDoubleFunction made v -> v[0] not compile). */
class GenericParametersTest {

    @Test
    void writtenTypesOfGenericParametersOnly() {
        assertEquals(Map.of("f", "ToDoubleFunction<double[]>", "m", "Map<String, List<Double>>"),
                GenericParameters.writtenGenericTypes("double pen(ToDoubleFunction<double[]> f, double[] x,"
                        + " final Map<String, List<Double>> m, int n) { return f.applyAsDouble(x); }", "pen"));
        assertEquals(Map.of(), GenericParameters.writtenGenericTypes("double sq(double x) { return x * x; }", "sq"));
    }

    @Test
    void rawParameterTypesInSourceAndSignaturesGetTheirArguments() {
        BindingStubs.Stubs raw = new BindingStubs.Stubs(
                "double pen_grad_into(java.util.function.ToDoubleFunction f, double[] x, double[] dx) {}\n",
                List.of("PenGradient pen_grad(java.util.function.ToDoubleFunction f, double[] x)"));
        BindingStubs.Stubs typed = GenericParameters.restore(raw,
                "double pen(ToDoubleFunction<double[]> f, double[] x) { return f.applyAsDouble(x); }", "pen");
        assertEquals("double pen_grad_into(java.util.function.ToDoubleFunction<double[]> f, double[] x,"
                + " double[] dx) {}\n", typed.source());
        assertEquals(List.of("PenGradient pen_grad(java.util.function.ToDoubleFunction<double[]> f, double[] x)"),
                typed.signatures());
    }
}
