package jenzyme.spark;

import java.io.Serializable;

/**
 * One independent fit: minimise {@code loss(p, constants...)} from {@code start}. The constants are the loss's
 * remaining arguments in order (arrays, numbers), e.g. one bootstrap replicate's data.
 *
 * @param id identifies the fit in the results (Spark returns them in task order, but ids survive any reordering)
 */
public record FitTask(long id, double[] start, Object[] constants) implements Serializable {}
