package jenzyme.runtime.ad;

import java.util.Optional;
import jenzyme.runtime.error.Messages;

/**
 * How (not what) to differentiate.
 *
 * @param primalReturn         also store the primal return value in the wrapper's first output slot
 * @param adBeforeOptimisation skip the pre-AD optimisation (the benchmark measures what optimising first buys)
 * @param dumpIr               return the module's IR just before and just after Enzyme
 * @param fastMath             {@code --fast-math}: reassociation and contraction ({@code reassoc contract}) allowed on
 *                             all floating-point arithmetic, the primal's (frontend) and the derivative's (worker),
 *                             so reductions vectorise and multiply-adds fuse. Results then differ from the JVM's by
 *                             rounding within the tolerance of docs/DERIVATIVES.md; NaN, infinities and signed zeros
 *                             keep their meaning. Off (the default): results round as Java's
 * @param wrapperSymbol        overrides the wrapper's default name {@code <fn>__jenzyme_<mode>} when present
 * @param tapeMathResults      see {@link #withTapedMathResults}
 * @param runtimeActivity      see {@link #withRuntimeActivity}
 * @param deferFailureChecks   see {@link #withDeferredFailureChecks}
 * @param overwrite            see {@link #withOverwrite}
 * @param deferPostOptimisation see {@link #withDeferredPostOptimisation}
 */
public record DifferentiationOptions(
        boolean primalReturn,
        boolean adBeforeOptimisation,
        boolean dumpIr,
        boolean fastMath,
        Optional<String> wrapperSymbol,
        boolean tapeMathResults,
        boolean runtimeActivity,
        boolean deferFailureChecks,
        boolean overwrite,
        boolean deferPostOptimisation) {

    public static final DifferentiationOptions DEFAULT =
            new DifferentiationOptions(true, false, false, false, Optional.empty(), true, false, false, false, false);

    public DifferentiationOptions {
        wrapperSymbol.ifPresent(symbol -> {
            if (symbol.isEmpty() || symbol.contains("\n") || symbol.contains("\0")) {
                throw new IllegalArgumentException(Messages.NOT_A_SYMBOL_NAME.format(symbol));
            }
        });
    }

    /** The switches, for {@link #with}: each names one boolean component. */
    private enum Switch {
        PRIMAL_RETURN, AD_BEFORE_OPTIMISATION, DUMP_IR, FAST_MATH, TAPE_MATH_RESULTS, RUNTIME_ACTIVITY,
        DEFER_FAILURE_CHECKS, OVERWRITE, DEFER_POST_OPTIMISATION
    }

    /** These options with {@code changed} set to {@code value}: the one copy every boolean wither makes. */
    private DifferentiationOptions with(Switch changed, boolean value) {
        return new DifferentiationOptions(
                changed == Switch.PRIMAL_RETURN ? value : primalReturn,
                changed == Switch.AD_BEFORE_OPTIMISATION ? value : adBeforeOptimisation,
                changed == Switch.DUMP_IR ? value : dumpIr,
                changed == Switch.FAST_MATH ? value : fastMath,
                wrapperSymbol,
                changed == Switch.TAPE_MATH_RESULTS ? value : tapeMathResults,
                changed == Switch.RUNTIME_ACTIVITY ? value : runtimeActivity,
                changed == Switch.DEFER_FAILURE_CHECKS ? value : deferFailureChecks,
                changed == Switch.OVERWRITE ? value : overwrite,
                changed == Switch.DEFER_POST_OPTIMISATION ? value : deferPostOptimisation);
    }

    public DifferentiationOptions withPrimalReturn(boolean value) {
        return with(Switch.PRIMAL_RETURN, value);
    }

    public DifferentiationOptions withAdBeforeOptimisation(boolean value) {
        return with(Switch.AD_BEFORE_OPTIMISATION, value);
    }

    public DifferentiationOptions withDumpIr(boolean value) {
        return with(Switch.DUMP_IR, value);
    }

    public DifferentiationOptions withFastMath(boolean value) {
        return with(Switch.FAST_MATH, value);
    }

    public DifferentiationOptions withWrapperSymbol(String symbol) {
        return new DifferentiationOptions(primalReturn, adBeforeOptimisation, dumpIr, fastMath, Optional.of(symbol),
                tapeMathResults, runtimeActivity, deferFailureChecks, overwrite, deferPostOptimisation);
    }

    /**
     * Whether the worker tapes the results of expensive math calls for the reverse sweep (worker/src/kept_results.rs).
     * Off for the gradient that hvp differentiates again: Enzyme's forward mode over a gradient whose loop tapes
     * {@code exp} results refused it as "mixed activity" on the tape's growing allocation (sqrt, recomputed, was
     * fine); recomputing them in that gradient's reverse sweep costs one call per iteration.
     */
    public DifferentiationOptions withTapedMathResults(boolean value) {
        return with(Switch.TAPE_MATH_RESULTS, value);
    }

    /**
     * Enzyme's runtime activity: a pointer whose activity Enzyme cannot prove (active or constant) is checked when
     * the code runs, a shadow equal to its primal meaning constant, instead of being refused as "mixed activity".
     * For the forward sweep of an hvp over a gradient that allocates in a loop only (Pipeline asks again with it
     * after that refusal): the checks cost time wherever such a pointer is used.
     */
    public DifferentiationOptions withRuntimeActivity(boolean value) {
        return with(Switch.RUNTIME_ACTIVITY, value);
    }

    /**
     * Leaves the gradient's failure checks (a throw, a bounds check: each writes the status block and unwinds to the
     * call's guard) as Enzyme saw them, out of line, for a gradient that is differentiated again (hvp): its forward
     * sweep then sees them as calls that return, as the first sweep did, and the worker inlines them after it. Inlined
     * after the first sweep, Enzyme's forward mode took the paths to them for unreachable and deleted the exceptions.
     */
    public DifferentiationOptions withDeferredFailureChecks(boolean value) {
        return with(Switch.DEFER_FAILURE_CHECKS, value);
    }

    /**
     * Reverse mode: asks the worker for a second wrapper that writes each shadow with the gradient ({@code =})
     * instead of adding to it, when it can make one (PROTOCOL.md, {@code overwrite}); the derivative answers
     * {@link jenzyme.runtime.worker.DifferentiatedModule#overwriting()} then. Without one, the binding zeroes the
     * shadows and calls the accumulating wrapper ({@code bind.ShadowZeroing}).
     */
    public DifferentiationOptions withOverwrite(boolean value) {
        return with(Switch.OVERWRITE, value);
    }

    /**
     * Leaves the post-AD pipeline to the JIT: the worker answers with the module as Enzyme left it and names the
     * passes still to run ({@link jenzyme.runtime.worker.DifferentiatedModule#postOptimisation()}). A notebook's JIT
     * ({@link jenzyme.runtime.jit.OrcJit#createQuickFirst}) compiles quick code from that module at once and runs the
     * passes with the full tier, so a magic no longer waits for them.
     */
    public DifferentiationOptions withDeferredPostOptimisation(boolean value) {
        return with(Switch.DEFER_POST_OPTIMISATION, value);
    }
}
