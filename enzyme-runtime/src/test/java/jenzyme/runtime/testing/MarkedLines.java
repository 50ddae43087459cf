package jenzyme.runtime.testing;

import java.util.List;

/** Lines of a test's Java source marked with a trailing {@code // marker}, for asserting the line a message names. */
public final class MarkedLines {

    private MarkedLines() {
    }

    /** The 1-based line of {@code source} ending in {@code // marker}. */
    public static int lineOf(String source, String marker) {
        List<String> lines = source.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).endsWith("// " + marker)) {
                return i + 1;
            }
        }
        throw new AssertionError("no line marked " + marker);
    }
}
