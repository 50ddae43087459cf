package jenzyme.bench;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The JAX column: a Python process running {@code benchmarks/jax/jax_bench.py}, driven line by line (its docstring has
 * the protocol), so that JAX is sampled in the same rounds as the JVM implementations instead of in a separate
 * phase under a different machine load. Inputs cross as raw little-endian doubles in files, bit for bit.
 * Eigen's matrix products run on one thread ({@code --xla_cpu_multi_thread_eigen=false}), but XLA still splits a
 * large loop into one task per core (Rosenbrock 10^6's gradient: 2 on 2 cores; only the CPU affinity stops it), so
 * each load reports how many threads JAX's code uses ({@link Threads}); every other column runs on the calling thread.
 */
public final class JaxProcess implements AutoCloseable {

    private final Process process;
    private final BufferedWriter requests;
    private final BufferedReader replies;
    private final Path log;
    private final String version;

    private JaxProcess(Process process, Path log) throws IOException {
        this.process = process;
        this.log = log;
        this.requests = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        this.replies = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.version = reply("start").getOrDefault("jax", "?");
    }

    /**
     * What JAX computed at the workload's inputs — its value and {@code jit(grad(f))}, and what
     * {@code jit(value_and_grad(f))} returned — and how long grad's first call (trace + compile + run) took.
     */
    public record Loaded(Evaluation result, Evaluation valueAndGradResult, double compileSeconds, Threads threads) {}

    /** How many threads XLA splits the largest loop of jit(grad(f)) and of jit(value_and_grad(f)) over (1: none). */
    public record Threads(int grad, int valueAndGrad) {}

    public static JaxProcess start(Path python, Path script, Path workDir) throws IOException {
        Files.createDirectories(workDir);
        Path log = workDir.resolve("jax.log");
        ProcessBuilder builder = new ProcessBuilder(python.toString(), script.toString())
                .redirectError(ProcessBuilder.Redirect.to(log.toFile()));
        builder.environment().put("JAX_PLATFORMS", "cpu");
        // (An "intra_op_parallelism_threads=1" here used to be taken as a thread limit: XLA ignores it, it is no flag.)
        builder.environment().put("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false");
        return new JaxProcess(builder.start(), log);
    }

    public String version() {
        return version;
    }

    public Loaded load(Workload workload, GradientLayout layout, Path workDir) throws IOException {
        Path inputs = workDir.resolve(workload.id() + ".inputs.f64");
        Path outputs = workDir.resolve(workload.id() + ".jax.f64");
        StringJoiner params = new StringJoiner(",", "[", "]");
        int doubles = 0;
        for (int p = 0; p < workload.arguments().size(); p++) {
            Object argument = workload.arguments().get(p);
            String diff = ",\"diff\":" + layout.differentiated(p);
            params.add(switch (argument) {
                case double[] array -> "{\"type\":\"array\",\"length\":" + array.length + diff + "}";
                case Double scalar -> "{\"type\":\"double\",\"value\":" + scalar + diff + "}";
                case Integer integer -> "{\"type\":\"int\",\"value\":" + integer + "}";
                default -> throw new IllegalArgumentException("unexpected argument " + argument);
            });
            doubles += argument instanceof double[] array ? array.length : 0;
        }
        ByteBuffer buffer = ByteBuffer.allocate(8 * doubles).order(ByteOrder.LITTLE_ENDIAN);
        for (Object argument : workload.arguments()) {
            if (argument instanceof double[] array) {
                for (double v : array) {
                    buffer.putDouble(v);
                }
            }
        }
        Files.write(inputs, buffer.array());
        Map<String, String> reply = request("{\"cmd\":\"load\",\"id\":\"" + workload.id() + "\",\"kind\":\""
                + workload.jaxKind() + "\",\"file\":\"" + inputs + "\",\"out\":\"" + outputs + "\",\"params\":"
                + params + "}");
        return new Loaded(valueAndGradient(outputs, layout),
                valueAndGradient(Path.of(outputs + ".value_and_grad"), layout),
                Double.parseDouble(reply.get("compile_seconds")), new Threads(Integer.parseInt(reply.get("grad_threads")),
                        Integer.parseInt(reply.get("value_and_grad_threads"))));
    }

    private static Evaluation valueAndGradient(Path file, GradientLayout layout) throws IOException {
        double[] values = readDoubles(file);
        if (values.length != 1 + layout.size()) {
            throw new IOException("expected JAX's value and " + layout.size() + " partials in " + file.getFileName()
                    + ", got " + values.length + " numbers");
        }
        double[] gradient = new double[layout.size()];
        System.arraycopy(values, 1, gradient, 0, gradient.length);
        return Evaluation.withGradient(values[0], gradient);
    }

    /** The id {@link #loadJacobian} loads JAX's Jacobian row under, for {@link #timer}. */
    public static final String JACOBIAN_ID = "lorenz96-jacobian";

    /** Compiles jit(jacfwd) of the Lorenz-96 right-hand side (benchmarks/jax) at {@code u}; its Jacobian, by rows. */
    public double[] loadJacobian(double[] u, Path workDir) throws IOException {
        Path inputs = workDir.resolve(JACOBIAN_ID + ".inputs.f64");
        Path outputs = workDir.resolve(JACOBIAN_ID + ".jax.f64");
        ByteBuffer buffer = ByteBuffer.allocate(8 * u.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : u) {
            buffer.putDouble(v);
        }
        Files.write(inputs, buffer.array());
        request("{\"cmd\":\"load_jacobian\",\"id\":\"" + JACOBIAN_ID + "\",\"file\":\"" + inputs
                + "\",\"out\":\"" + outputs + "\"}");
        return readDoubles(outputs);
    }

    /** Times {@code jit(grad(f))} (the Jacobian row: {@code jit(jacfwd)}). */
    public Timer timer(String workloadId) {
        return timer(workloadId, "grad");
    }

    /** Times {@code jit(value_and_grad(f))}: the value and the gradient, like one call of our gradient. */
    public Timer valueAndGradTimer(String workloadId) {
        return timer(workloadId, "value_and_grad");
    }

    private Timer timer(String workloadId, String function) {
        return reps -> Double.parseDouble(request("{\"cmd\":\"time\",\"id\":\"" + workloadId + "\",\"reps\":"
                + reps + ",\"fn\":\"" + function + "\"}").get("seconds"));
    }

    public void resetPeak() throws IOException {
        request("{\"cmd\":\"reset_peak\"}");
    }

    public long peakRssKb() throws IOException {
        return Long.parseLong(request("{\"cmd\":\"peak_rss\"}").get("peak_kb"));
    }

    private Map<String, String> request(String json) throws IOException {
        requests.write(json);
        requests.newLine();
        requests.flush();
        return reply(json.length() > 80 ? json.substring(0, 80) + "..." : json);
    }

    private Map<String, String> reply(String what) throws IOException {
        String line = replies.readLine();
        if (line == null) {
            throw new IOException("the JAX process ended while answering " + what + "; its log " + log + " ends: "
                    + tail());
        }
        if (!line.startsWith("ok")) {
            throw new IOException("JAX refused " + what + ": " + line);
        }
        Map<String, String> fields = new HashMap<>();
        for (String token : List.of(line.split(" "))) {
            int eq = token.indexOf('=');
            if (eq > 0) {
                fields.put(token.substring(0, eq), token.substring(eq + 1));
            }
        }
        return fields;
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    private static double[] readDoubles(Path file) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        double[] values = new double[bytes.remaining() / 8];
        bytes.asDoubleBuffer().get(values);
        return values;
    }

    @Override
    public void close() {
        try {
            requests.close();
            if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroy();
            }
        } catch (IOException | InterruptedException e) {
            process.destroy();
        }
    }
}
