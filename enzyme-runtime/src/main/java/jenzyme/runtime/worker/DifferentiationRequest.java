package jenzyme.runtime.worker;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.Argument;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.error.Messages;

/**
 * What the frontend hands the worker: an LLVM 19 bitcode module, the function in it to differentiate, the mode and
 * per-parameter types and activities. Immutable (the bitcode is copied in and out). Which activities each mode
 * admits is checked by the worker, which answers with a {@link jenzyme.runtime.error.DifferentiationException} naming
 * the offending parameter.
 *
 * @param width lanes of vector mode: tangents per forward sweep, or cotangents per reverse sweep (no active scalar or
 *              return then: an adjoint per lane has no slot)
 */
public record DifferentiationRequest(
        byte[] bitcode,
        String function,
        Mode mode,
        int width,
        List<Argument> arguments,
        Activity returnActivity,
        DifferentiationOptions options) {

    public DifferentiationRequest {
        Objects.requireNonNull(bitcode, "bitcode");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(returnActivity, "returnActivity");
        Objects.requireNonNull(options, "options");
        if (function == null || function.isEmpty() || function.contains("\n")) {
            throw new IllegalArgumentException(Messages.NOT_A_FUNCTION_NAME.format(function));
        }
        if (width < 1 || width > 64) {
            throw new IllegalArgumentException(Messages.FORWARD_WIDTH.format(width, mode.token()));
        }
        if (mode == Mode.REVERSE && width != 1 && (returnActivity == Activity.ACTIVE
                || arguments.stream().anyMatch(a -> a.activity() == Activity.ACTIVE))) {
            throw new IllegalArgumentException(Messages.REVERSE_WIDTH.format(width));
        }
        bitcode = bitcode.clone();
        arguments = List.copyOf(arguments);
    }

    /** Reverse mode: gradients of a scalar-returning function (return {@link Activity#ACTIVE}) or of a void one. */
    public static DifferentiationRequest reverse(
            byte[] bitcode, String function, List<Argument> arguments, Activity returnActivity) {
        return new DifferentiationRequest(
                bitcode, function, Mode.REVERSE, 1, arguments, returnActivity, DifferentiationOptions.DEFAULT);
    }

    /** Forward mode with {@code width} tangent lanes per call. */
    public static DifferentiationRequest forward(
            byte[] bitcode, String function, int width, List<Argument> arguments, Activity returnActivity) {
        return new DifferentiationRequest(
                bitcode, function, Mode.FORWARD, width, arguments, returnActivity, DifferentiationOptions.DEFAULT);
    }

    public DifferentiationRequest withOptions(DifferentiationOptions newOptions) {
        return new DifferentiationRequest(bitcode, function, mode, width, arguments, returnActivity, newOptions);
    }

    @Override
    public byte[] bitcode() {
        return bitcode.clone();
    }

    /** The request's bitcode without a copy, for the encoder only. */
    byte[] bitcodeView() {
        return bitcode;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof DifferentiationRequest that
                && Arrays.equals(bitcode, that.bitcode)
                && function.equals(that.function)
                && mode == that.mode
                && width == that.width
                && arguments.equals(that.arguments)
                && returnActivity == that.returnActivity
                && options.equals(that.options);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(bitcode), function, mode, width, arguments, returnActivity, options);
    }

    @Override
    public String toString() {
        return "DifferentiationRequest[" + function + ", " + mode.token() + (width > 1 ? " x" + width : "")
                + ", " + arguments.stream().map(Argument::token).toList() + " -> " + returnActivity.token()
                + ", " + bitcode.length + " bytes of bitcode, " + options + "]";
    }
}
