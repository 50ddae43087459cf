package jenzyme.magics.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToDoubleFunction;
import jenzyme.magics.UserMethod;
import jenzyme.runtime.lower.ClassBytesSource;
import org.junit.jupiter.api.Test;

/**
 * Stubs get the type arguments the user wrote back (QA R5: a raw ToDoubleFunction made v -> v[0] not compile), read
 * from the compiled method's Signature attribute.
 */
class GenericParametersTest {

    /** Methods compiled by javac like a cell's, their Signature attributes read back from the class file. */
    static final class Methods {
        static double pen(ToDoubleFunction<double[]> f, double[] x, final Map<String, List<? extends Number>> m,
                          int n, Map.Entry<String, double[][]> e, List<?> any) {
            return f.applyAsDouble(x);
        }

        static <T> double typeVariable(ToDoubleFunction<T> f, T x) {
            return f.applyAsDouble(x);
        }

        static double sq(double x) {
            return x * x;
        }
    }

    private static final String OWNER = "jenzyme/magics/binding/GenericParametersTest$Methods";
    private static final ClassBytesSource CLASSES = name -> {
        try (InputStream in = GenericParametersTest.class.getResourceAsStream("/" + name + ".class")) {
            return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    };

    private static Map<String, String> generic(String name, String descriptor, List<String> parameters) {
        return GenericParameters.genericTypes(CLASSES, new UserMethod(OWNER, name, descriptor, ""), parameters);
    }

    @Test
    void typesWithArgumentsAreWrittenAsSource() {
        assertEquals(Map.of("f", "java.util.function.ToDoubleFunction<double[]>",
                        "m", "java.util.Map<String, java.util.List<? extends Number>>",
                        "e", "java.util.Map.Entry<String, double[][]>", "any", "java.util.List<?>"),
                generic("pen", "(Ljava/util/function/ToDoubleFunction;[DLjava/util/Map;ILjava/util/Map$Entry;"
                        + "Ljava/util/List;)D", List.of("f", "x", "m", "n", "e", "any")));
    }

    @Test
    void methodsWithoutGenericParametersAndTypeVariablesStayRaw() {
        assertEquals(Map.of(), generic("sq", "(D)D", List.of("x")));
        assertEquals(Map.of(), generic("typeVariable", "(Ljava/util/function/ToDoubleFunction;Ljava/lang/Object;)D",
                List.of("f", "x")));
    }

    @Test
    void rawParameterTypesInSourceAndSignaturesGetTheirArguments() {
        BindingStubs.Stubs raw = new BindingStubs.Stubs(
                "double pen_grad_into(java.util.function.ToDoubleFunction f, double[] x, double[] dx) {}\n",
                List.of("PenGradient pen_grad(ToDoubleFunction f, double[] x)"));
        BindingStubs.Stubs typed = GenericParameters.restore(raw,
                Map.of("f", "java.util.function.ToDoubleFunction<double[]>"));
        assertEquals("double pen_grad_into(java.util.function.ToDoubleFunction<double[]> f, double[] x,"
                + " double[] dx) {}\n", typed.source());
        assertEquals(List.of("PenGradient pen_grad(ToDoubleFunction<double[]> f, double[] x)"), typed.signatures());
    }
}
