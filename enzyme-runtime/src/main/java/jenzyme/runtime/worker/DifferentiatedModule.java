package jenzyme.runtime.worker;

import jenzyme.runtime.ad.WrapperSignature;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The worker's result, the JIT stage's input: the optimised module (bitcode; or the module before its
 * optimisation, with {@code postOptimisation} naming the passes) with the original function, the
 * derivative inlined into its C-ABI wrapper, and how long each phase took. Immutable.
 *
 * @param overwriting    the second wrapper, {@code <symbol>_set}, with {@code wrapper}'s parameters and slots but
 *                       writing each shadow with the gradient instead of adding to it, when the request asked for it
 *                       and the worker could make it
 * @param overwritingParts its parts form, {@code <symbol>_set_parts}: its parameters, then {@code int part, int
 *                       parts}; part {@code part} of {@code parts} of the work (PROTOCOL.md), when the worker made it
 * @param timings        per phase, in pipeline order (no {@code PRE_OPT} entry when AD ran before optimisation, no
 *                       {@code POST_OPT} entry when it was deferred)
 * @param postOptimisation the LLVM pass pipeline still to run on {@code bitcode} before its full code is generated,
 *                       when the request deferred it ({@code DifferentiationOptions#withDeferredPostOptimisation})
 * @param irBeforeEnzyme the module's IR as Enzyme received it, when requested
 * @param irAfterEnzyme  the module's IR after Enzyme and the wrapper, before O3, when requested
 */
public record DifferentiatedModule(
        byte[] bitcode,
        WrapperSignature wrapper,
        Optional<WrapperSignature> overwriting,
        Optional<String> overwritingParts,
        Map<Phase, Duration> timings,
        Optional<String> postOptimisation,
        Optional<String> irBeforeEnzyme,
        Optional<String> irAfterEnzyme) {

    public DifferentiatedModule {
        bitcode = bitcode.clone();
        Objects.requireNonNull(wrapper, "wrapper");
        Objects.requireNonNull(overwriting, "overwriting");
        Objects.requireNonNull(overwritingParts, "overwritingParts");
        var ordered = new EnumMap<Phase, Duration>(Phase.class);
        ordered.putAll(timings);
        timings = Collections.unmodifiableMap(ordered);
        Objects.requireNonNull(postOptimisation, "postOptimisation");
        Objects.requireNonNull(irBeforeEnzyme, "irBeforeEnzyme");
        Objects.requireNonNull(irAfterEnzyme, "irAfterEnzyme");
    }

    @Override
    public byte[] bitcode() {
        return bitcode.clone();
    }

    public Duration totalTime() {
        return timings.values().stream().reduce(Duration.ZERO, Duration::plus);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof DifferentiatedModule that
                && Arrays.equals(bitcode, that.bitcode)
                && wrapper.equals(that.wrapper)
                && overwriting.equals(that.overwriting)
                && overwritingParts.equals(that.overwritingParts)
                && timings.equals(that.timings)
                && postOptimisation.equals(that.postOptimisation)
                && irBeforeEnzyme.equals(that.irBeforeEnzyme)
                && irAfterEnzyme.equals(that.irAfterEnzyme);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(bitcode), wrapper, overwriting, overwritingParts, timings, postOptimisation, irBeforeEnzyme,
                irAfterEnzyme);
    }

    @Override
    public String toString() {
        return "DifferentiatedModule[" + wrapper.symbol() + ", " + bitcode.length + " bytes, " + timings + "]";
    }
}
