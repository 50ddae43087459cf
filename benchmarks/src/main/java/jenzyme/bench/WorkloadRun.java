package jenzyme.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;

/**
 * One workload from start to finish: build every implementation (a failure is kept as that cell's message), check
 * each against the reference before timing, time the ones that agree side by side, and collect latency and memory.
 * The reference is the JVM's value and our reverse gradient, itself checked against finite differences of the Java
 * method: if that fails, the whole row is FAILED.
 */
final class WorkloadRun {

    private static final int WARM_COMPILES = 5;
    private static final DifferentiationOptions FAST_MATH = DifferentiationOptions.DEFAULT.withFastMath(true);

    private final OurPipeline pipeline;
    private final CReference cReference;
    private final Optional<JaxProcess> jax;
    private final Harness harness;
    private final Path workDir;
    private final boolean withHipparchus;

    /**
     * @param withHipparchus whether to build the Hipparchus columns (seconds per call at n = 10^3, and gigabytes of
     *                       garbage: {@code --check} leaves them out, they are not gated)
     */
    WorkloadRun(OurPipeline pipeline, CReference cReference, Optional<JaxProcess> jax, Harness harness, Path workDir,
                boolean withHipparchus) {
        this.withHipparchus = withHipparchus;
        this.pipeline = pipeline;
        this.cReference = cReference;
        this.jax = jax;
        this.harness = harness;
        this.workDir = workDir;
    }

    @FunctionalInterface
    private interface Build {
        Contender build() throws Throwable;
    }

    /** What was built for one workload: contenders that exist, and why the others do not. */
    private static final class Built {
        final List<Contender> contenders = new ArrayList<>();
        final Map<Column, String> failures = new EnumMap<>(Column.class);
        Optional<OurPipeline.Latency> latency = Optional.empty();
        double jaxCompileMillis = Double.NaN;
        Optional<JaxProcess.Threads> jaxThreads = Optional.empty();
        long workerPeakKb = -1;

        void add(Column column, Build build) {
            try {
                contenders.add(build.build());
            } catch (Throwable e) {
                String message = e.getClass().getSimpleName() + ": " + e.getMessage();
                failures.put(column, "FAILED to build: " + message.lines().findFirst().orElse(message));
            }
        }
    }

    /** @param jaxProblem why JAX could not start, when it was asked for (without --python there is no JAX cell) */
    WorkloadResult run(Workload workload, Optional<String> jaxProblem) throws Exception {
        long self = ProcessHandle.current().pid();
        ProcessMemory.resetPeak(self);
        if (jax.isPresent()) {
            jax.get().resetPeak();
        }
        GradientLayout layout = GradientLayout.of(pipeline.lower(workload).entry(), workload.constants(),
                workload.arguments());
        Built built = new Built();
        built.add(Column.JVM_PRIMAL, () -> JvmContenders.primal(workload));
        built.add(Column.JIT_PRIMAL, () -> pipeline.jitPrimal(workload, Column.JIT_PRIMAL,
                DifferentiationOptions.DEFAULT));
        built.add(Column.FAST_JIT_PRIMAL, () -> pipeline.jitPrimal(workload, Column.FAST_JIT_PRIMAL, FAST_MATH));
        built.add(Column.FINITE_DIFFERENCES, () -> JvmContenders.finiteDifferences(workload, layout));
        if (withHipparchus && HipparchusContenders.applies(workload, layout)) {
            built.add(Column.HIPPARCHUS, () -> HipparchusContenders.dense(workload, layout));
        }
        if (withHipparchus && HipparchusContenders.sparseApplies(workload, layout)) {
            built.add(Column.HIPPARCHUS_SPARSE, () -> HipparchusContenders.sparse(workload, layout));
        }
        // A fresh worker per workload: its first request is the cold compile, its peak RSS this workload's.
        pipeline.stopWorker();
        try {
            buildDerivatives(workload, layout, built);
            built.workerPeakKb = ProcessMemory.workerPid().map(ProcessMemory::peakKb).orElse(-1L);
        } finally {
            pipeline.stopWorker();
        }
        buildJax(workload, layout, jaxProblem, built);

        List<Check> checks = new ArrayList<>();
        Optional<String> rowFailure = check(built.contenders, built.failures, checks);
        Map<Column, WorkloadResult.Cell> cells = new EnumMap<>(Column.class);
        built.failures.forEach((column, problem) -> cells.put(column, WorkloadResult.Cell.failed(column, problem)));
        if (rowFailure.isEmpty()) {
            pipeline.pipeline().awaitFullCode(); // times the code a user's next cell runs, not the magic's quick code
            cells.putAll(time(built.contenders));
        }
        long jaxPeak = jax.isPresent() ? jax.get().peakRssKb() : -1;
        pipeline.release();
        return new WorkloadResult(workload, layout.size(), rowFailure, cells, checks, built.latency, built.jaxCompileMillis,
                built.jaxThreads, ProcessMemory.peakKb(self), built.workerPeakKb, jaxPeak);
    }

