package jenzyme.runtime.lower;

/** Where lowered loops poll the interrupt flag. */
public enum LoopPolling {

    /**
     * At every loop header, every iteration: for strict tangents and the derivatives of methods taking lambdas.
     * The worker's pre-AD O2 keeps loops scalar: Enzyme has no derivative for {@code llvm.vector.reduce.fmaximum}
     * (a Math.max loop) nor {@code reduce.fmul} (a product loop, --fast-math).
     */
    EVERY_ITERATION,

    /** Once per chunk of iterations where {@link LoopShapes} can strip-mine the loop: for {@code %jit}'s primal. */
    CHUNKED,

    /**
     * For gradients and {@code --fast-math} derivatives: a versioned loop that neither holds nor sits in another
     * loop runs in chunks of its unchecked copy when it has at least {@link LoopShapes#LONG_TRIPS} iterations left
     * on entry, so its derivative vectorises; with fewer, or once a chunk's indices cannot be proved in range, it
     * runs in the checked copy, which polls every iteration and is not strip-mined. Every other loop polls every
     * iteration. Why the trip count matters: a strip-mined loop costs Enzyme a cache of chunk starts, allocated on
     * the first chunk of each call. Measured with one native driver on Rosenbrock's reverse gradient (--fast-math,
     * load 12): strip-mined against per-iteration n=8 0.10 vs 0.06 us, n=32 0.20 vs 0.19, n=64 0.23 vs 0.31,
     * n=1000 2.41 vs 4.71, n=10^6 2.6 vs 4.9 ms; strip-mining every unnested loop made the 20-state Lorenz-96
     * Jacobian of ./bench 2-4x slower, and strip-mined nested loops LogReg's reverse gradient 2-4x slower.
     * Strict gradients gain as much once their failures unwind (docs/DERIVATIVES.md).
     */
    CHUNKED_WHEN_LONG
}
