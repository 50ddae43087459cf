package jenzyme.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./bench --check}: the ratio gates pass and fail where issue 14 puts them, and ./test can count them. */
class GatesTest {

    private static final Workload ROSENBROCK = Workloads.all().getFirst();

    private static WorkloadResult result(int gradientSize, double cRatio, double fdRatio) {
        Map<Column, WorkloadResult.Cell> cells = new EnumMap<>(Column.class);
        cells.put(Column.C_WORKER, timed(Column.C_WORKER, cRatio));
        cells.put(Column.FINITE_DIFFERENCES, timed(Column.FINITE_DIFFERENCES, fdRatio));
        return new WorkloadResult(ROSENBROCK, gradientSize, Optional.empty(), cells, List.of(), Optional.empty(),
                Double.NaN, Optional.empty(), -1, -1, -1);
    }

    private static WorkloadResult.Cell timed(Column column, double ratio) {
        Quartiles q = new Quartiles(ratio, ratio, ratio);
        return WorkloadResult.Cell.timed(column, q, q, ratio, "");
    }

    @Test
    void aGradientWithinTheBoundsPasses() {
        Gates.Verdict verdict = Gates.judge(result(1000, 0.71, 1.5), Gates.TARGET_C_RATIO);
        assertTrue(verdict.passed(), verdict.failures().toString());
    }

    @Test
    void aGradientSlowerThanCOrFiniteDifferencesFails() {
        Gates.Verdict slow = Gates.judge(result(1000, 0.69, 350), Gates.TARGET_C_RATIO);
        assertEquals(1, slow.failures().size(), slow.failures().toString());
        assertTrue(slow.failures().getFirst().contains("1.45x the time of C+worker's"), slow.failures().toString());
        Gates.Verdict fd = Gates.judge(result(33, 0.9, 0.8), Gates.TARGET_C_RATIO);
        assertEquals(List.of("finite differences are 1.25x faster than our gradient with 33 components"),
                fd.failures());
    }

    @Test
    void finiteDifferencesAreNotAGateForFourInputsOrFewer() {
        assertTrue(Gates.judge(result(4, 0.9, 0.5), Gates.TARGET_C_RATIO).passed());
        assertFalse(Gates.judge(result(5, 0.9, 0.5), Gates.TARGET_C_RATIO).passed());
    }

    @Test
    void aFailedRowOrAMissingCFigureFails() {
        WorkloadResult failed = new WorkloadResult(ROSENBROCK, 1000, Optional.of("our gradient disagrees"), Map.of(),
                List.of(), Optional.empty(), Double.NaN, Optional.empty(), -1, -1, -1);
        assertFalse(Gates.judge(failed, Gates.TARGET_C_RATIO).passed());
        WorkloadResult noC = new WorkloadResult(ROSENBROCK, 3, Optional.empty(),
                Map.of(Column.C_WORKER, WorkloadResult.Cell.failed(Column.C_WORKER, "FAILED to build: clang-19")),
                List.of(), Optional.empty(), Double.NaN, Optional.empty(), -1, -1, -1);
        assertEquals(List.of("no C+worker figure to compare with: FAILED to build: clang-19"),
                Gates.judge(noC, Gates.TARGET_C_RATIO).failures());
    }

    @Test
    void theJunitReportCountsOneCasePerWorkload(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bench.xml");
        JunitReport.write(List.of(Gates.judge(result(1000, 0.9, 2), Gates.TARGET_C_RATIO),
                Gates.judge(result(1000, 0.5, 2), Gates.TARGET_C_RATIO)), file);
        String xml = Files.readString(file);
        assertTrue(xml.contains("tests=\"2\" failures=\"1\""), xml);
        assertTrue(xml.contains("<failure message=\"our gradient is 2.00x the time of C+worker&apos;s".replace("&apos;", "'")), xml);
    }
}
