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
 */
public record DifferentiationOptions(
        boolean primalReturn,
        boolean adBeforeOptimisation,
        boolean dumpIr,
        boolean fastMath,
        Optional<String> wrapperSymbol,
        boolean tapeMathResults) {

    public static final DifferentiationOptions DEFAULT =
            new DifferentiationOptions(true, false, false, false, Optional.empty(), true);

    public DifferentiationOptions {
        wrapperSymbol.ifPresent(symbol -> {
            if (symbol.isEmpty() || symbol.contains("\n") || symbol.contains("\0")) {
                throw new IllegalArgumentException(Messages.NOT_A_SYMBOL_NAME.format(symbol));
            }
        });
    }

    public DifferentiationOptions withPrimalReturn(boolean value) {
        return new DifferentiationOptions(value, adBeforeOptimisation, dumpIr, fastMath, wrapperSymbol, tapeMathResults);
    }

    public DifferentiationOptions withAdBeforeOptimisation(boolean value) {
        return new DifferentiationOptions(primalReturn, value, dumpIr, fastMath, wrapperSymbol, tapeMathResults);
    }

    public DifferentiationOptions withDumpIr(boolean value) {
        return new DifferentiationOptions(primalReturn, adBeforeOptimisation, value, fastMath, wrapperSymbol, tapeMathResults);
    }

    public DifferentiationOptions withFastMath(boolean value) {
        return new DifferentiationOptions(primalReturn, adBeforeOptimisation, dumpIr, value, wrapperSymbol, tapeMathResults);
    }

    public DifferentiationOptions withWrapperSymbol(String symbol) {
        return new DifferentiationOptions(primalReturn, adBeforeOptimisation, dumpIr, fastMath, Optional.of(symbol), tapeMathResults);
    }

    /**
     * Whether the worker tapes the results of expensive math calls for the reverse sweep (worker/src/kept_results.rs).
     * Off for the gradient that hvp differentiates again: Enzyme's forward mode over a gradient whose loop tapes
     * {@code exp} results refused it as "mixed activity" on the tape's growing allocation (sqrt, recomputed, was
     * fine); recomputing them in that gradient's reverse sweep costs one call per iteration.
     */
    public DifferentiationOptions withTapedMathResults(boolean value) {
        return new DifferentiationOptions(primalReturn, adBeforeOptimisation, dumpIr, fastMath, wrapperSymbol, value);
    }
}
