package jenzyme.runtime.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.lang.annotation.Annotation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.NativeMethod;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Differential testing of the whole non-AD pipeline: every static method of {@code corpus/Corpus.java} runs on the
 * JVM and JIT-compiled on every combination of edge values (when there are at most 5000) and 3000 (default) seeded
 * random inputs; results, exceptions (class and message) and the
 * arrays afterwards must agree bit for bit, or within the method's {@code @Ulps} bound (libm vs the JVM's own
 * transcendental functions). The largest distance measured per bounded method is printed at the end.
 */
class DifferentialCorpusTest {

    /** Inputs per method; raise it with -Djenzyme.corpus.trials=200000 to measure ulp bounds more thoroughly. */
    private static final int TRIALS = Integer.getInteger("jenzyme.corpus.trials", 3000);
    private static final String OWNER = "corpus/Corpus";

    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();
    private static CompiledClasses corpus;
    private static final Map<String, Long> measuredUlps = new ConcurrentHashMap<>();
    private static final java.util.concurrent.atomic.AtomicLong comparedCalls = new java.util.concurrent.atomic.AtomicLong();

    @BeforeAll
    static void compileCorpus() throws IOException {
        try (InputStream in = DifferentialCorpusTest.class.getResourceAsStream("/corpus/Corpus.java")) {
            corpus = InMemoryJavac.compile("corpus.Corpus", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @AfterAll
    static void report() {
        System.out.println("Compared " + comparedCalls + " calls; measured max ulp distance native vs JVM ("
                + TRIALS + " random inputs each): " + new TreeMap<>(measuredUlps));
    }

    @TestFactory
    Stream<DynamicTest> everyCorpusMethodMatchesTheJvm() {
        List<Method> methods = corpus.staticMethods("corpus.Corpus");
        assertTrue(methods.size() >= 40, "expected a corpus of at least 40 methods, got " + methods.size());
        return methods.stream().map(m -> DynamicTest.dynamicTest(m.getName(), () -> checkAgainstJvm(m)));
    }

    private static void checkAgainstJvm(Method method) {
        // Fixed arity: a varargs method takes its array as one argument, like the native handle.
        MethodHandle jvm = corpus.jvmHandle("corpus.Corpus", method.getName()).asFixedArity();
        String descriptor = MethodType.methodType(method.getReturnType(), method.getParameterTypes())
                .toMethodDescriptorString();
        NativeMethod compiled = pipeline.jit(new JavaMethod(corpus, OWNER, method.getName(), descriptor));
        MethodHandle nativeHandle = compiled.handle();
        assertEquals(jvm.type(), nativeHandle.type(), "bound handle must have the Java method's type");
        assertEquals(jvm.type(), compiled.copyingHandle().type(), "copying handle must have the Java method's type");
        long bound = ulpBound(method);
        long worst = 0;
        String worstContext = "";
        RandomInputs inputs = new RandomInputs(method.getName().hashCode());
        List<Object[]> edgeCases = RandomInputs.edgeCombinations(method.getParameters(), 5000);
        for (int trial = 0; trial < edgeCases.size() + TRIALS; trial++) {
            Object[] args = trial < edgeCases.size() ? edgeCases.get(trial) : inputs.argumentsFor(method.getParameters());
            Outcome expected = Outcome.of(jvm, args);
            // Every tenth input also goes through the copying (non-critical) binding, which must behave the same.
            Outcome actual = Outcome.of(trial % 10 == 9 ? compiled.copyingHandle() : nativeHandle, args);
            String context = method.getName() + argsText(args);
            comparedCalls.incrementAndGet();
            if (expected.thrown() != null || actual.thrown() != null) {
                sameException(expected, actual, context);
            } else {
                // Bounded methods are measured over all inputs first, so the report shows the true maximum.
                long ulps = distance(expected.result(), actual.result(), bound == 0 ? 0 : UlpDistance.INFINITE - 1, context);
                if (ulps > worst) {
                    worst = ulps;
                    worstContext = context + ": JVM " + expected.result() + ", native " + actual.result();
                }
            }
            for (int i = 0; i < args.length; i++) {
                distance(expected.argumentsAfter()[i], actual.argumentsAfter()[i], 0, context + " argument " + i);
            }
        }
        if (bound > 0) {
            measuredUlps.put(method.getName(), worst);
            assertTrue(worst <= bound, "expected at most " + bound + " ulps, measured " + worst + " at " + worstContext);
        }
    }

    /**
     * Same exception class, and the same message unless the JVM's is null: C2 replaces frequently thrown implicit
     * exceptions by preallocated ones without message ("OmitStackTraceInFastThrow").
     */
    private static void sameException(Outcome expected, Outcome actual, String context) {
        if (expected.thrown() == null || actual.thrown() == null
                || expected.thrown().getClass() != actual.thrown().getClass()
                || (expected.thrown().getMessage() != null
                    && !expected.thrown().getMessage().equals(actual.thrown().getMessage()))) {
            fail(context + ": JVM " + expected.describe() + ", native " + actual.describe());
        }
    }

    /** Ulps between two results of the same type (0 for equal non-floating values); fails beyond {@code bound}. */
    private static long distance(Object expected, Object actual, long bound, String context) {
        if (expected != null && expected.getClass().isArray()) {
            int length = Array.getLength(expected);
            assertEquals(length, Array.getLength(actual), context);
            long worst = 0;
            for (int i = 0; i < length; i++) {
                worst = Math.max(worst, distance(Array.get(expected, i), Array.get(actual, i), bound, context + "[" + i + "]"));
            }
            return worst;
        }
        long ulps;
        if (expected instanceof Double d) {
            ulps = UlpDistance.between(d, (Double) actual);
        } else if (expected instanceof Float f) {
            ulps = UlpDistance.between(f, (Float) actual);
        } else {
            ulps = java.util.Objects.equals(expected, actual) ? 0 : UlpDistance.INFINITE;
        }
        if (ulps > bound) {
            fail(context + ": JVM " + expected + ", native " + actual
                    + (ulps == UlpDistance.INFINITE ? "" : " (" + ulps + " ulps, bound " + bound + ")"));
        }
        return ulps;
    }

    private static long ulpBound(Method method) {
        for (Annotation annotation : method.getAnnotations()) {
            if (annotation.annotationType().getSimpleName().equals("Ulps")) {
                try {
                    return ((Number) annotation.annotationType().getMethod("value").invoke(annotation)).longValue();
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return 0;
    }

    private static String argsText(Object[] args) {
        StringBuilder text = new StringBuilder("(");
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            text.append(i == 0 ? "" : ", ");
            if (a != null && a.getClass().isArray()) {
                text.append(switch (a) {
                    case double[] d -> java.util.Arrays.toString(d);
                    case float[] f -> java.util.Arrays.toString(f);
                    case int[] n -> java.util.Arrays.toString(n);
                    case long[] l -> java.util.Arrays.toString(l);
                    default -> a.toString();
                });
            } else {
                text.append(a);
            }
        }
        return text.append(')').toString();
    }
}
