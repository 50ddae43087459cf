package jenzyme.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code ./bench}: every workload of issue 7 through every implementation, checked, then timed side by side; prints
 * the table and writes {@code target/bench/results.csv}, {@code latency_memory.csv} and {@code ratios.png}.
 *
 * <pre>
 * java -cp ... jenzyme.bench.BenchMain --root REPO [--python PY] [--quick] [--rounds N] [--only id,id]
 *                                       [--check [--junit FILE]]
 * </pre>
 * {@code --quick}: 3 short rounds, for development; {@code --only}: workload ids (rosenbrock-1e3, rosenbrock-1e6,
 * ode-rk4, logreg, composite, parallel: the {@link ParallelScaling} row, jacobian: the {@link JacobianBench} row); {@code --check}: judge the {@link Gates} and exit with status 1 if one fails
 * ({@code --junit FILE} also writes them as a JUnit report). Without {@code --python} (or if JAX cannot start) the JAX column says why.
 */
public final class BenchMain {

    private BenchMain() {
    }

    public static void main(String[] args) throws Throwable {
        Path root = Path.of(".");
        Optional<Path> python = Optional.empty();
        boolean quick = false;
        Optional<Integer> rounds = Optional.empty();
        Set<String> only = Set.of();
        boolean check = false;
        Optional<Path> junit = Optional.empty();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--root" -> root = Path.of(value(args, ++i, "--root"));
                case "--python" -> python = Optional.of(Path.of(value(args, ++i, "--python")));
                case "--quick" -> quick = true;
                case "--rounds" -> rounds = Optional.of(Integer.parseInt(value(args, ++i, "--rounds")));
                case "--only" -> only = Set.of(value(args, ++i, "--only").split(","));
                case "--check" -> check = true;
                case "--junit" -> junit = Optional.of(Path.of(value(args, ++i, "--junit")));
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'; expected --root, "
                        + "--python, --quick, --rounds N, --only id,id, --check or --junit FILE");
            }
        }
        Harness.Settings base = quick ? Harness.Settings.quick() : Harness.Settings.full();
        Harness.Settings chosen = rounds.map(base::withRounds).orElse(base);
        Harness.Settings settings = check ? chosen.forGates() : chosen;
        Path out = root.resolve("target/bench");
        Files.createDirectories(out);
        List<Workload> workloads = new ArrayList<>();
        for (Workload w : Workloads.all()) {
            if (only.isEmpty() || only.contains(w.id())) {
                workloads.add(w);
            }
        }
        boolean jacobianRow = !check && (only.isEmpty() || only.contains("jacobian")); // ungated, like Hipparchus
        if (workloads.isEmpty() && !jacobianRow && !only.contains("parallel")) {
            throw new IllegalArgumentException("no workload matches --only " + only);
        }

        String loadBefore = RunConditions.loadAverage();
        long start = System.nanoTime();
        Optional<JaxProcess> jax = Optional.empty();
        Optional<String> jaxProblem = Optional.empty(); // no --python: no JAX column, shown as "-"
        if (python.isPresent()) {
            try {
                jax = Optional.of(JaxProcess.start(python.get(), root.resolve("benchmarks/jax/jax_bench.py"), out));
            } catch (Exception e) {
                jaxProblem = Optional.of("FAILED to start JAX: " + e.getMessage());
            }
        }
        List<WorkloadResult> results = new ArrayList<>();
        List<Gates.Verdict> verdicts = List.of();
        double minCRatio = Gates.TARGET_C_RATIO;
        try (OurPipeline pipeline = new OurPipeline()) {
            WorkloadRun run = new WorkloadRun(pipeline, new CReference(root.resolve("benchmarks/c"), out.resolve("c")),
                    jax, new Harness(settings), out, !check);
            for (Workload workload : workloads) {
                System.err.println("[bench] " + workload.label() + " ...");
                results.add(run.run(workload, jaxProblem));
            }
            double wall = (System.nanoTime() - start) * 1e-9;
            RunConditions conditions = new RunConditions(settings.rounds(), Runtime.getRuntime().availableProcessors(),
                    loadBefore, RunConditions.loadAverage(), "Java " + Runtime.version(),
                    jax.map(JaxProcess::version).orElse("-"), wall);
            System.out.print(TextReport.render(results, conditions));
            CsvReport.write(results, out);
            if (jacobianRow) {
                System.err.println("[bench] Jacobian 20x20 ODE right-hand side ...");
                System.out.print(JacobianBench.run(pipeline.pipeline(), pipeline.classes(), jax, settings.rounds(),
                        settings.batchSeconds(), out));
            }
            boolean chart = RatioChart.write(results, out.resolve("ratios.png"));
            System.out.println("Wrote " + out.resolve("results.csv") + ", " + out.resolve("latency_memory.csv")
                    + (chart ? ", " + out.resolve("ratios.png") : " (no chart: nothing was timed)"));
            int cores = Runtime.getRuntime().availableProcessors();
            Optional<Workload> parallel = Workloads.all().stream()
                    .filter(w -> w.id().equals(ParallelScaling.WORKLOAD)).findFirst();
            if (cores > 1 && parallel.isPresent() && !check && (only.isEmpty() || only.contains("parallel"))) {
                System.err.println("[bench] parallel gradients ...");
                System.out.println(ParallelScaling.measure(pipeline, parallel.get(), cores)
                        .describe(RunConditions.loadAverage()));
            }
            if (check) {
                verdicts = secondChance(Gates.judge(results, minCRatio), results, run, jaxProblem, minCRatio);
            }
        } finally {
            jax.ifPresent(JaxProcess::close);
        }
        if (check) {
            System.out.print(Gates.render(verdicts, minCRatio));
            if (junit.isPresent()) {
                JunitReport.write(verdicts, junit.get());
            }
            if (verdicts.stream().anyMatch(v -> !v.passed())) {
                System.exit(1);
            }
        }
    }

    /** Further measurements of a workload that failed a gate; a real regression fails all of them. */
    private static final int RERUNS = 4;

    /**
     * A workload that failed a gate is measured again, up to {@link #RERUNS} times, and judged on its last run: a
     * regression fails every run, while a burst of load on a shared machine rarely hits the same short workload
     * five times (measured: Rosenbrock 10^3 at load 6–15 on 2 cores gave C+worker/grad 0.39–0.61 in single runs,
     * 0.83 at load 1). Each run compiles the gradient anew: within one run our Rosenbrock 10^3 gradient took the
     * same time at every array placement (6.5 µs in 7 rounds, another run 10 µs, a third 3.8–6.8 µs) while C
     * took 3.2–3.8 µs, so a run is one draw of where the JIT put the code, and CI failed three draws in a row once.
     */
    private static List<Gates.Verdict> secondChance(List<Gates.Verdict> verdicts, List<WorkloadResult> results,
                                                    WorkloadRun run, Optional<String> jaxProblem,
                                                    double minCRatio)
            throws Exception {
        List<Gates.Verdict> judged = new ArrayList<>();
        for (int i = 0; i < verdicts.size(); i++) {
            Gates.Verdict first = verdicts.get(i);
            if (first.passed()) {
                judged.add(first);
                continue;
            }
            Workload workload = results.get(i).workload();
            Gates.Verdict latest = first;
            for (int rerun = 1; rerun <= RERUNS && !latest.passed(); rerun++) {
                System.err.println("[bench] " + workload.label() + " failed a gate; measuring it again (" + rerun
                        + " of " + RERUNS + ") ...");
                latest = Gates.judge(run.run(workload, jaxProblem), minCRatio);
            }
            judged.add(latest.afterFirstFailure(first));
        }
        return judged;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException("expected a value after " + option);
        }
        return args[i];
    }
}
