package jenzyme.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class QuartilesTest {

    @Test
    void interpolatesBetweenOrderStatistics() {
        Quartiles q = Quartiles.of(new double[] {5, 1, 4, 2, 3});
        assertEquals(2, q.q1(), 0);
        assertEquals(3, q.median(), 0);
        assertEquals(4, q.q3(), 0);
        assertEquals(2.0 / 3, q.relativeSpread(), 1e-15);
        Quartiles even = Quartiles.of(new double[] {4, 1, 3, 2});
        assertEquals(2.5, even.median(), 0);
        assertEquals(1.75, even.q1(), 1e-15);
    }

    @Test
    void refusesNoSamples() {
        assertThrows(IllegalArgumentException.class, () -> Quartiles.of(new double[0]));
    }
}
