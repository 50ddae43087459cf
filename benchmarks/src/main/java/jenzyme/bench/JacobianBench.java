package jenzyme.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import jenzyme.bench.workloads.Lorenz96;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.Jacobian;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.ad.JacobianOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.lower.ClassBytesSource;

/**
 * The Jacobian row (issue 13): the 20×20 Jacobian of the Lorenz-96 right-hand side ({@link Lorenz96}) by our
 * {@code %autodiff jacobian} (the default: forward vector mode compressed by the traced sparsity pattern, in sweeps of
 * as many lanes as colours, 4 of the 8 compiled; and forced dense: 8 and 20 lanes, and reverse mode, 8 rows a sweep), Hipparchus's {@code Gradient}, central finite differences and
 * JAX {@code jit(jacfwd)} (when {@code --python} is given), each checked against the hand-written Jacobian before
 * timing and timed as a ratio to it (median over rounds of the fastest of 7 batches, each batch about
 * {@code batchSeconds}, after {@value #INTERLEAVED_CALLS} calls of every contender in turn and then
 * {@value #WARM_UP_BATCHES} batches of each: the row may run alone, with {@code --only jacobian}, when nothing before it
 * has warmed the JVM). A table of its own because the main
 * table's reference is a reverse gradient, which a Jacobian has not.
 */
final class JacobianBench {

    private static final double TOLERANCE = 1e-12;
    private static final double FD_TOLERANCE = 1e-6;
    private static final int WARM_UP_BATCHES = 5;
    /**
     * Calls of every contender in turn, one each, before any is calibrated. Our four Jacobians are called through one
     * lambda (and share Jacobian.into), which HotSpot compiled with C2 as soon as the calibration of one of them made
     * it hot: the paths of those not run yet looked cold, and when the default's compressed sweep was among them it
     * stayed out of line, in C1's profiling code (-XX:+PrintCompilation: Jacobian.compressedColumns compiled apart,
     * late, Jacobian.sweep never by C2). "ours (default)" then took 1.8-3.9 us, in 5 of 7 runs, and 270-530 ns in the
     * others (same commit, load 5-6). Interleaved first, every path is warm when C2 compiles: 320-480 ns in 7 runs of 7.
     */
    private static final int INTERLEAVED_CALLS = 20_000;
    private static final String JAX = "JAX jacfwd";

    private JacobianBench() {}

    @FunctionalInterface
    interface Contender {
        void jacobian(double[] u, double[][] j) throws Throwable;
    }

