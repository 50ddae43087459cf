package jenzyme.kernel.exec;

/**
 * The value of an expression cell: the object itself (for rich display) and JShell's text for it ({@code "abc"}
 * quoted, arrays spelled out as {@code int[2] { 1, 2 }}).
 */
public record SnippetValue(Object value, String text) {
}
