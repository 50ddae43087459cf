package jenzyme.magics.gradcheck;

import java.util.List;
import java.util.Set;
import jenzyme.magics.MagicLine;
import jenzyme.magics.SyntaxMagic;
import jenzyme.magics.UserMethod;
import jenzyme.magics.binding.CompilerSession;
import jenzyme.magics.binding.VectorFunctions;
import jenzyme.runtime.error.Messages;

/**
 * {@code %gradcheck f [at x1,x2,...] [--points K] [--dim n] [--box lo:hi] [--eps h] [--tol r] [--seed s]}: central
 * finite differences of the JVM's {@code f} against its compiled reverse-mode gradient; renders the table.
 */
public final class GradcheckMagic extends SyntaxMagic {

    static final MagicLine.Syntax SYNTAX = new MagicLine.Syntax(
            "%gradcheck <method> [lambda=<variable> ...] [at x1,x2,...] [--points K] [--dim n] [--box lo:hi] [--eps h]"
                    + " [--tol r] [--seed s]",
            """
            Compares the compiled gradient of `f(double[] p)` or `f(double x1, ..., double xn)` with central finite
            differences of the JVM's own f, and shows a table per component (AD, FD, errors, pass/fail).

                %gradcheck rosen at 0.5,-0.3,1.2
                %gradcheck rosen --points 5 --dim 10 --box -2:2
                %gradcheck bowl --tol 1e-8

            A lambda (functional-interface) parameter is fixed to the object of a notebook variable:
            `%gradcheck euler f=decay at 1,0.5` for `double euler(DoubleBinaryOperator f, double y0, double t1)`
            and `var decay = (DoubleBinaryOperator) (t, y) -> -k * y;` (the coordinates are y0, t1).
            """,
            List.of("method"), Set.of("at", "points", "dim", "box", "eps", "tol", "seed"), Set.of("verbose"));

    /** Points × dimension: each is a table row and 4 evaluations of f, so more is never what anyone wants to read. */
    static final int MAX_COMPONENTS = 10_000;

    private final CompilerSession compiler;

    public GradcheckMagic(CompilerSession compiler) {
        super(SYNTAX);
        this.compiler = compiler;
    }

    @Override
    protected Object run(MagicLine line) {
        double[] at = line.option("at").map(text -> MagicLine.numbers(text, "the point after 'at'")).orElse(null);
        UserMethod method = compiler.method(line.positional(0));
        VectorFunctions f = compiler.sampled(method, line.assignments());

        GradCheck check = GradCheck.of(f.value(), f.gradient());
        if (at != null) {
            check = check.at(at);
        } else {
            int dimension = line.option("dim").map(d -> (int) number(d, "--dim"))
                    .orElseGet(() -> {
                        if (f.dimension() < 0) {
                            throw new IllegalArgumentException(Messages.GRADCHECK_NEEDS_POINT.format(method.name()));
                        }
                        return f.dimension();
                    });
            double[] box = MagicLine.range(line.option("box").orElse("-1:1"), "--box");
            if (f.dimension() >= 0 && dimension != f.dimension()) {
                throw new IllegalArgumentException(Messages.GRADCHECK_DIM_MISFIT.format(method.name(), f.dimension(), dimension));
            }
            int points = (int) number(line.option("points").orElse("3"), "--points");
            if (points < 1 || dimension < 1 || (long) points * dimension > MAX_COMPONENTS) {
                throw new IllegalArgumentException(Messages.GRADCHECK_TOO_MANY_ROWS.format(MAX_COMPONENTS, points, dimension));
            }
            check = check.randomPoints(points, dimension, box[0], box[1]);
        }
        if (f.dimension() >= 0 && at != null && at.length != f.dimension()) {
            throw new IllegalArgumentException(Messages.GRADCHECK_POINT_DIMENSION.format(f.dimension(), method.name(), at.length));
        }
        if (line.option("eps").isPresent()) {
            check = check.step(number(line.option("eps").get(), "--eps"));
        }
        if (line.option("tol").isPresent()) {
            check = check.tolerance(number(line.option("tol").get(), "--tol"));
        }
        if (line.option("seed").isPresent()) {
            check = check.seed((long) number(line.option("seed").get(), "--seed"));
        }
        return check.run();
    }


    private static double number(String text, String what) {
        double[] values = MagicLine.numbers(text, what);
        if (values.length != 1 || !Double.isFinite(values[0])) {
            throw new IllegalArgumentException(Messages.NOT_A_NUMBER.format(what, text));
        }
        return values[0];
    }
}
