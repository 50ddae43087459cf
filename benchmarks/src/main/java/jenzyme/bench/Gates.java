package jenzyme.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code ./bench --check}: ratio gates on figures measured side by side in the same run, so that a multi-×
 * regression of our gradient fails CI (issue 14). A workload that fails is measured again, up to four times, and
 * judged on its last run ({@code BenchMain}). A gate compares the fastest samples of both sides over the run's
 * placements ({@link Placement}): that measures the code each side compiled to, where the median, which the table
 * prints, also measures how often the placement of the arrays slows one side (our Rosenbrock 10^3 gradient: about
 * 45% of placements, by 1.5x).
 *
 * <p>The C ratio's bound is issue 14's {@value #TARGET_C_RATIO}, for a full run and for {@code --quick}, the run
 * {@code ./test} makes. Since reverse-mode failures unwind (derivative loops have one entry and no poll inside) and the
 * worker compiles the same request to the same code, quick runs read 0.91–1.54 under load 5–22 (s6a, s6b, perf's
 * 85ba0d7 run). While failures returned, the strict Rosenbrock 10^6 gradient read 0.63–0.64 of C in one CI run and
 * the quick bound was 0.5. Per workload:
 * <ul>
 *   <li>the row was built, checked and timed (a FAILED row fails its gate);</li>
 *   <li>our strict-mode reverse gradient takes at most 1/(the bound) of the time of the same function written
 *       in C and differentiated by the same worker ({@link Column#C_WORKER} ratio ≥ the bound);</li>
 *   <li>where the gradient has more than {@value #FD_MIN_COMPONENTS} components, it is faster than central finite
 *       differences on the JVM ({@link Column#FINITE_DIFFERENCES} ratio &gt; 1).</li>
 * </ul>
 */
final class Gates {

    /** Issue 14's bound: our strict gradient at most 1/0.7 of C's time. */
    static final double TARGET_C_RATIO = 0.7;
    static final int FD_MIN_COMPONENTS = 4;

    /** One workload's verdict: the gates it failed (none: passed) and what was compared. */
    record Verdict(String workload, List<String> failures, String measured) {
        boolean passed() {
            return failures.isEmpty();
        }

        /** This verdict of a second measurement, saying what the first one measured. */
        Verdict afterFirstFailure(Verdict first) {
            return new Verdict(workload, failures, measured + " (second run; the first measured " + first.measured()
                    + ")");
        }
    }

    private Gates() {
    }

    static List<Verdict> judge(List<WorkloadResult> results, double minCRatio) {
        return results.stream().map(r -> judge(r, minCRatio)).toList();
    }

    static Verdict judge(WorkloadResult result, double minCRatio) {
        String label = result.workload().label();
        if (result.failure().isPresent()) {
            return new Verdict(label, List.of("the row FAILED: " + result.failure().get()), "");
        }
        List<String> failures = new ArrayList<>();
        List<String> measured = new ArrayList<>();
        Optional<Double> c = ratio(result, Column.C_WORKER);
        if (c.isEmpty()) {
            failures.add("no C+worker figure to compare with: " + problem(result, Column.C_WORKER));
        } else {
            measured.add(String.format("C+worker/grad %.2f (gate >= %.2f)", c.get(), minCRatio));
            if (c.get() < minCRatio) {
                failures.add(String.format("our gradient is %.2fx the time of C+worker's, above the %.2fx allowed",
                        1 / c.get(), 1 / minCRatio));
            }
        }
        if (result.gradientSize() > FD_MIN_COMPONENTS) {
            Optional<Double> fd = ratio(result, Column.FINITE_DIFFERENCES);
            if (fd.isEmpty()) {
                failures.add("no finite-difference figure to compare with: "
                        + problem(result, Column.FINITE_DIFFERENCES));
            } else {
                measured.add(String.format("FD/grad %.3g (gate > 1, %d components)", fd.get(),
                        result.gradientSize()));
                if (fd.get() <= 1) {
                    failures.add(String.format("finite differences are %.2fx faster than our gradient with %d "
                            + "components", 1 / fd.get(), result.gradientSize()));
                }
            }
        }
        return new Verdict(label, failures, String.join(", ", measured));
    }

    static String render(List<Verdict> verdicts, double minCRatio) {
        StringBuilder out = new StringBuilder("\nGates (--check, fastest samples over placements: C+worker/grad >= "
                + minCRatio
                + "; FD/grad > 1 where the gradient has more than " + FD_MIN_COMPONENTS + " components)\n");
        for (Verdict verdict : verdicts) {
            out.append("  ").append(verdict.passed() ? "PASS " : "FAIL ").append(verdict.workload()).append(": ")
                    .append(verdict.measured());
            verdict.failures().forEach(f -> out.append("\n       ").append(f));
            out.append('\n');
        }
        long failed = verdicts.stream().filter(v -> !v.passed()).count();
        out.append(failed == 0 ? "All gates passed.\n" : failed + " of " + verdicts.size() + " workloads FAILED a gate.\n");
        return out.toString();
    }

    private static Optional<Double> ratio(WorkloadResult result, Column column) {
        return result.cell(column).flatMap(WorkloadResult.Cell::fastestRatio);
    }

    private static String problem(WorkloadResult result, Column column) {
        return result.cell(column).flatMap(WorkloadResult.Cell::problem).orElse("not measured");
    }
}
