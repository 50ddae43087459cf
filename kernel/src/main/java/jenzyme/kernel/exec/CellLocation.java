package jenzyme.kernel.exec;

/**
 * A place in what the user typed: the cell (as Jupyter labels it, e.g. {@code [5]}), the 1-based line in that cell
 * and the text of that line. Error reports point here instead of at JShell's snippet classes and numbers.
 */
public record CellLocation(String cell, int line, String sourceLine) {
}
