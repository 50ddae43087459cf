package jenzyme.bench;

import java.util.List;
import java.util.Optional;

/**
 * The printed result: one table of ratios to our reverse gradient (the table), then compile latency and
 * memory, the correctness checks and the conditions of the run (cores, load), so that a reader can judge the noise.
 */
final class TextReport {

    private static final int LABEL = 26;
    private static final int CELL = 11;

    private TextReport() {
    }

    static String render(List<WorkloadResult> results, RunConditions conditions) {
        StringBuilder out = new StringBuilder(conditions.header());
        out.append("JEnzyme benchmark: time / time of our reverse gradient (grad rev = 1; below 1 is faster), ")
                .append("median of ").append(conditions.rounds()).append(" rounds of paired samples\n\n");
        out.append(pad("workload", LABEL));
        for (Column column : Column.values()) {
            out.append(pad(column.header(), CELL));
        }
        out.append("grad rev time\n");
        for (WorkloadResult result : results) {
            out.append(pad(result.workload().label(), LABEL));
            if (result.failure().isPresent()) {
                out.append("FAILED: ").append(result.failure().get()).append('\n');
                continue;
            }
            for (Column column : Column.values()) {
                out.append(pad(cellText(result.cell(column)), CELL));
            }
            result.cell(Column.REVERSE).flatMap(WorkloadResult.Cell::seconds).ifPresent(s -> out.append(
                    duration(s.median())).append(String.format(" ±%.0f%%", 100 * s.relativeSpread())));
            out.append('\n');
        }
        out.append("\n~ noisy (IQR/median of the per-round ratio > ").append((int) (100 * WorkloadResult.NOISY))
                .append("%)   e estimated (see notes)   - not applicable   FAILED see below\n");
        for (Column column : Column.values()) {
            out.append("  ").append(pad(column.header(), CELL)).append(column.meaning()).append('\n');
        }

        out.append("\nCompile latency and peak memory\n");
        out.append(pad("workload", LABEL)).append(pad("%autodiff cold", 16)).append(pad("warm", 16))
                .append(pad("JAX 1st call", 14)).append(pad("JAX threads", 13)).append(pad("JVM RSS", 10))
                .append(pad("worker RSS", 12)).append("JAX RSS\n");
        for (WorkloadResult result : results) {
            out.append(pad(result.workload().label(), LABEL));
            out.append(pad(result.latency().map(l -> String.format("%.0f ms", l.coldMillis())).orElse("-"), 16));
            out.append(pad(result.latency().map(l -> String.format("%.0f ms ±%.0f%%", l.warmMillis().median(),
                    100 * l.warmMillis().relativeSpread())).orElse("-"), 16));
            out.append(pad(Double.isNaN(result.jaxCompileMillis()) ? "-"
                    : String.format("%.0f ms", result.jaxCompileMillis()), 14));
            out.append(pad(result.jaxThreads().map(t -> t.grad() + " / " + t.valueAndGrad()).orElse("-"), 13));
            out.append(pad(megabytes(result.jvmPeakKb()), 10)).append(pad(megabytes(result.workerPeakKb()), 12))
                    .append(megabytes(result.jaxPeakKb())).append('\n');
        }
        out.append("  JAX threads: how many threads XLA splits the largest loop of jit(grad) / jit(value_and_grad) ")
                .append("over (one task per core; operations run side by side not counted); every other column runs on ")
                .append("the calling thread alone, except grad fast of a stencil sum over 2^18 elements or more, which ")
                .append("shares its 16 parts with one helper thread (f_grad_set's route)\n");

        out.append("\nChecks before timing (value rel. error <= ").append(Check.VALUE_TOLERANCE)
                .append(", gradient max-norm rel. error <= ").append(Check.GRADIENT_TOLERANCE)
                .append("; finite differences <= ").append(Check.FD_TOLERANCE).append(" + 8 eps |f| / h")
                .append("; reference: the JVM's value, our reverse gradient)\n");
        for (WorkloadResult result : results) {
            out.append("  ").append(result.workload().label()).append(": ");
            out.append(String.join("; ", result.checks().stream().map(Check::describe).toList())).append('\n');
            result.cells().values().stream().filter(c -> c.problem().isPresent())
                    .forEach(c -> out.append("    ").append(c.column().header()).append(": ")
                            .append(c.problem().get()).append('\n'));
            result.cells().values().stream().filter(WorkloadResult.Cell::estimated)
                    .forEach(c -> out.append("    ").append(c.column().header()).append(" (e): ").append(c.note())
                            .append('\n'));
        }
        out.append('\n').append(conditions.describe()).append('\n');
        return out.toString();
    }

    private static String cellText(Optional<WorkloadResult.Cell> cell) {
        if (cell.isEmpty()) {
            return "-";
        }
        if (cell.get().problem().isPresent()) {
            return "FAILED";
        }
        double ratio = cell.get().ratio().orElseThrow().median();
        String number = ratio >= 1000 ? String.format("%.3g", ratio).replace("e+0", "e").replace("e+", "e")
                : ratio >= 100 ? String.format("%.0f", ratio) : String.format("%.3g", ratio);
        return number + (cell.get().estimated() ? "e" : "") + (cell.get().noisy() ? "~" : "");
    }

    static String duration(double seconds) {
        if (seconds < 1e-3) {
            return String.format("%.3g µs", seconds * 1e6);
        }
        return seconds < 1 ? String.format("%.3g ms", seconds * 1e3) : String.format("%.3g s", seconds);
    }

    private static String megabytes(long kb) {
        return kb < 0 ? "-" : String.format("%d MB", Math.round(kb / 1024.0));
    }

    private static String pad(String text, int width) {
        return text.length() >= width ? text + " " : text + " ".repeat(width - text.length());
    }
}
