package jenzyme.magics.gradcheck;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import jenzyme.runtime.error.Messages;

/**
 * Gradient-check stage: checks a gradient against central finite differences. Immutable options, then
 * {@link #run()}:
 *
 * <pre>{@code
 * GradCheck.of(x -> rosen(x), x -> rosen_grad(x)).at(new double[] {-1.2, 1}).run();
 * GradCheck.of(f, g).randomPoints(5, 3, -2, 2).seed(7).tolerance(1e-8).run();
 * }</pre>
 *
 * <p>Verdict per component: with D the finite difference, e its estimated error ({@link CentralDifference}) and
 * g the checked value, the component passes when
 * <pre>  |g − D| ≤ max(rtol · max(|g|, |D|), 10 · e)</pre>
 * i.e. when the two agree to a relative tolerance, or when their difference is within what finite differences can
 * resolve at this point. The reported relative error is |g − D| / max(|g|, |D|, 10·e / rtol), so that
 * "rel err ≤ rtol" is exactly the pass test. Why the floor: a plain |g − D| / max(|g|, |D|) blows up where the
 * derivative is zero (a minimum, a coordinate f does not depend on): there D is pure finite-difference error,
 * about h², and the quotient is O(1) for a correct gradient. A fixed absolute floor (PyTorch's atol) has the
 * opposite defect, passing anything for functions of small scale. The floor from the error estimate scales with f.
 * The factor 10 covers the estimate's own roughness (it omits higher-order terms).
 *
 * <p>Limitation: within 2h of a kink (|x|, max, a branch) the two difference quotients disagree, the error estimate
 * is large and the check is lenient there; random points avoid kinks almost surely.
 */
public final class GradCheck {

    public static final double DEFAULT_TOLERANCE = 1e-6;
    public static final long DEFAULT_SEED = 42;
    static final double NOISE_SAFETY = 10;

    /** Uniform random points in the box [lower, upper]. */
    private record RandomBox(int count, double[] lower, double[] upper) {
    }

    private final ToDoubleFunction<double[]> f;
    private final Function<double[], double[]> gradient;
    private final List<double[]> points;
    private final RandomBox random;
    private final long seed;
    private final double step;
    private final double tolerance;

    private GradCheck(ToDoubleFunction<double[]> f, Function<double[], double[]> gradient, List<double[]> points,
                      RandomBox random, long seed, double step, double tolerance) {
        this.f = f;
        this.gradient = gradient;
        this.points = points;
        this.random = random;
        this.seed = seed;
        this.step = step;
        this.tolerance = tolerance;
    }

    /** A check of {@code gradient} against finite differences of {@code f}; add points with {@link #at} or {@link #randomPoints}. */
    public static GradCheck of(ToDoubleFunction<double[]> f, Function<double[], double[]> gradient) {
        if (f == null || gradient == null) {
            throw new IllegalArgumentException(Messages.GRADCHECK_NULL_FUNCTION.format(f == null ? null : "a",
                    gradient == null ? null : "a"));
        }
        return new GradCheck(f, gradient, List.of(), null, DEFAULT_SEED, CentralDifference.DEFAULT_STEP,
                DEFAULT_TOLERANCE);
    }

    /** Check at exactly these points (replacing earlier {@code at} points). */
    public GradCheck at(double[]... xs) {
        if (xs == null || xs.length == 0) {
            throw new IllegalArgumentException(Messages.GRADCHECK_NO_POINT.format());
        }
        List<double[]> copies = new ArrayList<>();
        for (int p = 0; p < xs.length; p++) {
            double[] x = xs[p];
            if (x == null || x.length == 0) {
                throw new IllegalArgumentException((x == null ? Messages.GRADCHECK_NULL_POINT
                        : Messages.GRADCHECK_EMPTY_POINT).format(p));
            }
            requireFinite("at: point " + p, x);
            copies.add(x.clone());
        }
        return new GradCheck(f, gradient, List.copyOf(copies), random, seed, step, tolerance);
    }

    /** Also check at {@code count} points drawn uniformly from the box [lower, upper] (seeded, reproducible). */
    public GradCheck randomPoints(int count, double[] lower, double[] upper) {
        if (count < 1) {
            throw new IllegalArgumentException(Messages.GRADCHECK_COUNT.format(count));
        }
        if (lower == null || upper == null || lower.length != upper.length || lower.length == 0) {
            throw new IllegalArgumentException(Messages.GRADCHECK_CORNER_DIMENSIONS.format(
                    lower == null ? null : lower.length, upper == null ? null : upper.length));
        }
        for (int i = 0; i < lower.length; i++) {
            if (!(Double.isFinite(lower[i]) && Double.isFinite(upper[i]) && lower[i] <= upper[i])) {
                throw new IllegalArgumentException(Messages.GRADCHECK_CORNERS.format(i, i, lower[i], upper[i]));
            }
        }
        return new GradCheck(f, gradient, points, new RandomBox(count, lower.clone(), upper.clone()), seed, step,
                tolerance);
    }

