package jenzyme.runtime.lower;

/** Where lowered loops poll the interrupt flag. */
public enum LoopPolling {

    /**
     * At every loop header, every iteration: for modules Enzyme differentiates. With loops strip-mined, LLVM
     * vectorised them before Enzyme despite the worker's pre-AD tuning, and Enzyme has no derivative for
     * {@code llvm.vector.reduce.fmaximum}/{@code fminimum} (a Math.max loop, strict) nor {@code reduce.fmul}
     * (a product loop, --fast-math): the worker refused them. Strip-mined nested loops also made Enzyme allocate
     * caches per outer iteration (LogReg's reverse gradient 2-4x slower).
     */
    EVERY_ITERATION,

    /** Once per chunk of iterations where {@link LoopShapes} can strip-mine the loop: for {@code %jit}'s primal. */
    CHUNKED
}
