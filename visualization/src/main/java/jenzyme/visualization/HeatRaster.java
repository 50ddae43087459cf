package jenzyme.visualization;

import java.awt.image.BufferedImage;
import java.util.function.DoubleBinaryOperator;

/**
 * Display stage: the pixels of a heat map. The function is sampled on a modest grid (it may be expensive: an ODE
 * solve per point), then every pixel of the plot area is coloured from a bilinear interpolation of the colour-map
 * positions, which keeps edges and contour lines smooth at any figure size. Contour lines are drawn where the
 * quantised colour level changes between neighbouring pixels: a cheap, artefact-free stand-in for marching squares.
 */
final class HeatRaster {

    private static final int MISSING = 0xdddddd;
    private static final double CONTOUR_WHITENESS = 0.45;

    private HeatRaster() {
    }

    /** {@code values[j][i] = f(x_i, y_j)}, x and y ascending; non-finite values become NaN (drawn grey). */
    static double[][] sample(DoubleBinaryOperator f, double[] xs, double[] ys, String name) {
        double[][] values = new double[ys.length][xs.length];
        boolean anyFinite = false;
        for (int j = 0; j < ys.length; j++) {
            for (int i = 0; i < xs.length; i++) {
                double v;
                try {
                    v = f.applyAsDouble(xs[i], ys[j]);
                } catch (RuntimeException e) {
                    throw new PlotEvaluationException(name + " threw at (x, y) = (" + xs[i] + ", " + ys[j] + "): " + e, e);
                }
                values[j][i] = Double.isFinite(v) ? v : Double.NaN;
                anyFinite |= Double.isFinite(v);
            }
        }
        if (!anyFinite) {
            throw new PlotEvaluationException(name + " has no finite value on [" + xs[0] + ", " + xs[xs.length - 1]
                    + "] x [" + ys[0] + ", " + ys[ys.length - 1] + "]: nothing to draw");
        }
        return values;
    }

    /** The sampled values drawn into a {@code width} x {@code height} image, top row = largest y. */
    static BufferedImage image(double[][] values, ColorScale scale, int width, int height, int contours) {
        int ny = values.length, nx = values[0].length;
        double[][] t = new double[ny][nx];
        for (int j = 0; j < ny; j++) {
            for (int i = 0; i < nx; i++) {
                t[j][i] = scale.position(values[j][i]);
            }
        }
        double[][] pixels = new double[height][width];
        for (int py = 0; py < height; py++) {
            double gy = (1 - (py + 0.5) / height) * (ny - 1);
            for (int px = 0; px < width; px++) {
                pixels[py][px] = bilinear(t, (px + 0.5) / width * (nx - 1), gy);
            }
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int py = 0; py < height; py++) {
            for (int px = 0; px < width; px++) {
                double p = pixels[py][px];
                int rgb = Double.isNaN(p) ? MISSING : Viridis.rgb(p);
                if (contours > 0 && !Double.isNaN(p) && onContour(pixels, px, py, contours)) {
                    rgb = whiten(rgb);
                }
                image.setRGB(px, py, rgb);
            }
        }
        return image;
    }

    private static double bilinear(double[][] t, double gx, double gy) {
        int i = Math.min((int) gx, t[0].length - 2), j = Math.min((int) gy, t.length - 2);
        double u = gx - i, v = gy - j;
        double a = t[j][i], b = t[j][i + 1], c = t[j + 1][i], d = t[j + 1][i + 1];
        if (Double.isNaN(a) || Double.isNaN(b) || Double.isNaN(c) || Double.isNaN(d)) {
            // Next to a hole: take the nearest sample rather than let one NaN blank four cells.
            return t[j + (v < 0.5 ? 0 : 1)][i + (u < 0.5 ? 0 : 1)];
        }
        return (a * (1 - u) + b * u) * (1 - v) + (c * (1 - u) + d * u) * v;
    }

    private static boolean onContour(double[][] pixels, int px, int py, int contours) {
        int level = level(pixels[py][px], contours);
        return (px + 1 < pixels[0].length && differs(level, pixels[py][px + 1], contours))
                || (py + 1 < pixels.length && differs(level, pixels[py + 1][px], contours));
    }

    private static boolean differs(int level, double neighbour, int contours) {
        return !Double.isNaN(neighbour) && level(neighbour, contours) != level;
    }

    private static int level(double t, int contours) {
        return Math.min((int) (t * contours), contours - 1);
    }

    private static int whiten(int rgb) {
        int r = rgb >> 16 & 0xff, g = rgb >> 8 & 0xff, b = rgb & 0xff;
        r += (int) Math.round((255 - r) * CONTOUR_WHITENESS);
        g += (int) Math.round((255 - g) * CONTOUR_WHITENESS);
        b += (int) Math.round((255 - b) * CONTOUR_WHITENESS);
        return r << 16 | g << 8 | b;
    }
}
