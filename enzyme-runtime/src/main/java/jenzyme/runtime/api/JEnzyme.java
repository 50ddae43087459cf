package jenzyme.runtime.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import jenzyme.runtime.Jacobian;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.JacobianOptions;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.ClassBytesSource;
import jenzyme.runtime.worker.WorkerClient;

/**
 * JEnzyme for plain Java programs: differentiates a static method of one of the program's own classes with Enzyme
 * and binds the native derivative, through the same {@link Pipeline} the notebook magics use.
 *
 * <pre>{@code
 * try (JEnzyme ad = JEnzyme.create()) {
 *     Gradient g = ad.reverse(MyModel.class, "loss", "t", "y");   // t and y are data: no gradient
 *     double[] dp = new double[p.length];
 *     double loss = g.valueAndGradient(p, dp, t, y);
 * }
 * }</pre>
 *
 * <p>The method must be the only static method of that name in its class and stay within the compiled subset
 * (double/float/int/long/boolean locals and parameters, primitive arrays, arithmetic, branches, loops, {@code Math.*},
 * calls to other such static methods). Its class file, and those of the methods it calls, are read from the class's
 * {@link ClassLoader} as resources ({@code pkg/Name.class}), so compile with debug information (Maven's default) to
 * name parameters.
 *
 * <p>Differentiating needs the Enzyme worker executable ({@code jenzyme-worker}), found at the path in the system
 * property {@value #WORKER_PROPERTY}, else in the environment variable {@value WorkerClient#EXECUTABLE_ENV}; the JVM
 * needs {@code --enable-native-access=ALL-UNNAMED} for the native code. Closing this frees every derivative it made;
 * their methods then raise instead of calling.
 */
public final class JEnzyme implements AutoCloseable {

    /** The system property naming the worker executable; it wins over {@code JENZYME_WORKER}. */
    public static final String WORKER_PROPERTY = "jenzyme.worker";

    private final Pipeline pipeline;

    private JEnzyme(Pipeline pipeline) {
        this.pipeline = pipeline;
    }

    /**
     * A JEnzyme whose worker is the executable {@value #WORKER_PROPERTY} or {@code JENZYME_WORKER} names.
     *
     * @throws IllegalStateException if neither is set, or the path is not an executable file (the message says how
     *                               to build and point to the worker)
     */
    public static JEnzyme create() {
        return create(locateWorker(System.getProperty(WORKER_PROPERTY), System.getenv(WorkerClient.EXECUTABLE_ENV)));
    }

    /** A JEnzyme whose worker is {@code worker}, a {@code jenzyme-worker} executable. */
    public static JEnzyme create(Path worker) {
        Path executable = checkExecutable(Objects.requireNonNull(worker, "worker"), "the path given");
        return new JEnzyme(Pipeline.create(() -> new WorkerClient(executable, WorkerClient.DEFAULT_TIMEOUT)));
    }

    /**
     * Reverse mode: the gradient of {@code owner.method} with respect to its {@code double} and floating-array
     * parameters, except the {@code constants} (parameter names, e.g. data arrays), which get no gradient.
     *
     * @throws jenzyme.runtime.error.LoweringException if there is no such static method, several, or it is outside
     *                                                 the compiled subset (the message names the construct and line)
     * @throws RuntimeException                        the pipeline's errors when Enzyme, LLVM or the worker fail
     */
    public Gradient reverse(Class<?> owner, String method, String... constants) {
        JavaMethod javaMethod = methodOf(owner, method);
        return new Gradient(javaMethod.toString(), pipeline.reverse(javaMethod, constantsOf(constants),
                DifferentiationOptions.DEFAULT));
    }

    /**
     * Forward mode: the directional derivative of {@code owner.method}, the {@code constants} (parameter names)
     * held fixed.
     *
     * @throws jenzyme.runtime.error.LoweringException as for {@link #reverse}
     */
    public Tangent forward(Class<?> owner, String method, String... constants) {
        JavaMethod javaMethod = methodOf(owner, method);
        return new Tangent(javaMethod.toString(), pipeline.forward(javaMethod, constantsOf(constants),
                DifferentiationOptions.DEFAULT));
    }

    /**
     * The Jacobian of a vector function {@code double[] f(double[] x, ...)} or {@code void f(double[] x, ...,
     * double[] y)} (x: the first {@code double[]} parameter; every other one is constant), in forward vector mode or
     * reverse mode, picked per call by its shape: {@code jacobian.into(J, x, ...)} fills an m × n {@code J}.
     *
     * @throws jenzyme.runtime.error.LoweringException as for {@link #reverse}
     */
    public Jacobian jacobian(Class<?> owner, String method) {
        return jacobian(owner, method, JacobianOptions.DEFAULT);
    }

    /** As {@link #jacobian(Class, String)}, with another input, output, mode or width, e.g. {@code DEFAULT.withWrt("p")}. */
    public Jacobian jacobian(Class<?> owner, String method, JacobianOptions options) {
        return pipeline.jacobian(methodOf(owner, method), Objects.requireNonNull(options, "options"));
    }

    @Override
    public void close() {
        pipeline.close();
    }

    /** Where the worker is: the property if set, else the environment variable, else a message on what to do. */
    static Path locateWorker(String property, String environment) {
        if (property != null && !property.isBlank()) {
            return checkExecutable(Path.of(property.strip()), "-D" + WORKER_PROPERTY);
        }
        if (environment != null && !environment.isBlank()) {
            return checkExecutable(Path.of(environment.strip()), WorkerClient.EXECUTABLE_ENV);
        }
        throw new IllegalStateException(Messages.API_WORKER_NOT_SET.format(WORKER_PROPERTY, WorkerClient.EXECUTABLE_ENV, HOW_TO_BUILD));
    }

    private static final String HOW_TO_BUILD = "Run ./test or ./run once in the JEnzyme checkout (it builds the "
            + "worker into ~/.cache/jenzyme/worker-*/release/jenzyme-worker), then set " + WorkerClient.EXECUTABLE_ENV
            + "=<that path> or pass -D" + WORKER_PROPERTY + "=<that path>.";

    private static Path checkExecutable(Path path, String source) {
        if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
            throw new IllegalStateException(Messages.API_WORKER_NOT_EXECUTABLE.format(source, path, HOW_TO_BUILD));
        }
        return path;
    }

    private static JavaMethod methodOf(Class<?> owner, String method) {
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(method, "method");
        ClassLoader loader = owner.getClassLoader() != null ? owner.getClassLoader()
                : ClassLoader.getSystemClassLoader();
        return JavaMethod.unique(classBytes(loader), owner.getName().replace('.', '/'), method);
    }

    /** Class files as the loader's resources: what the program itself runs (its static fields read from there). */
    private static ClassBytesSource classBytes(ClassLoader loader) {
        return new ClassBytesSource() {
            @Override
            public Optional<byte[]> bytesOf(String internalName) {
                try (InputStream in = loader.getResourceAsStream(internalName + ".class")) {
                    return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
                } catch (IOException e) {
                    throw new UncheckedIOException(Messages.API_CLASS_FILE_UNREADABLE.format(internalName), e);
                }
            }

            @Override
            public Optional<Class<?>> loadedClass(String internalName) {
                try {
                    return Optional.of(Class.forName(internalName.replace('/', '.'), false, loader));
                } catch (ClassNotFoundException e) {
                    return Optional.empty();
                }
            }
        };
    }

    private static Map<String, Activity> constantsOf(String... names) {
        return Arrays.stream(names).collect(Collectors.toMap(Function.identity(),
                name -> Activity.CONST, (a, b) -> a));
    }
}
