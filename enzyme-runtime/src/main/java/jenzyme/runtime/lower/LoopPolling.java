package jenzyme.runtime.lower;

/** Where lowered loops poll the interrupt flag. */
public enum LoopPolling {

    /**
     * At every loop header, every iteration: for modules Enzyme differentiates. Strip-mined nested loops made
     * Enzyme allocate caches per outer iteration (LogReg's reverse gradient 2-4x slower). Strip-mined loops were
     * also vectorised before Enzyme, which has no derivative for {@code llvm.vector.reduce.fmaximum} (a Math.max
     * loop) nor {@code reduce.fmul} (a product loop, --fast-math); the worker's pre-AD O2 now keeps loops scalar.
     */
    EVERY_ITERATION,

    /** Once per chunk of iterations where {@link LoopShapes} can strip-mine the loop: for {@code %jit}'s primal. */
    CHUNKED
}
