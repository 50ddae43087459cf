package jenzyme.runtime.lower;

/**
 * Distance between two floating-point results in units in the last place. Identical bits (NaNs alike) are 0 apart;
 * a NaN against a number, or results of opposite sign, are infinitely apart (never within any bound).
 */
final class UlpDistance {

    static final long INFINITE = Long.MAX_VALUE;

    private UlpDistance() {}

    static long between(double a, double b) {
        if (Double.doubleToLongBits(a) == Double.doubleToLongBits(b)) {
            return 0;
        }
        if (Double.isNaN(a) || Double.isNaN(b) || Math.copySign(1, a) != Math.copySign(1, b)) {
            return INFINITE;
        }
        return Math.abs(Double.doubleToRawLongBits(a) - Double.doubleToRawLongBits(b));
    }

    static long between(float a, float b) {
        if (Float.floatToIntBits(a) == Float.floatToIntBits(b)) {
            return 0;
        }
        if (Float.isNaN(a) || Float.isNaN(b) || Math.copySign(1f, a) != Math.copySign(1f, b)) {
            return INFINITE;
        }
        return Math.abs(Float.floatToRawIntBits(a) - Float.floatToRawIntBits(b));
    }
}
