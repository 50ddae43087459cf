package jenzyme.visualization;

/**
 * Display stage: a plotted function threw while a figure was being rendered. Names the curve and the point, which
 * the original exception (kept as the cause) cannot know.
 */
public final class PlotEvaluationException extends RuntimeException {

    PlotEvaluationException(String message, Throwable cause) {
        super(message, cause);
    }

    PlotEvaluationException(String message) {
        super(message);
    }
}
