package jenzyme.runtime.ad;

import java.util.Optional;

/**
 * What {@code Pipeline.jacobian} compiles.
 *
 * @param wrt      the input array x (default: the first {@code double[]} parameter that is not the output)
 * @param out      the output array y of a void method (default: its last {@code double[]} parameter)
 * @param mode     forward or reverse only; empty compiles both and picks forward when y is longer than x
 * @param width    lanes per sweep (Enzyme's vector mode): columns per forward sweep, rows per reverse sweep (one
 *                 lane when a derivative rule is registered), 1..{@link CallingConvention#MAX_WIDTH}
 * @param fastMath as {@link DifferentiationOptions#fastMath()}
 * @param dense    never compress: every forward sweep seeds {@code width} unit columns, even when the traced sparsity
 *                 pattern ({@code jenzyme.runtime.sparse.DependencyTracer}) would need fewer sweeps
 */
public record JacobianOptions(Optional<String> wrt, Optional<String> out, Optional<Mode> mode, int width,
                              boolean fastMath, boolean dense) {

    /** Both modes, 8 lanes per forward sweep (measured on the 20×20 ODE right-hand side of ./bench), compressed. */
    public static final JacobianOptions DEFAULT =
            new JacobianOptions(Optional.empty(), Optional.empty(), Optional.empty(), 8, false, false);

    public JacobianOptions withMode(Mode value) {
        return new JacobianOptions(wrt, out, Optional.of(value), width, fastMath, dense);
    }

    public JacobianOptions withWidth(int value) {
        return new JacobianOptions(wrt, out, mode, value, fastMath, dense);
    }

    public JacobianOptions withWrt(String value) {
        return new JacobianOptions(Optional.of(value), out, mode, width, fastMath, dense);
    }

    public JacobianOptions withOut(String value) {
        return new JacobianOptions(wrt, Optional.of(value), mode, width, fastMath, dense);
    }

    public JacobianOptions withFastMath(boolean value) {
        return new JacobianOptions(wrt, out, mode, width, value, dense);
    }

    public JacobianOptions withDense(boolean value) {
        return new JacobianOptions(wrt, out, mode, width, fastMath, value);
    }
}
