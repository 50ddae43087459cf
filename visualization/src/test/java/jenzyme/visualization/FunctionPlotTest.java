package jenzyme.visualization;

import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FunctionPlotTest {

    private static final int BLUE = 0x1f77b4, ORANGE = 0xff7f0e;

    @Test
    void functionAndDerivativeRenderAsTwoCurvesOfTheDefaultSize() {
        FunctionPlot plot = Plots.function(Math::tanh, x -> 1 / (Math.cosh(x) * Math.cosh(x)), -3, 3);
        BufferedImage image = RenderedImages.decodeAndCheck(plot);
        assertEquals(640, image.getWidth());
        assertEquals(420, image.getHeight());
        // Each 2-px curve spans the plot width: hundreds of pixels in its colour.
        assertTrue(RenderedImages.countColour(image, BLUE, 12) > 300, "f drawn in the first palette colour");
        assertTrue(RenderedImages.countColour(image, ORANGE, 12) > 300, "f' drawn in the second palette colour");
    }

    @Test
    void samplesTheFunctionAndItsDerivativeOnAnEvenGridIncludingBothEnds() {
        XYChart chart = Plots.function(x -> x * x * x, x -> 3 * x * x, -2, 2).samples(5).chart();
        XYSeries f = chart.getSeriesMap().get("f(x)");
        XYSeries df = chart.getSeriesMap().get("f'(x)");
        assertArrayEquals(new double[] {-2, -1, 0, 1, 2}, f.getXData(), 0);
        assertArrayEquals(new double[] {-8, -1, 0, 1, 8}, f.getYData(), 0);
        assertArrayEquals(new double[] {12, 3, 0, 3, 12}, df.getYData(), 0);
    }

    @Test
    void sliceHoldsTheOtherCoordinatesAndPlotsThePartialDerivative() {
        // f(x) = x0^2 x1 + sin(x2); along x1 through (2, ., 0.5): f = 4 t + sin(0.5), ∂f/∂x1 = x0^2 = 4.
        FunctionPlot slice = Plots.slice(x -> x[0] * x[0] * x[1] + Math.sin(x[2]),
                x -> new double[] {2 * x[0] * x[1], x[0] * x[0], Math.cos(x[2])},
                new double[] {2, 99, 0.5}, 1, -1, 1).samples(3);
        XYChart chart = slice.chart();
        assertArrayEquals(new double[] {-4 + Math.sin(0.5), Math.sin(0.5), 4 + Math.sin(0.5)},
                chart.getSeriesMap().get("f").getYData(), 1e-15);
        assertArrayEquals(new double[] {4, 4, 4}, chart.getSeriesMap().get("∂f/∂x₁").getYData(), 0);
        assertEquals("x₁", chart.getXAxisTitle());
        RenderedImages.decodeAndCheck(slice);
    }

    @Test
    void sliceRejectsACoordinateOutsideThePointAndAGradientOfTheWrongLength() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Plots.slice(x -> 0, x -> x, new double[] {1, 2}, 2, 0, 1));
        assertEquals("coordinate: expected 0..1 for a point of dimension 2, got 2", e.getMessage());
        FunctionPlot bad = Plots.slice(x -> 0, x -> new double[1], new double[] {1, 2}, 0, 0, 1);
        var thrown = assertThrows(PlotEvaluationException.class, bad::render);
        assertTrue(thrown.getMessage().contains("expected an array of length 2, got length 1"), thrown.getMessage());
    }

    @Test
    void polesBecomeGapsAndAFunctionWithoutFiniteValuesIsAnError() {
        double[] y = Plots.function(x -> 1 / x, -1, 1).samples(3).chart().getSeriesMap().get("f(x)").getYData();
        assertTrue(Double.isNaN(y[1]), "1/0 is drawn as a gap, got " + Arrays.toString(y));
        var e = assertThrows(PlotEvaluationException.class, () -> Plots.function(x -> Math.log(-1 - x * x), -1, 1).render());
        assertTrue(e.getMessage().startsWith("f(x) has no finite value on [-1.0, 1.0]"), e.getMessage());
    }

    @Test
    void aThrowingFunctionIsReportedWithThePoint() {
        FunctionPlot plot = Plots.function(x -> {
            if (x > 0.5) {
                throw new ArithmeticException("boom");
            }
            return x;
        }, 0, 1).samples(3);
        var e = assertThrows(PlotEvaluationException.class, plot::render);
        assertTrue(e.getMessage().startsWith("f(x) threw at x = 1.0"), e.getMessage());
        assertEquals(ArithmeticException.class, e.getCause().getClass());
    }

    @Test
    void badRangesSizesAndSampleCountsAreRejectedWhenTheFigureIsBuilt() {
        assertEquals("x range: expected finite min < max, got [2.0, 1.0]",
                assertThrows(IllegalArgumentException.class, () -> Plots.function(x -> x, 2, 1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Plots.function(x -> x, 0, Double.NaN));
        assertEquals("figure size: expected width and height in 1..8192 pixels, got 0x300",
                assertThrows(IllegalArgumentException.class, () -> Plots.function(x -> x, 0, 1).size(0, 300)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Plots.function(x -> x, 0, 1).samples(1));
        assertThrows(IllegalArgumentException.class, () -> Plots.function(x -> x, x -> 1, 0, 1).names("same", "same"));
    }

    @Test
    void optionsReturnNewFiguresAndLeaveTheOriginalUnchanged() {
        FunctionPlot base = Plots.function(Math::sin, Math::cos, 0, 1);
        FunctionPlot titled = base.title("sine").size(300, 200);
        assertNotEquals(base.description(), titled.description());
        assertEquals(640, base.width());
        assertEquals(300, titled.width());
        BufferedImage small = RenderedImages.decodeAndCheck(titled);
        assertEquals(200, small.getHeight());
    }

    @Test
    void bundleCarriesBase64PngTextAndSizeMetadataAndRendersDeterministically() {
        FunctionPlot plot = Plots.function(Math::exp, Math::exp, -1, 1).title("exp");
        Map<String, Object> bundle = plot.mimeBundle();
        assertEquals(java.util.List.of("image/png", "text/plain"), java.util.List.copyOf(bundle.keySet()));
        assertTrue(((String) bundle.get("text/plain")).startsWith("FunctionPlot 'exp' (640x420): f(x) and f'(x)"));
        assertEquals(Map.of("image/png", Map.of("width", 640, "height", 420)), plot.mimeMetadata());
        assertArrayEquals(plot.render().png(), plot.render().png(), "same figure, same bytes");
    }

    @org.junit.jupiter.api.Test
    void theDefaultCurveNamesFollowTheVariableOnTheXAxis() {
        var chart = Plots.function(Math::sin, Math::cos, 0, 1).xLabel("s").chart();
        org.junit.jupiter.api.Assertions.assertTrue(chart.getSeriesMap().containsKey("f(s)")
                && chart.getSeriesMap().containsKey("f'(s)"), chart.getSeriesMap().keySet().toString());
        var named = Plots.function(Math::sin, Math::cos, 0, 1).xLabel("t").chart();
        org.junit.jupiter.api.Assertions.assertTrue(named.getSeriesMap().containsKey("f(t)"));
    }
}
