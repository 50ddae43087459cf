package jenzyme.magics.gradcheck;

import jenzyme.runtime.error.Messages;
import jenzyme.visualization.MimeRenderable;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gradient-check stage: the immutable outcome of {@link GradCheck#run()} — every component at every point, the
 * overall verdict and the largest errors. Displays in a notebook as an HTML table with a one-line summary
 * ({@link #mimeBundle()}); {@link #toString()} gives the same as text.
 */
public final class GradCheckResult implements MimeRenderable {

    private final List<PointCheck> points;
    private final double tolerance;
    private final double step;

    GradCheckResult(List<PointCheck> points, double tolerance, double step) {
        this.points = List.copyOf(points);
        this.tolerance = tolerance;
        this.step = step;
    }

    public List<PointCheck> points() {
        return points;
    }

    /** Relative tolerance the components were judged with. */
    public double tolerance() {
        return tolerance;
    }

    /** Relative finite-difference step h (the step taken for x_i is h·max(1, |x_i|)). */
    public double step() {
        return step;
    }

    /** Every component at every point, point by point. */
    public List<ComponentCheck> components() {
        return points.stream().flatMap(p -> p.components().stream()).toList();
    }

    public boolean passed() {
        return points.stream().allMatch(PointCheck::passed);
    }

    public List<ComponentCheck> failures() {
        return components().stream().filter(c -> !c.passed()).toList();
    }

    /** Largest |AD − FD| (NaN if any component is NaN). */
    public double maxAbsError() {
        return components().stream().mapToDouble(ComponentCheck::absError).reduce(0, Math::max);
    }

    /** Largest relative error (NaN if any component is NaN). */
    public double maxRelError() {
        return components().stream().mapToDouble(ComponentCheck::relError).reduce(0, Math::max);
    }

    /** The component with the largest relative error; NaN (undefined) components count as worst. */
    public ComponentCheck worst() {
        return components().stream()
                .max(Comparator.comparingDouble(c -> Double.isNaN(c.relError()) ? Double.POSITIVE_INFINITY : c.relError()))
                .orElseThrow();
    }

    /** One line: the verdict, the size of the check and the largest errors, or the worst failure. */
    public String summary() {
        int total = components().size();
        String settings = Messages.GRADCHECK_SETTINGS.format(GradCheckTable.error(tolerance),
                GradCheckTable.error(step));
        if (passed()) {
            return (points.size() == 1 ? Messages.GRADCHECK_PASSED_POINT : Messages.GRADCHECK_PASSED).format(
                    points.size(), points.get(0).components().size(), GradCheckTable.error(maxRelError()),
                    GradCheckTable.error(maxAbsError()), settings);
        }
        ComponentCheck w = worst();
        return Messages.GRADCHECK_FAILED.format(failures().size(), total, w.point(), w.component(),
                GradCheckTable.number(w.ad()), GradCheckTable.number(w.fd()), GradCheckTable.error(w.relError()),
                settings);
    }

    public String toHtml() {
        return GradCheckTable.html(this);
    }

    @Override
    public Map<String, Object> mimeBundle() {
        Map<String, Object> bundle = new LinkedHashMap<>();
        bundle.put("text/html", toHtml());
        bundle.put("text/plain", toString());
        return java.util.Collections.unmodifiableMap(bundle);
    }

    @Override
    public String toString() {
        return GradCheckTable.text(this);
    }
}
