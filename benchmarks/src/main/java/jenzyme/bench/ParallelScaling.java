package jenzyme.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;

/**
 * The parallel row (issue 14): one bound reverse gradient evaluated for a batch of calls on one thread, then the same
 * batch split over every core, each thread with its own arrays (what {@code Gradient.valuesAndGradients} and a
 * parallel stream over {@code f_grad_into} do). The figure is the speed-up, the fastest of several repeats of each.
 */
final class ParallelScaling {

    /** The workload of the row: compute-bound (83 µs per gradient, 6 inputs), so memory bandwidth does not cap it. */
    static final String WORKLOAD = "ode-rk4";
    private static final double BATCH_SECONDS = 0.05;
    private static final int REPEATS = 7;

    /** @param speedUp time of the batch on one thread / time on {@code threads} threads */
    record Result(String workload, int threads, int batch, double oneThreadSeconds, double parallelSeconds) {
        double speedUp() {
            return oneThreadSeconds / parallelSeconds;
        }

        String describe(String load) {
            return String.format("Parallel gradients: %s, a batch of %d on %d threads: %.2fx the speed of one thread"
                    + " (%.3g ms vs %.3g ms per batch; target >= 1.8x on 2 cores; load average %s)", workload,
                    batch, threads, speedUp(), parallelSeconds * 1e3, oneThreadSeconds * 1e3, load);
        }
    }

    private ParallelScaling() {
    }

    static Result measure(OurPipeline pipeline, Workload workload, int threads) throws Throwable {
        GradientLayout layout = GradientLayout.of(pipeline.lower(workload).entry(), workload.constants(),
                workload.arguments());
        Derivative derivative = pipeline.differentiate(workload, Mode.REVERSE, DifferentiationOptions.DEFAULT);
        List<Timer> timers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            timers.add(DerivativeCalls.reverse(Column.REVERSE, derivative, workload, layout).timer());
        }
        double perCall = timers.getFirst().seconds(50) / 50;
        int batch = Math.max(threads, (int) Math.ceil(BATCH_SECONDS / perCall / threads) * threads);
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            double one = Double.POSITIVE_INFINITY, all = Double.POSITIVE_INFINITY;
            for (int repeat = 0; repeat < REPEATS; repeat++) {
                one = Math.min(one, timers.getFirst().seconds(batch));
                long start = System.nanoTime();
                List<Future<Double>> parts = new ArrayList<>();
                for (Timer timer : timers) {
                    parts.add(pool.submit(() -> timer.seconds(batch / threads)));
                }
                for (Future<Double> part : parts) {
                    part.get();
                }
                all = Math.min(all, (System.nanoTime() - start) * 1e-9);
            }
            return new Result(workload.label(), threads, batch, one, all);
        } finally {
            pipeline.release();
        }
    }
}
