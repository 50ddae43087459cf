package jenzyme.visualization;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * Display stage: labels of logarithmic scales (the y axis of convergence plots, a heat map's log colour bar) in one
 * notation, 10ᵏ, instead of XChart's mix of plain decimals and E-notation ({@code 0.001} next to {@code 1E-4}).
 * The scale is drawn linear in log10 of the value, so a label receives the exponent.
 */
final class PowerLabels {

    private static final String SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹";

    private PowerLabels() {
    }

    /** 10^exponent: {@code 10⁻⁴} for whole exponents, else a 2-digit mantissa, {@code 3.2×10⁻²}. */
    static String power(double exponent) {
        double whole = Math.rint(exponent);
        if (Math.abs(exponent - whole) < 1e-9) {
            return "10" + superscript((long) whole);
        }
        long decade = (long) Math.floor(exponent);
        BigDecimal mantissa = new BigDecimal(Math.pow(10, exponent - decade)).round(new MathContext(2))
                .stripTrailingZeros();
        if (mantissa.compareTo(BigDecimal.TEN) >= 0) {
            return "10" + superscript(decade + 1);
        }
        return mantissa.toPlainString() + "×10" + superscript(decade);
    }

    private static String superscript(long k) {
        StringBuilder out = new StringBuilder(k < 0 ? "⁻" : "");
        for (char digit : Long.toString(Math.abs(k)).toCharArray()) {
            out.append(SUPERSCRIPT_DIGITS.charAt(digit - '0'));
        }
        return out.toString();
    }
}
