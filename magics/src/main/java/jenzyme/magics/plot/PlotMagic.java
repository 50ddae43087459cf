package jenzyme.magics.plot;

import java.util.List;
import java.util.Set;
import jenzyme.magics.MagicLine;
import jenzyme.magics.SyntaxMagic;
import jenzyme.magics.UserMethod;
import jenzyme.magics.binding.CompilerSession;
import jenzyme.magics.binding.VectorFunctions;
import jenzyme.runtime.error.Messages;
import jenzyme.visualization.Figure;
import jenzyme.visualization.Plots;

/**
 * {@code %plot f --x a:b [--y c:d [--grad]] [--at x1,...,xn --coord i]}: plots a cell method with its compiled
 * derivative. One variable: f and f' on [a, b]. Two variables with {@code --y}: a heat map of f, or of |∇f| with
 * {@code --grad}. Otherwise a slice through the point {@code --at} along coordinate {@code --coord}, with the
 * partial derivative.
 */
public final class PlotMagic extends SyntaxMagic {

    static final MagicLine.Syntax SYNTAX = new MagicLine.Syntax(
            "%plot <method> [lambda=<variable> ...] --x a:b [--y c:d [--grad]] [--at x1,...,xn --coord i] [--title text]",
            """
            Plots a cell method with its compiled derivative:

                %plot wave --x -3:3                      // f and f' for double wave(double x)
                %plot bowl --x -2:2 --y -1:3 [--grad]    // heat map of f (or |∇f|) for double bowl(double x, double y)
                %plot rosen --at 1,1,1 --coord 0 --x -1:2 // slice of f(double[] p) with the partial ∂f/∂p0
                %plot euler f=decay --x 0:2              // a lambda parameter f fixed to the notebook variable decay
            """,
            List.of("method"), Set.of("x", "y", "at", "coord", "title"), Set.of("grad", "verbose"));

    private final CompilerSession compiler;

    public PlotMagic(CompilerSession compiler) {
        super(SYNTAX);
        this.compiler = compiler;
    }

    @Override
    protected Object run(MagicLine line) {
        UserMethod method = compiler.method(line.positional(0));
        double[] x = MagicLine.range(line.option("x").orElseThrow(() -> new IllegalArgumentException(
                Messages.PLOT_NEEDS_X.format(SYNTAX.usage()))), "--x");
        VectorFunctions f = compiler.sampled(method, line.assignments());
        String title = line.option("title").orElse(method.name());

        if (line.option("y").isPresent()) {
            requireDimension(f, 2, method, "--y (a heat map)");
            double[] y = MagicLine.range(line.option("y").get(), "--y");
            return line.flag("grad")
                    ? Plots.gradientNorm(f.gradient(), x[0], x[1], y[0], y[1]).title("|∇" + title + "|")
                    : Plots.heatMap(f.value(), x[0], x[1], y[0], y[1]).title(title);
        }
        if (line.option("at").isEmpty() && f.dimension() == 1) {
            return Plots.function(t -> f.value().applyAsDouble(new double[] {t}),
                    t -> f.gradient().apply(new double[] {t})[0], x[0], x[1]).title(title);
        }
        double[] at = MagicLine.numbers(line.option("at").orElseThrow(() -> new IllegalArgumentException(
                Messages.PLOT_NEEDS_SLICE.format(method.name()))), "--at");
        if (f.dimension() >= 0 && at.length != f.dimension()) {
            throw new IllegalArgumentException(Messages.PLOT_AT_DIMENSION.format(f.dimension(), at.length));
        }
        int coordinate = (int) MagicLine.numbers(line.option("coord").orElse("0"), "--coord")[0];
        if (coordinate < 0 || coordinate >= at.length) {
            throw new IllegalArgumentException(Messages.PLOT_COORD_RANGE.format((at.length - 1), coordinate));
        }
        return Plots.slice(f.value(), f.gradient(), at, coordinate, x[0], x[1]).title(title);
    }

    private static void requireDimension(VectorFunctions f, int dimension, UserMethod method, String what) {
        if (f.dimension() != dimension) {
            throw new IllegalArgumentException(Messages.PLOT_PARAMETER_COUNT.format(what, method.name(), dimension));
        }
    }
}
