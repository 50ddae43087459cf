package jenzyme.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import jenzyme.runtime.api.JEnzyme;
import jenzyme.runtime.ship.CompiledArtifact;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Shipped derivatives on a real standalone cluster started here on 127.0.0.1: a master, one worker, its executor a
 * separate JVM whose classpath holds Spark, this module and the runtime — not this test's classes, where the
 * differentiated method lives. Fits distributed there equal the same fits run in this JVM bit for bit; an executor
 * killed mid-job is replaced and the results stay equal; a wrong-length array raises the Java exception in the driver.
 */
class SparkClusterTest {

    /** A program's model: least squares of a·exp(−k t) against y, each point weighted (bootstrap counts). */
    static final class Models {
        static double weightedDecayLoss(double[] p, double[] t, double[] y, double[] w) {
            double s = 0;
            for (int i = 0; i < t.length; i++) {
                double r = p[0] * Math.exp(-p[1] * t[i]) - y[i];
                s += w[i] * r * r;
            }
            return s;
        }
    }

    private static StandaloneCluster cluster;
    private static SparkSession session;
    private static JavaSparkContext spark;
    private static CompiledArtifact loss;

    @BeforeAll
    static void start() throws Exception {
        try (JEnzyme ad = JEnzyme.create()) {
            loss = ad.reverse(Models.class, "weightedDecayLoss", "t", "y", "w").artifact();
        }
        List<Path> jars = Arrays.stream(Files.readString(Path.of("target/test-classpath.txt")).strip().split(":"))
                .map(Path::of).filter(p -> p.toString().endsWith(".jar")).toList();
        cluster = StandaloneCluster.start(1, jars, Files.createTempDirectory("jenzyme-spark-test"));
        session = SparkSessions.start(cluster.masterUrl(), "512m", false);
        spark = SparkSessions.context(session);
    }

    @AfterAll
    static void stop() {
        if (session != null) {
            session.stop();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Bootstrap replicates of one noisy decay: the data resampled as integer weights, each fitted from (1, 1). */
    static List<FitTask> bootstrap(int replicates) {
        Random random = new Random(7);
        int n = 20;
        double[] t = new double[n], y = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = 0.2 * i;
            y[i] = 2.5 * Math.exp(-0.8 * t[i]) + 0.05 * random.nextGaussian();
        }
        List<FitTask> tasks = new ArrayList<>();
        for (int r = 0; r < replicates; r++) {
            double[] w = new double[n];
            for (int i = 0; i < n; i++) w[random.nextInt(n)]++;
            tasks.add(new FitTask(r, new double[] {1, 1}, new Object[] {t, y, w}));
        }
        return tasks;
    }

    @Test
    void distributedFitsEqualLocalOnesOnAnExecutorWithoutTheTestClasses() {
        List<FitTask> tasks = bootstrap(200);
        List<FitResult> remote = SparkAD.fit(spark, loss, tasks, FitOptions.DEFAULT, 4);
        List<FitResult> local = SparkAD.fitLocally(loss, tasks, FitOptions.DEFAULT);
        assertSameFits(local, remote);
        assertTrue(remote.stream().noneMatch(r -> r.executor().equals("driver")), "every fit ran on an executor");
        double meanRate = remote.stream().mapToDouble(r -> r.x()[1]).average().orElseThrow();
        assertEquals(0.8, meanRate, 0.05, "the bootstrap rates centre on the true rate");
        assertTrue(remote.stream().allMatch(r -> r.gradNorm() < 1e-6), "every fit converged");
        List<String> executorCommands = cluster.executors().stream()
                .map(p -> p.info().commandLine().orElse("")).toList();
        assertFalse(executorCommands.isEmpty());
        assertTrue(executorCommands.stream().noneMatch(c -> c.contains("test-classes")), executorCommands.toString());
    }

    @Test
    void aWrongLengthArrayOnAnExecutorRaisesTheJavaExceptionInTheDriver() {
        FitTask good = bootstrap(1).getFirst();
        Object[] constants = good.constants().clone();
        constants[2] = new double[3]; // w shorter than t: the compiled loop reads past it
        List<FitTask> tasks = List.of(new FitTask(0, good.start(), constants));
        SparkTaskFailure failure = assertThrows(SparkTaskFailure.class,
                () -> SparkAD.fit(spark, loss, tasks, FitOptions.DEFAULT, 1));
        assertTrue(failure.getMessage().startsWith("a Spark task failed on an executor: "
                + "java.lang.ArrayIndexOutOfBoundsException"), failure.getMessage());
        assertInstanceOf(ArrayIndexOutOfBoundsException.class, failure.getCause());
    }

    @Test
    void anExecutorKilledMidJobIsReplacedAndTheResultsStayEqual() {
        List<FitTask> tasks = bootstrap(400);
        AtomicBoolean killed = new AtomicBoolean();
        AtomicInteger executorsKilled = new AtomicInteger();
        SparkListener killer = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (killed.compareAndSet(false, true)) {
                    cluster.executors().forEach(p -> {
                        p.destroyForcibly();
                        executorsKilled.incrementAndGet();
                    });
                }
            }
        };
        session.sparkContext().addSparkListener(killer);
        List<FitResult> remote;
        try {
            remote = SparkAD.fit(spark, loss, tasks, FitOptions.DEFAULT, 8);
        } finally {
            session.sparkContext().removeSparkListener(killer);
        }
        assertEquals(1, executorsKilled.get(), "one executor was killed after the first task");
        assertSameFits(SparkAD.fitLocally(loss, tasks, FitOptions.DEFAULT), remote);
        assertTrue(remote.stream().map(FitResult::executor).distinct().count() >= 2,
                "tasks ran on the killed executor and on its replacement");
    }

    private static void assertSameFits(List<FitResult> expected, List<FitResult> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).id(), actual.get(i).id());
            assertArrayEquals(expected.get(i).x(), actual.get(i).x(), 0, "fit " + i);
            assertEquals(expected.get(i).iterations(), actual.get(i).iterations(), "fit " + i);
        }
    }
}
