package jenzyme.spark;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.ship.CompiledArtifact;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * Starts (or attaches to) the Spark session the {@code %spark} magic and programs use. The executors get this
 * jar, the runtime and Bytedeco LLVM (with its natives) on their classpath, nothing of the notebook:
 * {@code spark.executor.extraClassPath} when the paths exist on the workers (the same host, a shared file system —
 * the test cluster), else {@code shipJars} sends them with {@code spark.jars} (Bytedeco's native LLVM jar is
 * ~140 MB, once per executor).
 */
public final class SparkSessions {

    /**
     * In the kernel SLF4J logs through java.util.logging, where {@code setLogLevel} does not reach: quiet Spark's
     * INFO lines there (held here, since JUL keeps loggers only weakly).
     */
    private static final List<java.util.logging.Logger> SPARK_LOGS = List.of(
            java.util.logging.Logger.getLogger("org.apache.spark"),
            java.util.logging.Logger.getLogger("org.sparkproject")); // Spark's shaded Jetty

    private SparkSessions() {}

    /**
     * A session on {@code master} ({@code local[*]}, {@code spark://host:port}): executors of 1 core and
     * {@code executorMemory} (Spark's minimum is 450 MB) unless the session already exists.
     */
    public static SparkSession start(String master, String executorMemory, boolean shipJars) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        // Spark's threads inherit this loader: task results and closures resolve through it (see SparkAD).
        thread.setContextClassLoader(SparkSessions.class.getClassLoader());
        try {
            String jars = executorJars().stream().map(Path::toString).collect(Collectors.joining(
                    shipJars ? "," : File.pathSeparator));
            SparkSession.Builder builder = SparkSession.builder().master(master).appName("JEnzyme")
                    .config("spark.executor.memory", executorMemory)
                    .config("spark.executor.cores", "1")
                    // One core per executor: the serial collector's single thread is all it can use.
                    .config("spark.executor.extraJavaOptions", "-XX:+UseSerialGC")
                    .config("spark.ui.showConsoleProgress", "false")
                    .config(shipJars ? "spark.jars" : "spark.executor.extraClassPath", jars);
            if (master.contains("127.0.0.1") || master.contains("localhost") || master.startsWith("local")) {
                builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
            }
            SPARK_LOGS.forEach(log -> log.setLevel(java.util.logging.Level.WARNING));
            SparkSession session = builder.getOrCreate();
            session.sparkContext().setLogLevel("WARN"); // Spark's INFO lines would flood the kernel's log
            return session;
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** The Java view of a session's context, for {@link SparkAD}. */
    public static JavaSparkContext context(SparkSession session) {
        return JavaSparkContext.fromSparkContext(session.sparkContext());
    }

    /** The session's web UI, or a note that it is disabled. */
    public static String uiUrl(SparkSession session) {
        return session.sparkContext().uiWebUrl().getOrElse(() -> "(Spark UI disabled)");
    }

    /**
     * What an executor needs to run a {@link CompiledArtifact}: the jars holding this class, the runtime and
     * Bytedeco LLVM/JavaCPP, with the platform jars (natives) beside them.
     */
    public static List<Path> executorJars() {
        Set<Path> jars = new LinkedHashSet<>();
        for (Class<?> type : List.of(SparkSessions.class, CompiledArtifact.class, org.bytedeco.llvm.global.LLVM.class,
                org.bytedeco.javacpp.Loader.class)) {
            Path jar = locationOf(type);
            jars.add(jar);
            String name = jar.getFileName().toString();
            if (name.endsWith(".jar")) {
                Path natives = jar.resolveSibling(name.replace(".jar", "-" + org.bytedeco.javacpp.Loader.getPlatform()
                        + ".jar"));
                if (Files.isRegularFile(natives)) {
                    jars.add(natives);
                }
            }
        }
        return List.copyOf(jars);
    }

    private static Path locationOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException(Messages.SPARK_JAR_UNKNOWN.format(type.getName()), e);
        }
    }
}
