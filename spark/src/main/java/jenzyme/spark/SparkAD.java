package jenzyme.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import jenzyme.runtime.api.Gradient;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.ship.ArtifactRuntime;
import jenzyme.runtime.ship.CompiledArtifact;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * Compiled derivatives over Spark: the {@link CompiledArtifact} of a binding travels to the executors as a
 * broadcast variable (its bitcode and calling-convention model, a few tens of kB, fetched once per executor), is
 * JIT-compiled there once per JVM ({@link ArtifactRuntime}) and called through FFM — no class of the notebook, no
 * Enzyme worker on the executors, only this jar, the runtime and Bytedeco LLVM.
 *
 * <p>{@link #fit} runs many independent L-BFGS fits (bootstrap replicates, a parameter sweep, multi-start) and
 * {@link #fitLocally} the same fits in this JVM, bit for bit the same arithmetic. {@link #valueAndGradients}
 * evaluates a loss and its gradient at many points; {@link #mapPartitions} runs your own code with the compiled
 * gradient. Datasets: pass {@code dataset.javaRDD()}. A task that keeps failing (Spark retries it) ends the job
 * with a {@link SparkTaskFailure} naming the executor's Java exception.
 */
public final class SparkAD {

    private SparkAD() {}

    /** The fits, distributed over {@code partitions} tasks; results in the order of {@code tasks}. */
    public static List<FitResult> fit(JavaSparkContext spark, CompiledArtifact loss, List<FitTask> tasks,
                                      FitOptions options, int partitions) {
        return onSparkLoader(() -> {
            Broadcast<CompiledArtifact> shipped = spark.broadcast(loss);
            try {
                return spark.parallelize(tasks, partitions).mapPartitions((Iterator<FitTask> rows) -> {
                    Gradient gradient = Gradient.of(shipped.value());
                    String executor = SparkEnv.get().executorId();
                    List<FitResult> results = new ArrayList<>();
                    rows.forEachRemaining(task -> results.add(Lbfgs.minimise(gradient, task, options, executor)));
                    return results.iterator();
                }).collect();
            } finally {
                shipped.destroy();
            }
        });
    }

    /** The same fits in this JVM, one after another, through the same artefact (for checking and timing). */
    public static List<FitResult> fitLocally(CompiledArtifact loss, List<FitTask> tasks, FitOptions options) {
        Gradient gradient = Gradient.of(loss);
        return tasks.stream().map(task -> Lbfgs.minimise(gradient, task, options, "driver")).toList();
    }

    /**
     * For each point p: {@code [loss(p, constants...), ∂loss/∂p...]}, computed on the executors.
     *
     * @param constants the loss's remaining arguments (serialisable: arrays, numbers), the same for every point
     */
    public static JavaRDD<double[]> valueAndGradients(JavaRDD<double[]> points, CompiledArtifact loss,
                                                      Object... constants) {
        return mapPartitions(points, loss, (gradient, rows) -> new Iterator<>() {
            public boolean hasNext() {
                return rows.hasNext();
            }

            public double[] next() {
                double[] p = rows.next(), result = new double[p.length + 1], g = new double[p.length];
                result[0] = gradient.valueAndGradient(p, g, constants);
                System.arraycopy(g, 0, result, 1, g.length);
                return result;
            }
        });
    }

    /**
     * {@code function} over each partition of {@code rows} on the executors, given the artefact compiled there
     * (once per executor JVM). Lazy, like any RDD transformation; errors surface at the action.
     */
    public static <T, R> JavaRDD<R> mapPartitions(JavaRDD<T> rows, CompiledArtifact loss,
                                                  PartitionFunction<T, R> function) {
        Broadcast<CompiledArtifact> shipped = JavaSparkContext.fromSparkContext(rows.context()).broadcast(loss);
        return rows.mapPartitions(partition -> function.call(Gradient.of(shipped.value()), partition));
    }

    /**
     * What shipping cost each executor so far: how many artefacts its JVM compiled and how long that took (JIT and
     * binding), by executor id. Runs {@code tasks} tiny tasks; an executor that ran none of them is missing.
     */
    public static Map<String, ArtifactRuntime.Stats> executorStats(JavaSparkContext spark, int tasks) {
        List<Integer> slots = java.util.stream.IntStream.range(0, tasks).boxed().toList();
        return onSparkLoader(() -> {
            Map<String, ArtifactRuntime.Stats> stats = new TreeMap<>();
            spark.parallelize(slots, tasks).map(slot -> new java.util.AbstractMap.SimpleImmutableEntry<>(SparkEnv.get().executorId(),
                    ArtifactRuntime.shared().stats())).collect().forEach(e -> stats.put(e.getKey(), e.getValue()));
            return stats;
        });
    }

    /** Runs a Spark action, turning a job aborted by a failing task into a {@link SparkTaskFailure}. */
    public static <T> T collecting(Supplier<T> action) {
        return onSparkLoader(action);
    }

    /**
     * Spark resolves classes (task results, closures) through the thread's context class loader; in a notebook that
     * is the kernel's, which cannot see the jars {@code %spark} loaded, so Spark calls run with this jar's loader.
     */
    private static <T> T onSparkLoader(Supplier<T> action) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(SparkAD.class.getClassLoader());
        try {
            return action.get();
        } catch (Exception e) { // Scala throws SparkException (checked in Java) undeclared
            SparkException failure = sparkFailure(e);
            if (failure == null) {
                throw e instanceof RuntimeException unchecked ? unchecked : new IllegalStateException(e);
            }
            Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
            String what = failure.getCause() != null ? failure.getCause().toString() : firstLine(failure.getMessage());
            throw new SparkTaskFailure(Messages.SPARK_TASK_FAILED.format(what), cause);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private static SparkException sparkFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SparkException spark) {
                return spark;
            }
        }
        return null;
    }

    private static String firstLine(String text) {
        return text == null ? "" : text.lines().findFirst().orElse("");
    }
}
