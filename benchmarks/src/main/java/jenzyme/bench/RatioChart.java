package jenzyme.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.CategoryStyler;
import org.knowm.xchart.style.Styler;

/**
 * The table as a PNG: grouped bars per workload, one per column, on a log axis (ratios span 0.1 to 10^6).
 * XChart's category chart directly: the visualization module draws functions and fields, not bar charts.
 */
final class RatioChart {

    private RatioChart() {
    }

    /** Writes the chart; false when no workload has a number to draw. */
    static boolean write(List<WorkloadResult> results, Path png) throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(1200).height(600)
                .title("Time relative to our reverse gradient (log scale; lower is faster)")
                .xAxisTitle("workload").yAxisTitle("time / our reverse gradient").build();
        CategoryStyler styler = chart.getStyler();
        styler.setLegendPosition(Styler.LegendPosition.OutsideE);
        styler.setChartBackgroundColor(java.awt.Color.WHITE);
        styler.setYAxisLogarithmic(true);
        styler.setOverlapped(false);
        List<String> labels = results.stream().map(r -> r.workload().label()).toList();
        double smallest = Double.POSITIVE_INFINITY;
        for (Column column : Column.values()) {
            // Every series lists every workload, null where it has no number: XChart places bars by position.
            List<Number> ratios = new ArrayList<>();
            for (WorkloadResult result : results) {
                ratios.add(result.cell(column).flatMap(WorkloadResult.Cell::ratio).map(r -> (Number) r.median())
                        .orElse(null));
            }
            double least = ratios.stream().filter(r -> r != null).mapToDouble(Number::doubleValue).min()
                    .orElse(Double.NaN);
            if (!Double.isNaN(least)) {
                chart.addSeries(column.header(), labels, ratios);
                smallest = Math.min(smallest, least);
            }
        }
        if (chart.getSeriesMap().isEmpty()) {
            return false;
        }
        // Bar charts anchor the axis at 0, which a log axis refuses: start it at the decade below the smallest bar.
        styler.setYAxisMin(Math.pow(10, Math.floor(Math.log10(smallest))));
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
        return true;
    }
}
