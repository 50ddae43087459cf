package jenzyme.kernel.exec;

/**
 * Maps a position inside one snippet to the line and column of the cell it came from, so that compiler errors
 * point at what the user typed rather than at JShell's snippet numbering.
 */
record CellPositions(String cell, int snippetOffset) {

    /** 1-based line of {@code positionInSnippet} in the cell. */
    int line(long positionInSnippet) {
        int at = cellOffset(positionInSnippet);
        int line = 1;
        for (int i = 0; i < at; i++) {
            if (cell.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    /** 1-based column of {@code positionInSnippet} in its cell line. */
    int column(long positionInSnippet) {
        int at = cellOffset(positionInSnippet);
        return at - lineStart(at) + 1;
    }

    String sourceLine(long positionInSnippet) {
        int start = lineStart(cellOffset(positionInSnippet));
        int end = cell.indexOf('\n', start);
        return cell.substring(start, end < 0 ? cell.length() : end);
    }

    private int lineStart(int at) {
        return cell.lastIndexOf('\n', at - 1) + 1;
    }

    private int cellOffset(long positionInSnippet) {
        long at = snippetOffset + Math.max(0, positionInSnippet);
        return (int) Math.min(at, cell.length());
    }
}
