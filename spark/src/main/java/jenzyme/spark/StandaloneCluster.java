package jenzyme.spark;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jenzyme.runtime.error.Messages;
import org.apache.spark.launcher.JavaModuleOptions;

/**
 * A Spark standalone cluster on 127.0.0.1: a master and {@code workers} worker daemons, each a separate JVM, each
 * worker offering 1 core and enough memory for one executor. Executors are separate JVMs started by the workers,
 * so a job's closures and the shipped artefact really cross process boundaries. Spark comes from the jars given
 * (Maven's, not a Spark download): they are linked into a {@code SPARK_HOME/jars} that the workers' executor
 * command reads. For tests and the notebook example on one machine; {@link #close} stops every process it started.
 */
public final class StandaloneCluster implements AutoCloseable {

    // Measured on 2 busy cores: the master and workers took 60-100 s to come up (Spark initialises Hadoop, Jetty,
    // Netty); C1 only and the serial collector cut their start-up CPU, and they run no hot loops.
    private static final Duration STARTUP = Duration.ofSeconds(240);

    private final Path home;
    private final List<Process> daemons = new ArrayList<>();
    private final String masterUrl;
    private final String masterUi;

    private StandaloneCluster(Path home, String masterUrl, String masterUi) {
        this.home = home;
        this.masterUrl = masterUrl;
        this.masterUi = masterUi;
    }

    /**
     * Starts the master and the workers and waits until every worker has registered.
     *
     * @param sparkJars Spark and its dependencies (e.g. what {@code %maven} resolved for spark-sql)
     * @param home      a directory for SPARK_HOME (jars/, logs, the workers' scratch space)
     */
    public static StandaloneCluster start(int workers, List<Path> sparkJars, Path home) {
        try {
            Path jars = Files.createDirectories(home.resolve("jars"));
            for (Path jar : sparkJars) {
                Path link = jars.resolve(jar.getFileName());
                if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.createSymbolicLink(link, jar.toAbsolutePath());
                }
            }
            Files.createDirectories(home.resolve("logs"));
            int port = freePort(), uiPort = freePort();
            StandaloneCluster cluster = new StandaloneCluster(home, "spark://127.0.0.1:" + port,
                    "http://127.0.0.1:" + uiPort);
            try {
                cluster.daemons.add(cluster.launch("master", "org.apache.spark.deploy.master.Master", "--host",
                        "127.0.0.1", "--port", String.valueOf(port), "--webui-port", String.valueOf(uiPort)));
                for (int w = 0; w < workers; w++) {
                    cluster.daemons.add(cluster.launch("worker" + w, "org.apache.spark.deploy.worker.Worker",
                            "--host", "127.0.0.1", "--cores", "1", "--memory", "640m", "--webui-port",
                            String.valueOf(freePort()), "--work-dir", home.resolve("work").toString(),
                            cluster.masterUrl));
                }
                cluster.awaitWorkers(workers);
                // A kernel shut down or restarted with the cluster running must not leave its daemons behind.
                Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, "jenzyme-spark-cluster-stop"));
                return cluster;
            } catch (RuntimeException | IOException e) {
                cluster.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(Messages.SPARK_CLUSTER_START_FAILED.format(home), e);
        }
    }

    /** {@code spark://127.0.0.1:port}, for {@link SparkSessions#start}. */
    public String masterUrl() {
        return masterUrl;
    }

    /** The master's web UI. */
    public String masterUi() {
        return masterUi;
    }

    /** The executor JVMs the workers started (CoarseGrainedExecutorBackend), for tests that kill one. */
    public List<ProcessHandle> executors() {
        return daemons.stream().flatMap(Process::descendants)
                .filter(p -> p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend")).toList();
    }

    private Process launch(String name, String mainClass, String... arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx128m", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-Dspark.master.rest.enabled=false", "-cp", home.resolve("jars") + File.separator
                + "*"));
        command.addAll(List.of(JavaModuleOptions.defaultModuleOptionArray()));
        command.add(mainClass);
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(home.resolve("logs").resolve(name + ".log").toFile());
        builder.environment().put("SPARK_HOME", home.toString());
        builder.environment().put("SPARK_SCALA_VERSION", "2.13");
        builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        return builder.start();
    }

    /** Polls the master's JSON status until {@code workers} workers are ALIVE. */
    private void awaitWorkers(int workers) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Pattern alive = Pattern.compile("\"aliveworkers\"\\s*:\\s*(\\d+)");
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (System.nanoTime() < deadline) {
            for (Process daemon : daemons) {
                if (!daemon.isAlive()) {
                    throw new IllegalStateException(Messages.SPARK_DAEMON_EXITED.format(daemon.exitValue(),
                            home.resolve("logs")));
                }
            }
            try {
                String status = http.send(HttpRequest.newBuilder(URI.create(masterUi + "/json/")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                Matcher m = alive.matcher(status);
                if (m.find() && Integer.parseInt(m.group(1)) >= workers) {
                    return;
                }
            } catch (IOException notYet) {
                // The master's UI is not up yet.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(Messages.SPARK_CLUSTER_INTERRUPTED.format(), e);
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(Messages.SPARK_CLUSTER_INTERRUPTED.format(), e);
            }
        }
        throw new IllegalStateException(Messages.SPARK_CLUSTER_SLOW.format(workers, STARTUP.toSeconds(),
                home.resolve("logs")));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Stops the workers (and their executors), then the master. */
    @Override
    public synchronized void close() {
        for (Process daemon : daemons.reversed()) {
            daemon.descendants().forEach(ProcessHandle::destroy);
            daemon.destroy();
        }
        for (Process daemon : daemons) {
            try {
                if (!daemon.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    daemon.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        daemons.clear();
    }
}