    /** Ours (reverse with its compile latency, forward, AD before optimisation) and the C reference. */
    private void buildDerivatives(Workload workload, GradientLayout layout, Built built) {
        built.add(Column.REVERSE, () -> {
            OurPipeline.Measured measured = pipeline.measureLatency(workload, WARM_COMPILES);
            built.latency = Optional.of(measured.latency());
            return DerivativeCalls.reverse(Column.REVERSE, measured.derivative(), workload, layout);
        });
        built.add(Column.FAST_REVERSE, () -> DerivativeCalls.reverse(Column.FAST_REVERSE,
                pipeline.differentiate(workload, Mode.REVERSE, FAST_MATH), workload, layout));
        if (workload.forwardRelevant()) {
            built.add(Column.FORWARD, () -> DerivativeCalls.forwardSweeps(
                    pipeline.differentiate(workload, Mode.FORWARD, DifferentiationOptions.DEFAULT),
                    workload, layout));
        }
        built.add(Column.AD_BEFORE_OPT, () -> DerivativeCalls.reverse(Column.AD_BEFORE_OPT,
                pipeline.differentiate(workload, Mode.REVERSE,
                        DifferentiationOptions.DEFAULT.withAdBeforeOptimisation(true)), workload, layout));
        built.add(Column.C_WORKER, () -> {
            CReference.Compiled c = cReference.differentiate(workload, layout, pipeline.pipeline());
            pipeline.keep(c.code());
            return c.contender();
        });
    }

    private void buildJax(Workload workload, GradientLayout layout, Optional<String> jaxProblem, Built built) {
        if (jax.isEmpty()) {
            jaxProblem.ifPresent(problem -> {
                built.failures.put(Column.JAX, problem);
                built.failures.put(Column.JAX_VALUE_AND_GRAD, problem);
            });
            return;
        }
        JaxProcess.Loaded[] loaded = new JaxProcess.Loaded[1]; // one load compiles both
        built.add(Column.JAX, () -> {
            loaded[0] = jax.get().load(workload, layout, workDir);
            built.jaxCompileMillis = loaded[0].compileSeconds() * 1e3;
            built.jaxThreads = Optional.of(loaded[0].threads());
            return new Contender(Column.JAX, jax.get().timer(workload.id()), loaded[0].result());
        });
        built.add(Column.JAX_VALUE_AND_GRAD, () -> {
            if (loaded[0] == null) {
                throw new IllegalStateException("JAX did not load " + workload.id() + " (see the JAX column)");
            }
            return new Contender(Column.JAX_VALUE_AND_GRAD, jax.get().valueAndGradTimer(workload.id()),
                    loaded[0].valueAndGradResult());
        });
    }

    /** Checks every contender against the reference; drops those that fail. Returns why the row fails, if it does. */
    private static Optional<String> check(List<Contender> contenders, Map<Column, String> failures,
                                          List<Check> checks) {
        Optional<Contender> jvm = find(contenders, Column.JVM_PRIMAL);
        Optional<Contender> reverse = find(contenders, Column.REVERSE);
        if (jvm.isEmpty() || reverse.isEmpty()) {
            return Optional.of("no reference: " + failures.getOrDefault(Column.JVM_PRIMAL,
                    failures.getOrDefault(Column.REVERSE, "missing")));
        }
        double value = jvm.get().result().value();
        double[] gradient = reverse.get().result().gradient();
        for (Contender contender : List.copyOf(contenders)) {
            if (contender.column() == Column.JVM_PRIMAL) {
                continue;
            }
            Check check = Check.of(contender, value, gradient);
            checks.add(check);
            if (!check.passed()) {
                contenders.remove(contender);
                failures.put(contender.column(), "FAILED check: " + check.describe());
            }
        }
        if (failures.containsKey(Column.REVERSE)) {
            return Optional.of("our gradient's value disagrees with the JVM: " + failures.get(Column.REVERSE));
        }
        if (failures.containsKey(Column.FINITE_DIFFERENCES)) {
            return Optional.of("our gradient disagrees with finite differences: "
                    + failures.get(Column.FINITE_DIFFERENCES));
        }
        return Optional.empty();
    }

    private Map<Column, WorkloadResult.Cell> time(List<Contender> contenders) throws Exception {
        Map<Column, Harness.Samples> samples = harness.measure(contenders);
        Map<Column, WorkloadResult.Cell> cells = new EnumMap<>(Column.class);
        for (Contender contender : contenders) {
            Harness.Samples own = samples.get(contender.column());
            cells.put(contender.column(), WorkloadResult.Cell.timed(contender.column(), Quartiles.of(own.seconds()),
                    Quartiles.of(own.ratios()), fastestRatio(own), contender.note()));
        }
        return cells;
    }

    /** The fastest own sample over the fastest of the reference samples it was paired with (own / ratio). */
    private static double fastestRatio(Harness.Samples own) {
        double fastestOwn = Double.POSITIVE_INFINITY, fastestReference = Double.POSITIVE_INFINITY;
        for (int i = 0; i < own.seconds().length; i++) {
            fastestOwn = Math.min(fastestOwn, own.seconds()[i]);
            fastestReference = Math.min(fastestReference, own.seconds()[i] / own.ratios()[i]);
        }
        return fastestOwn / fastestReference;
    }

    private static Optional<Contender> find(List<Contender> contenders, Column column) {
        return contenders.stream().filter(c -> c.column() == column).findFirst();
    }
}
