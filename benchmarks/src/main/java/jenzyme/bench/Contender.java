package jenzyme.bench;

/**
 * One implementation of a workload, ready to check and time.
 *
 * @param result what one call computed, checked against the reference before any timing
 * @param scale  per-call time multiplier: the full gradient's cost when a call computes only part of it
 *               (finite differences of the first components at n = 10^6)
 * @param note   said next to the number, e.g. why it is an estimate; empty for most
 * @param reseat moves the contender to freshly placed arrays ({@link Placement}) before a round; does nothing for
 *               contenders whose arrays are not ours to place
 */
public record Contender(Column column, Timer timer, Evaluation result, double scale, String note, Runnable reseat) {

    public Contender(Column column, Timer timer, Evaluation result) {
        this(column, timer, result, 1.0, "", () -> {});
    }

    public Contender(Column column, Timer timer, Evaluation result, double scale, String note) {
        this(column, timer, result, scale, note, () -> {});
    }
}
