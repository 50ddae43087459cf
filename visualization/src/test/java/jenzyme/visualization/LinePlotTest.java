package jenzyme.visualization;

import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.image.BufferedImage;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinePlotTest {

    @Test
    void trajectoriesSplitTheStateMatrixIntoOneCurvePerComponent() {
        // x = e^-t, y = t e^-t: the exact solution of x' = -x, y' = x - y from (1, 0).
        int n = 101;
        double[] t = new double[n];
        double[][] states = new double[n][];
        for (int k = 0; k < n; k++) {
            t[k] = 0.05 * k;
            states[k] = new double[] {Math.exp(-t[k]), t[k] * Math.exp(-t[k])};
        }
        LinePlot plot = Plots.trajectories(t, states, "x", "y");
        XYChart chart = plot.chart();
        assertEquals(Math.exp(-2.5), chart.getSeriesMap().get("x").getYData()[50], 0);
        assertEquals(2.5 * Math.exp(-2.5), chart.getSeriesMap().get("y").getYData()[50], 0);
        BufferedImage image = RenderedImages.decodeAndCheck(plot);
        assertTrue(RenderedImages.countColour(image, 0x1f77b4, 12) > 200);
        assertTrue(RenderedImages.countColour(image, 0xff7f0e, 12) > 200);
        List<String> defaultNames = Plots.trajectories(t, states).chart().getSeriesMap().keySet().stream()
                .filter(name -> !name.startsWith(" ")) // hidden helper series start with a blank
                .toList();
        assertEquals(List.of("y0", "y1"), defaultNames);
    }

    @Test
    void trajectoryShapesAreChecked() {
        double[] t = {0, 1};
        assertEquals("states: expected one state per time (2), got 1",
                assertThrows(IllegalArgumentException.class,
                        () -> Plots.trajectories(t, new double[][] {{1, 2}})).getMessage());
        assertEquals("states[1]: expected 2 components like states[0], got 3",
                assertThrows(IllegalArgumentException.class,
                        () -> Plots.trajectories(t, new double[][] {{1, 2}, {1, 2, 3}})).getMessage());
        assertEquals("names: expected one per state component (2), got 1",
                assertThrows(IllegalArgumentException.class,
                        () -> Plots.trajectories(t, new double[][] {{1, 2}, {3, 4}}, "only")).getMessage());
    }

    @Test
    void convergencePlotIsLogScaleAgainstIterationAndDropsNonPositiveLosses() {
        double[] ad = new double[60], fd = new double[40];
        for (int k = 0; k < ad.length; k++) {
            ad[k] = 10 * Math.pow(0.6, k);
        }
        for (int k = 0; k < fd.length; k++) {
            fd[k] = 10 * Math.pow(0.8, k);
        }
        ad[59] = 0; // converged exactly: cannot be drawn on a log axis
        LinePlot plot = Plots.convergence("AD", ad).series("FD", List.of(fd[0], fd[1], fd[2]));
        XYChart chart = plot.chart();
        // Drawn linear in log10 (see ChartStyle.exponents), so values arrive as exponents.
        assertArrayEquals(new double[] {0, 1, 2}, chart.getSeriesMap().get("FD").getXData(), 0);
        assertTrue(Double.isNaN(chart.getSeriesMap().get("AD").getYData()[59]));
        assertEquals(Math.log10(ad[58]), chart.getSeriesMap().get("AD").getYData()[58], 1e-15);
        RenderedImages.decodeAndCheck(plot.markers(true));
        RenderedImages.decodeAndCheck(plot.logY(false));
    }

    @Test
    void logAxesAreLabelledInPowersOfTenOnly() throws Exception {
        // Issue 16: XChart's log axis printed 0.001 next to 1E-4 over dense minor ticks.
        for (int decades : new int[] {3, 5, 15}) {
            double[] losses = new double[40];
            for (int k = 0; k < losses.length; k++) {
                losses[k] = 30 * Math.pow(10, -decades * k / 39.0);
            }
            List<String> labels = yTickLabels(Plots.convergence("loss", losses).chart());
            assertTrue(labels.size() >= 2, decades + " decades: " + labels);
            for (String label : labels) {
                assertTrue(label.matches("10⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+"), decades + " decades: " + labels);
            }
        }
        assertEquals("10⁻⁴", PowerLabels.power(-4));
        assertEquals("10⁰", PowerLabels.power(0));
        assertEquals("3.2×10⁻²", PowerLabels.power(-1.5));
    }

    @Test
    void theLegendSitsInACornerNoCurvePassesThroughOrBelowThePlot() {
        // f' = 1 runs along the top, f = x through the bottom left: only the bottom right is free.
        XYChart rising = Plots.function(x -> x, x -> 1, 0, 1).chart();
        assertEquals(Styler.LegendPosition.InsideSE, rising.getStyler().getLegendPosition());
        // Sine and cosine over two periods pass through every corner: the legend goes below the plot.
        XYChart waves = Plots.function(Math::sin, Math::cos, -6.3, 6.3).chart();
        assertEquals(Styler.LegendPosition.OutsideS, waves.getStyler().getLegendPosition());
        // A sparse path crossing a corner between its samples still counts as data there.
        XYChart diagonal = Plots.lines().series("d", new double[] {0, 10}, new double[] {0, 10})
                .series("e", new double[] {0, 10}, new double[] {10, 0}).chart();
        assertEquals(Styler.LegendPosition.OutsideS, diagonal.getStyler().getLegendPosition());
    }

    @Test
    void aCurveLyingOnAnEarlierOneLeavesTheEarlierVisible() {
        // Notebook 02: L-BFGS with AD and with FD gradients take the same steps; both must show.
        double[] losses = new double[30];
        for (int k = 0; k < losses.length; k++) {
            losses[k] = Math.pow(0.5, k);
        }
        LinePlot plot = Plots.convergence().series("AD", losses).series("FD", losses.clone());
        java.awt.image.BufferedImage image = RenderedImages.decodeAndCheck(plot);
        int first = 0x1f77b4, second = 0xff7f0e;  // the palette's first two colours
        int underneath = RenderedImages.countColour(image, first, 8);
        int onTop = RenderedImages.countColour(image, second, 8);
        assertTrue(underneath > 400 && onTop > 200, "AD " + underneath + " px, FD " + onTop + " px");
        assertEquals(org.knowm.xchart.style.markers.SeriesMarkers.NONE,
                plot.chart().getSeriesMap().get("AD").getMarker(), "the first stays a plain line");
    }

    /** The y tick labels XChart draws, read after laying the chart out (its axis classes are package-private). */
    private static List<String> yTickLabels(XYChart chart) throws Exception {
        java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(chart.getWidth(), chart.getHeight(),
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        chart.paint(image.createGraphics(), chart.getWidth(), chart.getHeight());
        java.lang.reflect.Method axisPair = org.knowm.xchart.internal.chartpart.Chart.class.getDeclaredMethod("getAxisPair");
        axisPair.setAccessible(true);
        Object pair = axisPair.invoke(chart);
        java.lang.reflect.Method yAxis = pair.getClass().getDeclaredMethod("getYAxis");
        yAxis.setAccessible(true);
        Object axis = yAxis.invoke(pair);
        java.lang.reflect.Method calculator = axis.getClass().getDeclaredMethod("getAxisTickCalculator");
        calculator.setAccessible(true);
        Object ticks = calculator.invoke(axis);
        java.lang.reflect.Method labels = ticks.getClass().getMethod("getTickLabels");
        labels.setAccessible(true);
        @SuppressWarnings("unchecked")
        List<String> result = (List<String>) labels.invoke(ticks);
        return result;
    }

    @Test
    void logScaleWithoutAnyPositiveValueNamesTheSeriesAndTheWayOut() {
        var e = assertThrows(IllegalArgumentException.class, () -> Plots.convergence("residual", new double[] {0, -1}));
        assertEquals("series 'residual': a log-scale y axis needs values > 0, got none; use .logY(false)", e.getMessage());
        RenderedImages.decodeAndCheck(Plots.lines().series("residual", new double[] {0, -1, 0.5}));
    }

    @Test
    void seriesArgumentsAreChecked() {
        LinePlot plot = Plots.lines().series("a", new double[] {1, 2});
        assertThrows(IllegalArgumentException.class, () -> plot.series("a", new double[] {1}));
        assertEquals("series 'b': expected x and y of the same non-zero length, got 2 and 1",
                assertThrows(IllegalArgumentException.class,
                        () -> plot.series("b", new double[] {1, 2}, new double[] {1})).getMessage());
        assertThrows(IllegalArgumentException.class, () -> plot.series("c", new double[] {Double.NaN}, new double[] {1}));
        var empty = assertThrows(IllegalStateException.class, () -> Plots.lines().render());
        assertTrue(empty.getMessage().contains("has no series"), empty.getMessage());
    }

    @Test
    void observationsAreDrawnAsUnconnectedMarkersBesideTheFittedCurve() {
        double[] t = new double[40], observed = new double[40], fitted = new double[40];
        for (int k = 0; k < t.length; k++) {
            t[k] = 0.25 * k;
            fitted[k] = Math.exp(-0.3 * t[k]) * Math.cos(2 * t[k]);
            observed[k] = fitted[k] + 0.05 * Math.sin(17 * k); // deterministic "noise"
        }
        LinePlot plot = Plots.lines().scatter("observations", t, observed).series("fit", t, fitted)
                .title("damped oscillator").xLabel("t").yLabel("u(t)");
        XYChart chart = plot.chart();
        assertEquals(SeriesLines.NONE, chart.getSeriesMap().get("observations").getLineStyle());
        assertEquals(SeriesMarkers.CIRCLE, chart.getSeriesMap().get("observations").getMarker());
        assertEquals(SeriesMarkers.NONE, chart.getSeriesMap().get("fit").getMarker());
        BufferedImage image = RenderedImages.decodeAndCheck(plot);
        assertTrue(RenderedImages.countColour(image, 0x1f77b4, 12) > 40 * 10, "40 markers of ~20 px each");
    }

    @Test
    void blankOrReservedSeriesNamesAreRejected() {
        assertEquals("series name: expected a non-blank name not starting with a blank, got ' y = 0'",
                assertThrows(IllegalArgumentException.class,
                        () -> Plots.lines().series(" y = 0", new double[] {1})).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Plots.lines().series("", new double[] {1}));
        assertThrows(IllegalArgumentException.class, () -> Plots.function(Math::sin, 0, 1).names(null, null));
    }
}
