package jenzyme.bench;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything measured for one workload: a cell per column, the correctness checks, compile latency and memory.
 *
 * @param gradientSize    how many components the gradient has (every differentiated scalar and array element)
 * @param failure         why the whole row failed (our gradient could not be built or disagrees with finite
 *                        differences of the Java method), if it did
 * @param latency         {@code %autodiff reverse} compile latency, when our gradient was built
 * @param jaxCompileMillis JAX's first call (trace + XLA compile + run), or NaN
 * @param jaxThreads      how many threads JAX's compiled code runs on, when JAX loaded the workload
 * @param jvmPeakKb       peak RSS of this JVM during the workload (kB)
 * @param workerPeakKb    peak RSS of the workload's worker process (kB)
 * @param jaxPeakKb       peak RSS of the JAX process during the workload (kB)
 */
public record WorkloadResult(Workload workload, int gradientSize, Optional<String> failure, Map<Column, Cell> cells, List<Check> checks,
                             Optional<OurPipeline.Latency> latency, double jaxCompileMillis,
                             Optional<JaxProcess.Threads> jaxThreads, long jvmPeakKb,
                             long workerPeakKb, long jaxPeakKb) {

    /** Relative spread (IQR / median) above which a number is flagged as noisy. */
    public static final double NOISY = 0.10;

    /**
     * One table cell.
     *
     * @param seconds per-call time over the rounds (absent when not timed)
     * @param ratio   per-round time / our reverse gradient's time in the same round
     * @param fastestRatio this contender's fastest sample / the fastest of our reverse gradient's samples taken right
     *                     before its own: each side at the placement that suits it best ({@link Gates})
     * @param problem why there is no number: a failed check or build, or "n/a"
     */
    public record Cell(Column column, Optional<Quartiles> seconds, Optional<Quartiles> ratio,
                       Optional<Double> fastestRatio, String note, Optional<String> problem) {

        static Cell timed(Column column, Quartiles seconds, Quartiles ratio, double fastestRatio, String note) {
            return new Cell(column, Optional.of(seconds), Optional.of(ratio), Optional.of(fastestRatio), note,
                    Optional.empty());
        }

        static Cell failed(Column column, String problem) {
            return new Cell(column, Optional.empty(), Optional.empty(), Optional.empty(), "", Optional.of(problem));
        }

        public boolean noisy() {
            return ratio.map(r -> r.relativeSpread() > NOISY).orElse(false)
                    || (column == Column.REVERSE && seconds.map(s -> s.relativeSpread() > NOISY).orElse(false));
        }

        public boolean estimated() {
            return !note.isEmpty();
        }
    }

    public Optional<Cell> cell(Column column) {
        return Optional.ofNullable(cells.get(column));
    }
}
