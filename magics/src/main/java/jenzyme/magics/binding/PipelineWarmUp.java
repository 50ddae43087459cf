package jenzyme.magics.binding;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;

/**
 * Differentiates a small built-in method once, on a daemon thread, while the kernel starts, so the notebook's
 * first {@code %autodiff} does not pay for what any first compilation pays: loading and compiling (HotSpot) the
 * lowering's, the JIT's and the binder's classes, starting the Enzyme worker, LLVM's first code generation. The
 * first magic of a fresh kernel spent ./bench --latency's 30-line method 124 ms more than a warm one in the
 * lowering, 46 ms in the JIT and 101 ms in binding (load 1.4). A compilation of a cell waits until this is done
 * (the pipeline never compiles two methods at once here); a failure here is dropped, since the cell's own
 * compilation meets the same cause and reports it in the user's words.
 */
final class PipelineWarmUp {

    private static final String OWNER = "jenzyme/magics/binding/PipelineWarmUp";

    private final CountDownLatch done = new CountDownLatch(1);
    private volatile boolean compiled;

    private PipelineWarmUp() {
    }

    static PipelineWarmUp start(Pipeline pipeline) {
        PipelineWarmUp warmUp = new PipelineWarmUp();
        Thread.ofPlatform().daemon().name("jenzyme-warm-up").start(() -> {
            try (Derivative ignored = pipeline.differentiate(method(), Mode.REVERSE, Map.of("data", Activity.CONST),
                    DifferentiationOptions.DEFAULT)) {
                warmUp.compiled = true; // bound: nothing to call
            } catch (RuntimeException dropped) {
                // see the class comment: the first cell's compilation reports it
            } finally {
                warmUp.done.countDown();
            }
        });
        return warmUp;
    }

    /** Waits until the warm-up is done, or until {@code stop} says the caller no longer waits (an interrupt). */
    void await(BooleanSupplier stop) {
        try {
            while (!done.await(10, TimeUnit.MILLISECONDS) && !stop.getAsBoolean()) {
                // the cell's compilation then sees the same interrupt at its first poll
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the warm-up compiled its method (once {@link #await} returned without being stopped). */
    boolean compiled() {
        return compiled;
    }

    /**
     * What the warm-up compiles: parameters, constant data and a count, a loop with a Math call, as notebook
     * methods have (the binder's method handles are made per shape of the signature).
     */
    static double loss(double[] p, double[] data, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += Math.cos(p[0] * data[i]) * p[1];
        }
        return s;
    }

    /** {@link #loss} as the pipeline reads it. */
    static JavaMethod method() {
        return new JavaMethod(PipelineWarmUp::classFile, OWNER, "loss", "([D[DI)D");
    }

    private static Optional<byte[]> classFile(String internalName) {
        try (InputStream in = PipelineWarmUp.class.getResourceAsStream("/" + internalName + ".class")) {
            return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
