package jenzyme.runtime.lower;

/** Where lowered loops poll the interrupt flag. */
public enum LoopPolling {

    /**
     * At every loop header, every iteration. Not for derivatives' nested loops: strip-mined, they made Enzyme
     * allocate caches per outer iteration (LogReg's reverse gradient 2-4x slower with every loop strip-mined, ~2x
     * with innermost loops only).
     */
    EVERY_ITERATION,

    /** Once per chunk of iterations where {@link LoopShapes} can strip-mine the loop: for {@code %jit}'s primal. */
    CHUNKED,

    /**
     * {@link #CHUNKED} for loops that neither hold nor sit in another loop, every iteration in the others: for
     * modules Enzyme differentiates. Measured (./bench, load 15-16, 2 runs each): Rosenbrock n=10^6's --fast-math
     * reverse gradient took 0.72-0.79x the strict one's time instead of 1.15-2.39x (its loop vectorises), the
     * strict one about the same; LogReg unchanged.
     */
    UNNESTED_CHUNKED
}
