package jenzyme.visualization;

import java.awt.Color;

/**
 * Display stage: the viridis colour map (dark purple → blue → green → yellow) for heat maps. Chosen because it is
 * perceptually uniform, readable in grey scale and by colour-blind readers, and has its darkest colour at the low
 * end, so minima are where the eye goes. Nine published stops, linearly interpolated in sRGB.
 */
final class Viridis {

    private static final int[] STOPS = {
            0x440154, 0x472c7a, 0x3b518b, 0x2c718e, 0x21908d, 0x27ad81, 0x5cc863, 0xaadc32, 0xfde725};

    private Viridis() {
    }

    /** Colour at {@code t} in [0, 1] as 0xRRGGBB; values outside are clamped. */
    static int rgb(double t) {
        double u = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
        int i = Math.min((int) u, STOPS.length - 2);
        double w = u - i;
        int a = STOPS[i], b = STOPS[i + 1];
        return mix(a >> 16, b >> 16, w) << 16 | mix(a >> 8, b >> 8, w) << 8 | mix(a, b, w);
    }

    static Color color(double t) {
        return new Color(rgb(t));
    }

    private static int mix(int a, int b, double w) {
        return (int) Math.round((a & 0xff) * (1 - w) + (b & 0xff) * w);
    }
}