    static String run(Pipeline pipeline, ClassBytesSource classes, Optional<JaxProcess> jax, int rounds,
                      double batchSeconds, Path out) throws Exception {
        try {
            return measure(pipeline, classes, jax, rounds, batchSeconds, out);
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static String measure(Pipeline pipeline, ClassBytesSource classes, Optional<JaxProcess> jax, int rounds,
                                  double batchSeconds, Path out) throws Throwable {
        double[] u = new Random(13).doubles(Lorenz96.N, -2, 5).toArray();
        JavaMethod method = new JavaMethod(classes, Lorenz96.class.getName().replace('.', '/'), "rhs", "([D[D)V");
        double[] du = new double[Lorenz96.N];
        double[] plus = new double[Lorenz96.N], minus = new double[Lorenz96.N];
        List<Jacobian> compiled = new ArrayList<>();
        try {
            Map<String, Contender> contenders = new LinkedHashMap<>();
            contenders.put("hand-written", Lorenz96::handJacobian);
            Map<String, JacobianOptions> ours = new LinkedHashMap<>();
            ours.put("ours (default)", JacobianOptions.DEFAULT);
            ours.put("ours fwd x8 dense", JacobianOptions.DEFAULT.withMode(Mode.FORWARD).withDense(true));
            ours.put("ours fwd x20 dense",
                    JacobianOptions.DEFAULT.withMode(Mode.FORWARD).withWidth(Lorenz96.N).withDense(true));
            ours.put("ours rev", JacobianOptions.DEFAULT.withMode(Mode.REVERSE));
            for (var entry : ours.entrySet()) {
                Jacobian jacobian = pipeline.jacobian(method, entry.getValue());
                compiled.add(jacobian);
                contenders.put(entry.getKey(), (x, j) -> jacobian.into(j, x, du));
            }
            pipeline.awaitFullCode(); // the code a user's next cell runs (OurPipeline)
            contenders.put("Hipparchus Gradient", Lorenz96::hipparchusJacobian);
            contenders.put("FD (central)", (x, j) -> Lorenz96.finiteDifferenceJacobian(x, j, plus, minus));

            double[][] reference = new double[Lorenz96.N][Lorenz96.N];
            Lorenz96.handJacobian(u, reference);
            StringBuilder table = new StringBuilder("\nJacobian 20x20 ODE right-hand side (Lorenz-96): time / "
                    + "hand-written Java (median of " + rounds + " rounds)\n");
            StringBuilder csv = new StringBuilder("contender,ratio_to_hand,ns_per_jacobian\n");
            Map<String, Timer> timers = new LinkedHashMap<>();
            for (var entry : contenders.entrySet()) {
                double[][] j = new double[Lorenz96.N][Lorenz96.N];
                entry.getValue().jacobian(u, j);
                String problem = check(reference, j, entry.getKey().startsWith("FD") ? FD_TOLERANCE : TOLERANCE);
                if (problem != null) {
                    table.append(String.format(Locale.ROOT, "  %-20s FAILED: %s%n", entry.getKey(), problem));
                    continue;
                }
                Contender contender = entry.getValue();
                timers.put(entry.getKey(), Timer.local(() -> contender.jacobian(u, j)));
            }
            String jaxLine = jax.isEmpty() ? String.format(Locale.ROOT, "  %-20s       -   (not run: no --python)%n",
                    JAX) : jax(jax.get(), u, reference, timers, out);
            for (int call = 0; call < INTERLEAVED_CALLS; call++) {
                for (Timer timer : timers.values()) {
                    timer.seconds(1);
                }
            }
            for (Timer timer : timers.values()) {
                calibrate(timer, batchSeconds, WARM_UP_BATCHES);
            }
            Map<String, double[]> seconds = new LinkedHashMap<>();
            timers.keySet().forEach(name -> seconds.put(name, new double[rounds]));
            for (int round = 0; round < rounds; round++) {
                for (var entry : timers.entrySet()) {
                    seconds.get(entry.getKey())[round] = fastest(entry.getValue(), batchSeconds);
                }
            }
            double[] hand = seconds.get("hand-written");
            for (var entry : seconds.entrySet()) {
                double[] ratios = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    ratios[r] = entry.getValue()[r] / hand[r];
                }
                double ratio = median(ratios);
                double ns = median(entry.getValue()) * 1e9;
                table.append(String.format(Locale.ROOT, "  %-20s %7.2f   (%.0f ns)%n", entry.getKey(), ratio, ns));
                csv.append(String.format(Locale.ROOT, "%s,%.4f,%.1f%n", entry.getKey(), ratio, ns));
            }
            table.append(jaxLine);
            Files.writeString(out.resolve("jacobian.csv"), csv);
            return table.toString();
        } finally {
            compiled.forEach(Jacobian::close);
        }
    }

    /** Loads JAX's jit(jacfwd) and checks it, adding its timer; returns the table line if it failed, else "". */
    private static String jax(JaxProcess jax, double[] u, double[][] reference, Map<String, Timer> timers, Path out) {
        try {
            double[] flat = jax.loadJacobian(u, out);
            double[][] j = new double[Lorenz96.N][Lorenz96.N];
            for (int i = 0; i < Lorenz96.N && flat.length == Lorenz96.N * Lorenz96.N; i++) {
                System.arraycopy(flat, i * Lorenz96.N, j[i], 0, Lorenz96.N);
            }
            String problem = flat.length != Lorenz96.N * Lorenz96.N ? flat.length + " numbers, expected 400"
                    : check(reference, j, TOLERANCE);
            if (problem == null) {
                timers.put(JAX, jax.timer(JaxProcess.JACOBIAN_ID));
                return "";
            }
            return String.format(Locale.ROOT, "  %-20s FAILED: %s%n", JAX, problem);
        } catch (IOException e) {
            return String.format(Locale.ROOT, "  %-20s FAILED: %s%n", JAX, e.getMessage());
        }
    }

    /** Repetitions that take about {@code batchSeconds}, found by doubling, then {@code batches - 1} more batches. */
    private static int calibrate(Timer timer, double batchSeconds, int batches) throws Exception {
        int reps = 1;
        while (timer.seconds(reps) < batchSeconds) {
            reps *= 2;
        }
        for (int batch = 1; batch < batches; batch++) {
            timer.seconds(reps);
        }
        return reps;
    }

    private static double fastest(Timer timer, double batchSeconds) throws Exception {
        int reps = Math.max(1, calibrate(timer, batchSeconds, 1) / 2);
        double best = Double.POSITIVE_INFINITY;
        for (int batch = 0; batch < 7; batch++) {
            best = Math.min(best, timer.seconds(reps) / reps);
        }
        return best;
    }

    private static String check(double[][] expected, double[][] actual, double tolerance) {
        for (int i = 0; i < expected.length; i++) {
            for (int k = 0; k < expected[i].length; k++) {
                if (!(Math.abs(expected[i][k] - actual[i][k]) <= tolerance * (1 + Math.abs(expected[i][k])))) {
                    return "J[" + i + "][" + k + "] = " + actual[i][k] + ", expected " + expected[i][k];
                }
            }
        }
        return null;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