    /** Also check at {@code count} random points of the cube [lower, upper]^dimension. */
    public GradCheck randomPoints(int count, int dimension, double lower, double upper) {
        if (dimension < 1) {
            throw new IllegalArgumentException(Messages.GRADCHECK_DIMENSION.format(dimension));
        }
        double[] lo = new double[dimension], hi = new double[dimension];
        Arrays.fill(lo, lower);
        Arrays.fill(hi, upper);
        return randomPoints(count, lo, hi);
    }

    /** Seed of the random points (default {@value #DEFAULT_SEED}). */
    public GradCheck seed(long newSeed) {
        return new GradCheck(f, gradient, points, random, newSeed, step, tolerance);
    }

    /** Relative finite-difference step h (default ε^(1/3) ≈ 6.1e-6); the step taken is h·max(1, |x_i|). */
    public GradCheck step(double h) {
        if (!(h > 0 && h < 1)) {
            throw new IllegalArgumentException(Messages.GRADCHECK_STEP.format(h));
        }
        return new GradCheck(f, gradient, points, random, seed, h, tolerance);
    }

    /** Relative tolerance rtol (default {@value #DEFAULT_TOLERANCE}). */
    public GradCheck tolerance(double rtol) {
        if (!(rtol > 0 && rtol < 1)) {
            throw new IllegalArgumentException(Messages.GRADCHECK_TOLERANCE.format(rtol));
        }
        return new GradCheck(f, gradient, points, random, seed, step, rtol);
    }

    /** Evaluates f (4n + 1 times per point) and the gradient (once per point) and compares. */
    public GradCheckResult run() {
        List<double[]> all = allPoints();
        int dimension = all.get(0).length;
        List<PointCheck> checks = new ArrayList<>();
        for (int p = 0; p < all.size(); p++) {
            double[] x = all.get(p);
            if (x.length != dimension) {
                throw new IllegalArgumentException(Messages.GRADCHECK_POINT_DIMENSIONS.format(p, dimension, x.length));
            }
            checks.add(checkAt(p, x));
        }
        return new GradCheckResult(checks, tolerance, step);
    }

    private List<double[]> allPoints() {
        List<double[]> all = new ArrayList<>(points);
        if (random != null) {
            SplittableRandom rng = new SplittableRandom(seed);
            for (int k = 0; k < random.count(); k++) {
                double[] x = new double[random.lower().length];
                for (int i = 0; i < x.length; i++) {
                    double lo = random.lower()[i], hi = random.upper()[i];
                    x[i] = lo == hi ? lo : rng.nextDouble(lo, hi);
                }
                all.add(x);
            }
        }
        if (all.isEmpty()) {
            throw new IllegalStateException(Messages.GRADCHECK_NO_POINTS.format());
        }
        return all;
    }

    private PointCheck checkAt(int p, double[] x) {
        double value;
        double[] g;
        try {
            value = f.applyAsDouble(x.clone());
        } catch (RuntimeException e) {
            throw new GradCheckException(Messages.GRADCHECK_F_THREW.format(p, GradCheckTable.vector(x), e), e);
        }
        try {
            g = gradient.apply(x.clone());
        } catch (RuntimeException e) {
            throw new GradCheckException(Messages.GRADCHECK_GRADIENT_THREW.format(p, GradCheckTable.vector(x), e), e);
        }
        if (g == null || g.length != x.length) {
            throw new GradCheckException(Messages.GRADCHECK_GRADIENT_LENGTH.format(p, x.length,
                    g == null ? null : g.length));
        }
        List<ComponentCheck> components = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            CentralDifference.Estimate fd;
            try {
                fd = CentralDifference.partial(f, x, i, step);
            } catch (RuntimeException e) {
                throw new GradCheckException(Messages.GRADCHECK_DIFFERENCE_THREW.format(i, p, GradCheckTable.vector(x), e), e);
            }
            components.add(compare(p, i, g[i], fd));
        }
        return new PointCheck(p, x, value, components);
    }

    private ComponentCheck compare(int p, int i, double ad, CentralDifference.Estimate fd) {
        double absError = Math.abs(ad - fd.value());
        double resolvable = NOISE_SAFETY * fd.error();
        double scale = Math.max(Math.max(Math.abs(ad), Math.abs(fd.value())), resolvable / tolerance);
        double relError = scale == 0 ? absError : absError / scale;
        // NaN anywhere (f or the gradient undefined here) makes every comparison false: the component fails.
        boolean passed = absError <= Math.max(tolerance * Math.max(Math.abs(ad), Math.abs(fd.value())), resolvable);
        return new ComponentCheck(p, i, ad, fd.value(), fd.error(), absError, relError, passed);
    }

    private static void requireFinite(String what, double[] x) {
        for (int i = 0; i < x.length; i++) {
            if (!Double.isFinite(x[i])) {
                throw new IllegalArgumentException(Messages.GRADCHECK_NOT_FINITE.format(what, i, x[i]));
            }
        }
    }
}
