package jenzyme.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The machine-readable result: one row per workload and column, and one per workload for latency and memory. */
final class CsvReport {

    private CsvReport() {
    }

    static void write(List<WorkloadResult> results, Path dir) throws IOException {
        List<String> rows = new ArrayList<>();
        rows.add("workload,column,status,median_s,q1_s,q3_s,ratio_median,ratio_q1,ratio_q3,ratio_spread,noisy,"
                + "estimated,value_error,gradient_error,gradient_components,note");
        for (WorkloadResult result : results) {
            for (Column column : Column.values()) {
                Optional<WorkloadResult.Cell> cell = result.cell(column);
                Optional<Check> check = result.checks().stream().filter(c -> c.column() == column).findFirst();
                String status = result.failure().isPresent() ? "row_failed"
                        : cell.isEmpty() ? "not_applicable"
                        : cell.get().problem().isPresent() ? "failed" : "ok";
                Optional<Quartiles> seconds = cell.flatMap(WorkloadResult.Cell::seconds);
                Optional<Quartiles> ratio = cell.flatMap(WorkloadResult.Cell::ratio);
                rows.add(String.join(",", result.workload().id(), column.name().toLowerCase(), status,
                        number(seconds.map(Quartiles::median)), number(seconds.map(Quartiles::q1)),
                        number(seconds.map(Quartiles::q3)), number(ratio.map(Quartiles::median)),
                        number(ratio.map(Quartiles::q1)), number(ratio.map(Quartiles::q3)),
                        number(ratio.map(Quartiles::relativeSpread)),
                        Boolean.toString(cell.map(WorkloadResult.Cell::noisy).orElse(false)),
                        Boolean.toString(cell.map(WorkloadResult.Cell::estimated).orElse(false)),
                        number(check.map(Check::valueError)), number(check.map(Check::gradientError)),
                        check.map(c -> Integer.toString(c.components())).orElse(""),
                        quote(cell.map(c -> c.problem().orElse(c.note())).orElse(result.failure().orElse("")))));
            }
        }
        Files.write(dir.resolve("results.csv"), rows);

        List<String> latency = new ArrayList<>();
        latency.add("workload,autodiff_cold_ms,autodiff_warm_ms,autodiff_warm_q1_ms,autodiff_warm_q3_ms,"
                + "jax_first_call_ms,jax_grad_threads,jax_value_and_grad_threads,jvm_peak_rss_kb,worker_peak_rss_kb,"
                + "jax_peak_rss_kb");
        for (WorkloadResult result : results) {
            var l = result.latency();
            latency.add(String.join(",", result.workload().id(), number(l.map(OurPipeline.Latency::coldMillis)),
                    number(l.map(x -> x.warmMillis().median())), number(l.map(x -> x.warmMillis().q1())),
                    number(l.map(x -> x.warmMillis().q3())),
                    number(Optional.of(result.jaxCompileMillis()).filter(v -> !v.isNaN())),
                    result.jaxThreads().map(t -> Integer.toString(t.grad())).orElse(""),
                    result.jaxThreads().map(t -> Integer.toString(t.valueAndGrad())).orElse(""),
                    Long.toString(result.jvmPeakKb()), Long.toString(result.workerPeakKb()),
                    Long.toString(result.jaxPeakKb())));
        }
        Files.write(dir.resolve("latency_memory.csv"), latency);
    }

    private static String number(Optional<Double> value) {
        return value.map(v -> Double.isNaN(v) ? "" : String.format("%.6g", v)).orElse("");
    }

    private static String quote(String text) {
        return "\"" + text.replace("\"", "\"\"").replace("\n", " ") + "\"";
    }
}
