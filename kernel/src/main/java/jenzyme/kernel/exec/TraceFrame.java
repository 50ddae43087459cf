package jenzyme.kernel.exec;

import java.util.Optional;

/**
 * One line of a user exception's trace, already in the user's terms: a frame in a cell (method as written, cell and
 * line), a method a magic generated (e.g. {@code f_grad}), a library frame, or the start of a cause. Frames of the
 * kernel, of JShell's machinery and of method-handle plumbing are left out when the trace is built.
 */
public sealed interface TraceFrame {

    /** In cell code: {@code method} as written, e.g. {@code h(double)}, or empty for the cell's own statements. */
    record InCell(Optional<String> method, CellLocation at) implements TraceFrame {
    }

    /** In a method that a magic bound (its source is generated, so it has no line worth showing). */
    record Generated(String method) implements TraceFrame {
    }

    /** In a class library, as the JVM prints it, e.g. {@code java.util.ArrayList.get(ArrayList.java:427)}. */
    record Library(String frame) implements TraceFrame {
    }

    /** The exception that caused the ones above, with its message (may be empty). */
    record CausedBy(String exceptionClass, String detail) implements TraceFrame {
    }
}
