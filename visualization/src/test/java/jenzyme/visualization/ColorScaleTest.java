package jenzyme.visualization;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ColorScaleTest {

    @Test
    void linearScaleMapsTheRangeOntoTheUnitIntervalWithRoundTicks() {
        ColorScale scale = ColorScale.fit(new double[][] {{-1, 0}, {0.5, 3}}, false);
        assertEquals(0, scale.position(-1), 0);
        assertEquals(0.25, scale.position(0), 1e-15);
        assertEquals(1, scale.position(3), 0);
        assertEquals(List.of("-1", "0", "1", "2", "3"), scale.ticks().stream().map(ColorScale.Tick::label).toList());
        assertEquals(0.25, scale.ticks().get(1).position(), 1e-15);
    }

    @Test
    void logScaleOfAnObjectiveWithMinimumZeroHasDecadeTicksAndClampsBelowEightDecades() {
        ColorScale scale = ColorScale.fit(new double[][] {{0, 1e-3, 1, 1000}}, true);
        assertEquals(1, scale.position(1000), 0);
        assertEquals((-1 - -5) / 8.0, scale.position(0.1), 1e-12, "log10 position between 1e-5 and 1e3");
        assertEquals(0, scale.position(0), 0, "zero clamps to the bottom");
        assertEquals(0, scale.position(1e-9), 0, "below the 8-decade floor clamps too");
        assertEquals(List.of("10⁻⁴", "10⁻²", "10⁰", "10²"), scale.ticks().stream().map(ColorScale.Tick::label).toList());
    }

    @Test
    void constantFunctionsSitMidScale() {
        ColorScale scale = ColorScale.fit(new double[][] {{2, 2}}, false);
        assertEquals(0.5, scale.position(2), 0);
        assertEquals(List.of("2"), scale.ticks().stream().map(ColorScale.Tick::label).toList());
        assertTrue(Double.isNaN(scale.position(Double.NaN)));
    }

    @Test
    void labelsAreCompact() {
        assertEquals("0", ColorScale.label(0));
        assertEquals("0.3", ColorScale.label(0.30000000000000004));
        assertEquals("1230", ColorScale.label(1234.5));
        assertEquals("-2.5×10⁻⁵", ColorScale.label(-2.5e-5));
        assertEquals("10⁶", ColorScale.label(1e6));
        assertEquals(0.5, ColorScale.niceStep(0.31), 0);
        assertEquals(2, ColorScale.niceStep(1.01), 0);
    }
}
