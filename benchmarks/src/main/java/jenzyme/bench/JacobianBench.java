package jenzyme.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * {@code %autodiff jacobian} (forward vector mode of 8 and 20 lanes, and reverse mode), Hipparchus's {@code Gradient}
 * and central finite differences, each checked against the hand-written Jacobian before timing and timed as a ratio
 * to it (median over rounds of the fastest of 7 batches, each batch about {@code batchSeconds}). A table of its own
 * because the main table's reference is a reverse gradient, which a Jacobian has not. JAX {@code jacfwd}: not run.
 */
final class JacobianBench {

    private static final double TOLERANCE = 1e-12;
    private static final double FD_TOLERANCE = 1e-6;

    private JacobianBench() {}

    @FunctionalInterface
    interface Contender {
        void jacobian(double[] u, double[][] j) throws Throwable;
    }

    static String run(Pipeline pipeline, ClassBytesSource classes, int rounds, double batchSeconds, Path out)
            throws Exception {
        try {
            return measure(pipeline, classes, rounds, batchSeconds, out);
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static String measure(Pipeline pipeline, ClassBytesSource classes, int rounds, double batchSeconds,
                                  Path out) throws Throwable {
        double[] u = new Random(13).doubles(Lorenz96.N, -2, 5).toArray();
        JavaMethod method = new JavaMethod(classes, Lorenz96.class.getName().replace('.', '/'), "rhs", "([D[D)V");
        double[] du = new double[Lorenz96.N];
        double[] plus = new double[Lorenz96.N], minus = new double[Lorenz96.N];
        List<Jacobian> compiled = new ArrayList<>();
        try {
            Map<String, Contender> contenders = new LinkedHashMap<>();
            contenders.put("hand-written", Lorenz96::handJacobian);
            for (JacobianOptions options : List.of(JacobianOptions.DEFAULT.withMode(Mode.FORWARD),
                    JacobianOptions.DEFAULT.withMode(Mode.FORWARD).withWidth(Lorenz96.N),
                    JacobianOptions.DEFAULT.withMode(Mode.REVERSE))) {
                Jacobian jacobian = pipeline.jacobian(method, options);
                compiled.add(jacobian);
                String name = options.mode().orElseThrow() == Mode.FORWARD ? "ours fwd x" + options.width()
                        : "ours rev";
                contenders.put(name, (x, j) -> jacobian.into(j, x, du));
            }
            contenders.put("Hipparchus Gradient", Lorenz96::hipparchusJacobian);
            contenders.put("FD (central)", (x, j) -> Lorenz96.finiteDifferenceJacobian(x, j, plus, minus));

            double[][] reference = new double[Lorenz96.N][Lorenz96.N];
            Lorenz96.handJacobian(u, reference);
            StringBuilder table = new StringBuilder("\nJacobian 20x20 ODE right-hand side (Lorenz-96): time / "
                    + "hand-written Java (median of " + rounds + " rounds)\n");
            StringBuilder csv = new StringBuilder("contender,ratio_to_hand,ns_per_jacobian\n");
            Map<String, double[]> seconds = new LinkedHashMap<>();
            for (var entry : contenders.entrySet()) {
                double[][] j = new double[Lorenz96.N][Lorenz96.N];
                entry.getValue().jacobian(u, j);
                String problem = check(reference, j, entry.getKey().startsWith("FD") ? FD_TOLERANCE : TOLERANCE);
                seconds.put(entry.getKey(), problem == null ? new double[rounds] : null);
                if (problem != null) {
                    table.append(String.format(Locale.ROOT, "  %-20s FAILED: %s%n", entry.getKey(), problem));
                }
            }
            for (int round = 0; round < rounds; round++) {
                for (var entry : contenders.entrySet()) {
                    if (seconds.get(entry.getKey()) != null) {
                        seconds.get(entry.getKey())[round] = fastest(entry.getValue(), u, batchSeconds);
                    }
                }
            }
            double[] hand = seconds.get("hand-written");
            for (var entry : seconds.entrySet()) {
                if (entry.getValue() == null) {
                    continue;
                }
                double[] ratios = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    ratios[r] = entry.getValue()[r] / hand[r];
                }
                double ratio = median(ratios);
                double ns = median(entry.getValue()) * 1e9;
                table.append(String.format(Locale.ROOT, "  %-20s %7.2f   (%.0f ns)%n", entry.getKey(), ratio, ns));
                csv.append(String.format(Locale.ROOT, "%s,%.4f,%.1f%n", entry.getKey(), ratio, ns));
            }
            table.append("  JAX jacfwd           not run (not yet wired into benchmarks/jax)\n");
            Files.writeString(out.resolve("jacobian.csv"), csv);
            return table.toString();
        } finally {
            compiled.forEach(Jacobian::close);
        }
    }

    private static double fastest(Contender contender, double[] u, double batchSeconds) throws Throwable {
        double[][] j = new double[Lorenz96.N][Lorenz96.N];
        int reps = 1;
        long start = System.nanoTime();
        while ((System.nanoTime() - start) * 1e-9 < batchSeconds) { // warm-up and calibration
            for (int r = 0; r < reps; r++) {
                contender.jacobian(u, j);
            }
            reps *= 2;
        }
        reps = Math.max(1, reps / 4);
        double best = Double.POSITIVE_INFINITY;
        for (int batch = 0; batch < 7; batch++) {
            long t0 = System.nanoTime();
            for (int r = 0; r < reps; r++) {
                contender.jacobian(u, j);
            }
            best = Math.min(best, (System.nanoTime() - t0) * 1e-9 / reps);
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
