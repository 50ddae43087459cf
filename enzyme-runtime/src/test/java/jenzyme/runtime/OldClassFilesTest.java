package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.Optional;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.lower.ClassBytesSource;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Library code compiled for Java 5 (no StackMapTable: commons-math3 3.6.1, qa6 R8) with a value left on the operand
 * stack across a jump, javac's {@code ?:} inside an expression: the fixture is compiled by today's javac and then
 * rewritten as a version-49 class file without stack maps, which is what such a jar holds. Its gradients and
 * tangents must match the analytic ones, and its native primal the JVM's.
 */
class OldClassFilesTest {

    private static final String SOURCE = """
            package old;
            public class Old {
                // Erf.erf's shape: a double on the stack at the goto of the inner ?: and at its target
                static double saturated(double x) { return Math.abs(x) > 40 ? (x > 0 ? 1.0 : -1.0) : x * x * 0.5; }
                // the ?:'s value stays on the stack under the multiplication that follows the join
                static double weighted(double x, double y) { return (x > y ? x * x : -y) * Math.sin(y); }
            }
            """;

    private static CompiledClasses classes;
    private static ClassBytesSource java5;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("old.Old", SOURCE);
        byte[] modern = classes.bytesOf("old/Old").orElseThrow();
        // every body through a code builder: one copied as it is would keep its frames
        byte[] old = ClassFile.of(ClassFile.StackMapsOption.DROP_STACK_MAPS).transformClass(
                ClassFile.of().parse(modern), ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                        .andThen((builder, element) -> {
                            if (element instanceof ClassFileVersion) {
                                builder.withVersion(ClassFile.JAVA_5_VERSION, 0);
                            } else {
                                builder.with(element);
                            }
                        }));
        ClassModel model = ClassFile.of().parse(old);
        assertEquals(ClassFile.JAVA_5_VERSION, model.majorVersion());
        assertFalse(model.methods().stream().anyMatch(m -> m.code().orElseThrow()
                .findAttribute(Attributes.stackMapTable()).isPresent()), "the fixture must have no stack maps");
        java5 = name -> name.equals("old/Old") ? Optional.of(old.clone()) : classes.bytesOf(name);
    }

    private static Derivative derive(String name, String descriptor, Mode mode) {
        return pipeline.differentiate(new JavaMethod(java5, "old/Old", name, descriptor), mode, Map.of(),
                DifferentiationOptions.DEFAULT);
    }

    @Test
    void aValueOnTheStackAcrossAJumpDifferentiatesInBothModes() throws Throwable {
        try (Derivative reverse = derive("saturated", "(D)D", Mode.REVERSE);
             Derivative forward = derive("saturated", "(D)D", Mode.FORWARD)) {
            for (double x : new double[] {-50, -3.5, 0.25, 7, 41, 1e3}) {
                double expectedValue = Math.abs(x) > 40 ? Math.signum(x) : 0.5 * x * x;
                double expectedSlope = Math.abs(x) > 40 ? 0 : x;
                double[] out = new double[2];
                reverse.handle().invokeExact(x, out);
                assertEquals(expectedValue, out[0], 0.0, "value at " + x);
                assertEquals(expectedSlope, out[1], 1e-15, "d/dx at " + x);
                double[] tangent = new double[2];
                forward.handle().invokeExact(x, 1.0, tangent);
                assertEquals(expectedSlope, tangent[1], 1e-15, "tangent at " + x);
            }
        }
    }

    @Test
    void aConditionalOperandUnderAProductMatchesTheJvmAndTheAnalyticGradient() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("old.Old", "weighted");
        try (Derivative reverse = derive("weighted", "(DD)D", Mode.REVERSE)) {
            double[][] points = {{2, 1}, {-1, 0.5}, {0.3, 0.3}, {1.5, -2}, {-4, -3}};
            for (double[] p : points) {
                double x = p[0];
                double y = p[1];
                double[] out = new double[3];
                reverse.handle().invokeExact(x, y, out);
                assertEquals((double) jvm.invokeExact(x, y), out[0], 0.0, "value at " + x + ", " + y);
                double dx = x > y ? 2 * x * Math.sin(y) : 0;
                double dy = x > y ? x * x * Math.cos(y) : -Math.sin(y) - y * Math.cos(y);
                assertEquals(dx, out[1], 1e-14, "d/dx at " + x + ", " + y);
                assertEquals(dy, out[2], 1e-14, "d/dy at " + x + ", " + y);
            }
        }
    }
}
