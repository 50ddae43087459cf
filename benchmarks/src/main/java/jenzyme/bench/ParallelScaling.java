package jenzyme.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;

/**
 * The parallel row (issue 14): one bound reverse gradient evaluated for a batch of calls on one thread, then the same
 * batch shared by every core, each thread with its own arrays (what {@code Gradient.valuesAndGradients} and a
 * parallel stream over {@code f_grad_into} do). The figure is the speed-up, the fastest of several repeats of each.
 *
 * <p>The threads take the batch in small chunks as they go, as a parallel stream's work stealing does: with the batch
 * cut in equal halves up front, a thread the OS delayed (another process on its core) made the other wait at the end
 * (last session's three runs read 1.16x, 1.72x and 1.76x). The CPU time per gradient on all threads over one
 * thread's tells apart a slower call (contention, clock) from time spent waiting for a core.
 */
final class ParallelScaling {

    /** The workload of the row: compute-bound (83 µs per gradient, 6 inputs), so memory bandwidth does not cap it. */
    static final String WORKLOAD = "ode-rk4";
    private static final double BATCH_SECONDS = 0.05;
    private static final int REPEATS = 7;
    /** Gradients a thread takes at a time: ~0.7 ms of work, so taking one costs nothing measurable. */
    private static final int CHUNK = 8;

    /** @param speedUp time of the batch on one thread / time on {@code threads} threads */
    record Result(String workload, int threads, int batch, double oneThreadSeconds, double parallelSeconds,
                  double cpuRatio) {
        double speedUp() {
            return oneThreadSeconds / parallelSeconds;
        }

        String describe(String load) {
            return String.format("Parallel gradients: %s, a batch of %d on %d threads: %.2fx the speed of one thread"
                    + " (%.3g ms vs %.3g ms per batch; CPU time per gradient %.2fx one thread's; target >= 1.8x on 2"
                    + " cores; load average %s)", workload, batch, threads, speedUp(), parallelSeconds * 1e3,
                    oneThreadSeconds * 1e3, cpuRatio, load);
        }
    }

    private ParallelScaling() {
    }

    static Result measure(OurPipeline pipeline, Workload workload, int threads) throws Throwable {
        GradientLayout layout = GradientLayout.of(pipeline.lower(workload).entry(), workload.constants(),
                workload.arguments());
        Derivative derivative = pipeline.differentiate(workload, Mode.REVERSE, DifferentiationOptions.DEFAULT);
        pipeline.pipeline().awaitFullCode(); // times the full code (OurPipeline)
        List<Timer> timers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            timers.add(DerivativeCalls.reverse(Column.REVERSE, derivative, workload, layout).timer());
        }
        // The fastest of the estimates taken over 0.2 s: the first calls run before the JIT has compiled the binding
        // (batches of 36 and 78, 3-6 ms, were sized from the first 50 and the first 200 calls at load 12-19).
        double perCall = Double.POSITIVE_INFINITY;
        long warm = System.nanoTime() + 200_000_000L;
        do {
            perCall = Math.min(perCall, timers.getFirst().seconds(50) / 50);
        } while (System.nanoTime() < warm);
        int batch = Math.max(threads, (int) Math.ceil(BATCH_SECONDS / perCall / threads) * threads);
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            double one = Double.POSITIVE_INFINITY, all = Double.POSITIVE_INFINITY;
            long oneCpu = Long.MAX_VALUE, allCpu = Long.MAX_VALUE;
            for (int repeat = 0; repeat < REPEATS; repeat++) {
                long cpuBefore = cpu.getCurrentThreadCpuTime();
                one = Math.min(one, timers.getFirst().seconds(batch));
                oneCpu = Math.min(oneCpu, cpu.getCurrentThreadCpuTime() - cpuBefore);
                AtomicInteger taken = new AtomicInteger();
                long start = System.nanoTime();
                List<Future<Long>> parts = new ArrayList<>();
                for (Timer timer : timers) {
                    parts.add(pool.submit(() -> {
                        long before = cpu.getCurrentThreadCpuTime();
                        for (int first; (first = taken.getAndAdd(CHUNK)) < batch; ) {
                            timer.seconds(Math.min(CHUNK, batch - first));
                        }
                        return cpu.getCurrentThreadCpuTime() - before;
                    }));
                }
                long spent = 0;
                for (Future<Long> part : parts) {
                    spent += part.get();
                }
                all = Math.min(all, (System.nanoTime() - start) * 1e-9);
                allCpu = Math.min(allCpu, spent);
            }
            return new Result(workload.label(), threads, batch, one, all, (double) allCpu / oneCpu);
        } finally {
            pipeline.release();
        }
    }
}
