package jenzyme.kernel.exec;

import java.lang.reflect.Array;
import java.util.function.Function;

/**
 * JShell's text for a value, bounded: arrays (nested ones too) show at most {@link #MAX_ELEMENTS} elements in all,
 * then how many more each has. JShell spells out every element, so a top-level
 * {@code double[] a = new double[100_000_000]} took 15 s and 2.3 GB of heap just to print (measured) — output no
 * notebook could show anyway. The format is JShell's: {@code int[3] { 1, 2, 3 }}, {@code double[2][] { ... }}.
 */
final class ValueText {

    static final int MAX_ELEMENTS = 1000;

    private ValueText() {}

    /** {@code jshellText} is JShell's own formatter (DirectExecutionControl.valueString), used for non-arrays. */
    static String of(Object value, Function<Object, String> jshellText) {
        if (value == null || !value.getClass().isArray()) {
            return jshellText.apply(value);
        }
        StringBuilder text = new StringBuilder();
        append(text, value, jshellText, new int[] {MAX_ELEMENTS});
        return text.toString();
    }

    private static void append(StringBuilder text, Object value, Function<Object, String> jshellText, int[] budget) {
        if (value == null || !value.getClass().isArray()) {
            text.append(jshellText.apply(value));
            return;
        }
        int dims = 0;
        Class<?> element = value.getClass();
        while (element.getComponentType() != null) {
            element = element.getComponentType();
            dims++;
        }
        String name = element.getTypeName();
        int length = Array.getLength(value);
        text.append(name.substring(name.lastIndexOf('.') + 1)).append('[').append(length).append(']');
        text.append("[]".repeat(dims - 1)).append(" { ");
        int shown = 0;
        for (; shown < length && budget[0] > 0; shown++, budget[0]--) {
            if (shown > 0) {
                text.append(", ");
            }
            append(text, Array.get(value, shown), jshellText, budget);
        }
        if (shown < length) {
            text.append(shown > 0 ? ", " : "").append("... (").append(length - shown).append(" more)");
        }
        text.append(" }");
    }
}
