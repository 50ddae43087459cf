package jenzyme.bench;

import java.util.Arrays;

/** Median and quartiles of repeated measurements (linear interpolation between order statistics). */
public record Quartiles(double q1, double median, double q3) {

    public static Quartiles of(double[] samples) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("expected at least one sample, got none");
        }
        double[] sorted = samples.clone();
        Arrays.sort(sorted);
        return new Quartiles(quantile(sorted, 0.25), quantile(sorted, 0.5), quantile(sorted, 0.75));
    }

    /** Interquartile range relative to the median: the spread the table reports. */
    public double relativeSpread() {
        return (q3 - q1) / Math.abs(median);
    }

    private static double quantile(double[] sorted, double q) {
        double position = q * (sorted.length - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(below + 1, sorted.length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
