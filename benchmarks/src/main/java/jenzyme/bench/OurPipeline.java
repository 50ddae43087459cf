package jenzyme.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.time.Duration;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.NativeMethod;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.lower.ClassBytesSource;
import jenzyme.runtime.lower.LoweredModule;
import jenzyme.runtime.worker.WorkerClient;

/**
 * Our own columns, through the runtime {@link Pipeline} that {@code %jit} and {@code %autodiff} use. The workloads'
 * class files come from this program's class path, as JShell's snippet classes come from the kernel. Keeps what it
 * compiled for a workload until {@link #release()}.
 */
final class OurPipeline implements AutoCloseable {

    private static final Duration WORKER_TIMEOUT = Duration.ofMinutes(5);

    /** The notebook's pipeline, quick code first: compile latency as a cell sees it, and timings of the full code. */
    private final Pipeline pipeline = Pipeline.createQuickFirst(() -> WorkerClient.fromEnvironment(WORKER_TIMEOUT));
    private final ClassBytesSource classes = OurPipeline::classFile;
    private final List<AutoCloseable> compiled = new ArrayList<>();

    /** {@code %autodiff} compile latency: the first request on a fresh worker, then the same request again. */
    record Latency(double coldMillis, Quartiles warmMillis) {}

    Pipeline pipeline() {
        return pipeline;
    }

    ClassBytesSource classes() {
        return classes;
    }

    LoweredModule lower(Workload workload) {
        return pipeline.lower(javaMethod(workload));
    }

    /** {@code %jit}, strict or with {@code --fast-math} ({@link DifferentiationOptions#fastMath()}). */
    Contender jitPrimal(Workload workload, Column column, DifferentiationOptions options) throws Throwable {
        NativeMethod method = pipeline.jit(javaMethod(workload), options);
        compiled.add(method);
        MethodHandle bound = MethodHandles.insertArguments(method.handle(), 0, workload.freshArguments());
        double value = (double) bound.invokeExact();
        return new Contender(column, Timer.local(() -> JvmContenders.sink = (double) bound.invokeExact()),
                Evaluation.primal(value));
    }

    /**
     * What {@code %autodiff} does for a cell method — lower, check activities, differentiate in the worker, JIT,
     * bind — timed end to end.
     */
    Derivative differentiate(Workload workload, Mode mode, DifferentiationOptions options) {
        Derivative derivative = pipeline.differentiate(javaMethod(workload), mode, workload.constants(), options);
        compiled.add(derivative);
        return derivative;
    }

    /** The reverse derivative of the last of the timed requests, and how long they took. */
    record Measured(Derivative derivative, Latency latency) {}

    /** Cold: the worker must be fresh ({@link #stopWorker()}), so that the first request includes starting it. */
    Measured measureLatency(Workload workload, int warmRepeats) {
        long start = System.nanoTime();
        Derivative derivative = differentiate(workload, Mode.REVERSE, DifferentiationOptions.DEFAULT);
        double cold = (System.nanoTime() - start) / 1e6;
        double[] warm = new double[warmRepeats];
        for (int i = 0; i < warmRepeats; i++) {
            derivative.close();
            start = System.nanoTime();
            derivative = differentiate(workload, Mode.REVERSE, DifferentiationOptions.DEFAULT);
            warm[i] = (System.nanoTime() - start) / 1e6;
        }
        return new Measured(derivative, new Latency(cold, Quartiles.of(warm)));
    }

    /** Ends the worker process; the next derivative starts a fresh one. */
    void stopWorker() {
        pipeline.stopWorker();
    }

    void keep(AutoCloseable code) {
        compiled.add(code);
    }

    /** Frees the native code of the current workload. */
    void release() throws Exception {
        for (AutoCloseable code : compiled) {
            code.close();
        }
        compiled.clear();
    }

    @Override
    public void close() throws Exception {
        release();
        pipeline.close();
    }

    private JavaMethod javaMethod(Workload workload) {
        return new JavaMethod(classes, workload.ownerInternalName(), workload.method(), workload.descriptor());
    }

    private static Optional<byte[]> classFile(String internalName) {
        try (InputStream in = OurPipeline.class.getClassLoader().getResourceAsStream(internalName + ".class")) {
            return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the class file of " + internalName, e);
        }
    }
}
