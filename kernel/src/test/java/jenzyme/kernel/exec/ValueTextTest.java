package jenzyme.kernel.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.jshell.execution.DirectExecutionControl;
import org.junit.jupiter.api.Test;

/** Value text: JShell's own format for what fits, bounded for large (and nested) arrays. */
class ValueTextTest {

    /** Exposes JShell's protected formatter. */
    private static final class Jshell extends DirectExecutionControl {
        static String text(Object value) {
            return valueString(value);
        }
    }

    private static String text(Object value) {
        return ValueText.of(value, Jshell::text);
    }

    @Test
    void smallValuesAreExactlyJshells() {
        for (Object value : new Object[] {null, "a\"b", 'c', 42, new int[] {1, 2, 3}, new double[0],
                new String[] {"x", null}, new double[][] {{1, 2}, {}}, new int[ValueText.MAX_ELEMENTS]}) {
            assertEquals(Jshell.text(value), text(value));
        }
    }

    @Test
    void aHugeArrayShowsItsLengthTheFirstElementsAndHowManyMore() {
        String shown = text(new double[50_000_000]);
        assertTrue(shown.startsWith("double[50000000] { 0.0, 0.0, "), shown.substring(0, 40));
        assertTrue(shown.endsWith(", 0.0, ... (49999000 more) }"), shown.substring(shown.length() - 40));
        assertTrue(shown.length() < 10 * ValueText.MAX_ELEMENTS, "length " + shown.length());
    }

    @Test
    void nestedArraysShareOneBudget() {
        String shown = text(new long[3000][3000]);
        assertTrue(shown.startsWith("long[3000][] { long[3000] { 0, 0"), shown.substring(0, 40));
        assertTrue(shown.endsWith(", ... (2999 more) }"), shown.substring(shown.length() - 60));
        assertTrue(shown.length() < 10 * ValueText.MAX_ELEMENTS, "length " + shown.length());
    }
}
