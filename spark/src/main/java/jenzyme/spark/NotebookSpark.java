package jenzyme.spark;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * What the {@code %spark} magic's cell code calls: one session per kernel, optionally on a
 * {@link StandaloneCluster} it started, both stopped by {@link #stop} (and by the next {@link #start}).
 */
public final class NotebookSpark {

    private static SparkSession session;
    private static StandaloneCluster cluster;

    private NotebookSpark() {}

    /**
     * @param master         {@code local[*]} or a {@code spark://} URL (ignored when {@code workers > 0})
     * @param workers        if positive, a cluster of that many 1-core workers on 127.0.0.1 is started first
     * @param sparkClasspath Spark's jars, for the cluster's SPARK_HOME
     * @param shipJars       send the executors our jars with the job instead of pointing at this machine's paths
     */
    public static synchronized SparkSession start(String master, int workers, String sparkClasspath,
                                                  boolean shipJars) {
        stop();
        if (workers > 0) {
            List<Path> jars = Arrays.stream(sparkClasspath.split(File.pathSeparator)).map(Path::of).toList();
            try {
                cluster = StandaloneCluster.start(workers, jars, Files.createTempDirectory("jenzyme-spark"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            master = cluster.masterUrl();
        }
        session = SparkSessions.start(master, "512m", shipJars);
        System.out.println("Spark " + session.version() + " on " + master + (cluster == null ? ""
                : " (" + workers + " worker JVM(s) on 127.0.0.1, master UI " + cluster.masterUi() + ")"));
        System.out.println("Spark UI: " + SparkSessions.uiUrl(session));
        return session;
    }

    /** The cluster {@link #start} started, if any (e.g. to look at its executors). */
    public static synchronized StandaloneCluster cluster() {
        return cluster;
    }

    public static synchronized void stop() {
        if (session != null) {
            session.stop();
            session = null;
        }
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
    }
}
