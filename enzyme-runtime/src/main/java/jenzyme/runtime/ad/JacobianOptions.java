package jenzyme.runtime.ad;

import java.util.Optional;

/**
 * What {@code Pipeline.jacobian} compiles.
 *
 * @param wrt      the input array x (default: the first {@code double[]} parameter that is not the output)
 * @param out      the output array y of a void method (default: its last {@code double[]} parameter)
 * @param mode     forward or reverse only; empty compiles both and picks forward when y is longer than x
 * @param width    lanes per forward sweep (Enzyme's vector mode), 1..{@link CallingConvention#MAX_WIDTH}
 * @param fastMath as {@link DifferentiationOptions#fastMath()}
 */
public record JacobianOptions(Optional<String> wrt, Optional<String> out, Optional<Mode> mode, int width,
                              boolean fastMath) {

    /** Both modes, 8 lanes per forward sweep (measured on the 20×20 ODE right-hand side of ./bench). */
    public static final JacobianOptions DEFAULT =
            new JacobianOptions(Optional.empty(), Optional.empty(), Optional.empty(), 8, false);

    public JacobianOptions withMode(Mode value) {
        return new JacobianOptions(wrt, out, Optional.of(value), width, fastMath);
    }

    public JacobianOptions withWidth(int value) {
        return new JacobianOptions(wrt, out, mode, value, fastMath);
    }

    public JacobianOptions withWrt(String value) {
        return new JacobianOptions(Optional.of(value), out, mode, width, fastMath);
    }

    public JacobianOptions withOut(String value) {
        return new JacobianOptions(wrt, Optional.of(value), mode, width, fastMath);
    }

    public JacobianOptions withFastMath(boolean value) {
        return new JacobianOptions(wrt, out, mode, width, value);
    }
}
