package jenzyme.kernel.cell;

import java.util.List;

/** One piece of a cell, in execution order: Java for JShell, or a magic call. */
public sealed interface CellPart {

    /**
     * Java source for JShell. Lines of the cell that belong to other parts are left empty, so line and column
     * numbers in compiler messages are those of the cell.
     */
    record JavaCode(String source) implements CellPart {
    }

    /** {@code %name args...} on a line of its own; {@code line} is its 1-based line in the cell. */
    record LineMagicCall(String name, List<String> args, int line) implements CellPart {
        public LineMagicCall {
            args = List.copyOf(args);
        }
    }

    /** {@code %%name args...} as the first line; the rest of the cell is its body. */
    record CellMagicCall(String name, List<String> args, String body) implements CellPart {
        public CellMagicCall {
            args = List.copyOf(args);
        }
    }
}
