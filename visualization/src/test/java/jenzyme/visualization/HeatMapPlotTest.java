package jenzyme.visualization;

import org.junit.jupiter.api.Test;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeatMapPlotTest {

    /** Minimum at (0.5, -0.25), maximum in the corner (-1, 1). */
    private static double bowl(double x, double y) {
        return (x - 0.5) * (x - 0.5) + (y + 0.25) * (y + 0.25);
    }

    @Test
    void darkestPixelOfTheRasterSitsAtTheMinimiserAndBrightestAtTheMaximum() {
        HeatMapPlot plot = Plots.heatMap(HeatMapPlotTest::bowl, -1, 1, -1, 1);
        BufferedImage image = RenderedImages.decodeAndCheck(plot);
        Rectangle area = plot.plotArea();
        double[] darkest = extremePixel(image, area, true);
        double[] brightest = extremePixel(image, area, false);
        // Viridis lightness rises monotonically, so the darkest raster pixel marks the minimum.
        double expectedX = area.x + (0.5 - -1) / 2 * area.width;
        double expectedY = area.y + (1 - -0.25) / 2 * area.height;
        assertTrue(Math.abs(darkest[0] - expectedX) <= 2 && Math.abs(darkest[1] - expectedY) <= 2,
                "darkest pixel at " + darkest[0] + "," + darkest[1] + ", minimiser at " + expectedX + "," + expectedY);
        assertTrue(brightest[0] < area.x + 0.1 * area.width && brightest[1] < area.y + 0.1 * area.height,
                "brightest pixels centred at " + brightest[0] + "," + brightest[1] + ", near the top-left corner "
                        + area.x + "," + area.y);
        // And the extremes carry the colour map's end colours.
        assertEquals(0x440154, image.getRGB((int) expectedX, (int) expectedY) & 0xffffff, "bottom of viridis");
        BufferedImage corner = image.getSubimage(area.x + 1, area.y + 1, 1, 1);
        assertEquals(1, RenderedImages.countColour(corner, 0xfde725, 8), "top of viridis in the corner");
    }

    @Test
    void logColourScaleKeepsTheMinimumOfRosenbrockDarkest() {
        HeatMapPlot plot = Plots.heatMap((x, y) -> (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x), -2, 2, -1, 3)
                .logColor(true).contours(0);
        BufferedImage image = RenderedImages.decodeAndCheck(plot);
        Rectangle area = plot.plotArea();
        double[] darkest = extremePixel(image, area, true);
        double expectedX = area.x + (1 - -2) / 4.0 * area.width;
        double expectedY = area.y + (3 - 1) / 4.0 * area.height;
        assertTrue(Math.hypot(darkest[0] - expectedX, darkest[1] - expectedY) <= 4,
                "darkest pixel at " + darkest[0] + "," + darkest[1] + ", minimiser (1, 1) at " + expectedX + "," + expectedY);
    }

    @Test
    void optimisationPathIsDrawnOverTheRasterWithALegend() {
        List<double[]> iterates = List.of(new double[] {-0.8, 0.8}, new double[] {-0.2, 0.2}, new double[] {0.4, -0.2});
        HeatMapPlot plain = Plots.heatMap(HeatMapPlotTest::bowl, -1, 1, -1, 1);
        HeatMapPlot withPath = plain.path("gradient descent", iterates);
        int red = HeatMapPlot.PATH_COLOURS[0].getRGB() & 0xffffff;
        assertEquals(0, RenderedImages.countColour(RenderedImages.decodeAndCheck(plain), red, 10));
        int pathPixels = RenderedImages.countColour(RenderedImages.decodeAndCheck(withPath), red, 10);
        assertTrue(pathPixels > 200, "path and legend drawn in the path colour: " + pathPixels + " pixels");
        assertTrue(withPath.description().endsWith("1 path(s): gradient descent"), withPath.description());
    }

    @Test
    void everyPathIsVisibleOnTheMapAndInTheLegendBelowIt() {
        // Notebook 02's picture: four paths over Rosenbrock on a log scale. Each colour must differ from the white
        // legend and from every colour of the map, and show up both over the map and in the legend below it.
        HeatMapPlot plot = Plots.heatMap((x, y) -> (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x), -2, 2, -1, 3)
                .logColor(true);
        for (int i = 0; i < HeatMapPlot.PATH_COLOURS.length; i++) {
            double t = -1.5 + 0.7 * i;
            plot = plot.path("path " + i, new double[] {t, t + 0.3, 1}, new double[] {2.5, 1.5, 1});
        }
        BufferedImage image = RenderedImages.decodeAndCheck(plot);
        Rectangle area = plot.plotArea();
        for (java.awt.Color colour : HeatMapPlot.PATH_COLOURS) {
            assertTrue(distance(colour, java.awt.Color.WHITE) > 100, colour + " stands out on the white legend");
            for (int k = 0; k <= 100; k++) {
                assertTrue(distance(colour, Viridis.color(k / 100.0)) > 90, colour + " vs viridis at " + k + "%");
            }
            int rgb = colour.getRGB() & 0xffffff;
            int onMap = RenderedImages.countColour(image, rgb, 12, 0, area.y + area.height);
            int inLegend = RenderedImages.countColour(image, rgb, 12, area.y + area.height + 1, image.getHeight());
            assertTrue(onMap > 30 && inLegend > 10, colour + ": " + onMap + " pixels on the map, " + inLegend
                    + " in the legend below it");
        }
    }

    private static double distance(java.awt.Color a, java.awt.Color b) {
        return Math.sqrt(Math.pow(a.getRed() - b.getRed(), 2) + Math.pow(a.getGreen() - b.getGreen(), 2)
                + Math.pow(a.getBlue() - b.getBlue(), 2));
    }

    @Test
    void gradientNormMapIsZeroAtTheStationaryPoint() {
        HeatMapPlot plot = Plots.gradientNorm(v -> new double[] {2 * (v[0] - 0.5), 2 * (v[1] + 0.25)}, -1, 1, -1, 1);
        BufferedImage image = RenderedImages.decodeAndCheck(plot);
        Rectangle area = plot.plotArea();
        double[] darkest = extremePixel(image, area, true);
        assertTrue(Math.abs(darkest[0] - (area.x + 0.75 * area.width)) <= 3
                && Math.abs(darkest[1] - (area.y + 0.625 * area.height)) <= 3, "|grad f| = 0 at (0.5, -0.25)");
        var e = assertThrows(PlotEvaluationException.class,
                () -> Plots.gradientNorm(v -> new double[3], -1, 1, -1, 1).render());
        assertTrue(e.getMessage().contains("expected an array of length 2, got length 3"), e.getMessage());
    }

    @Test
    void invalidOptionsAreRejectedWithTheirName() {
        HeatMapPlot plot = Plots.heatMap((x, y) -> x, -1, 1, -1, 1);
        assertEquals("y range: expected finite min < max, got [1.0, 1.0]",
                assertThrows(IllegalArgumentException.class, () -> Plots.heatMap((x, y) -> x, -1, 1, 1, 1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> plot.grid(1, 10));
        assertThrows(IllegalArgumentException.class, () -> plot.contours(-1));
        assertEquals("path 'p': expected point 1 as {x, y}, got 3 coordinates",
                assertThrows(IllegalArgumentException.class,
                        () -> plot.path("p", List.of(new double[] {0, 0}, new double[] {1, 2, 3}))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> plot.path("p", new double[] {0}, new double[] {0}).path("p",
                new double[] {1}, new double[] {1}));
        assertThrows(IllegalArgumentException.class, () -> plot.size(120, 300).render());
        var e = assertThrows(PlotEvaluationException.class, () -> Plots.heatMap((x, y) -> Double.NaN, 0, 1, 0, 1).render());
        assertTrue(e.getMessage().startsWith("f(x, y) has no finite value"), e.getMessage());
    }

    /**
     * Centre {x, y} of the darkest (or brightest) pixels inside the area, ignoring a 1-px rim where the frame is
     * drawn. Near a smooth extremum many pixels round to the same 8-bit colour; their centre is the extremum.
     */
    private static double[] extremePixel(BufferedImage image, Rectangle area, boolean darkest) {
        double bestL = darkest ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
        double sumX = 0, sumY = 0;
        int count = 0;
        for (int y = area.y + 1; y < area.y + area.height - 1; y++) {
            for (int x = area.x + 1; x < area.x + area.width - 1; x++) {
                double l = RenderedImages.luminance(image.getRGB(x, y));
                if (darkest ? l < bestL : l > bestL) {
                    bestL = l;
                    sumX = sumY = count = 0;
                }
                if (l == bestL) {
                    sumX += x;
                    sumY += y;
                    count++;
                }
            }
        }
        return new double[] {sumX / count, sumY / count};
    }
}
