package jenzyme.kernel.exec;

import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.SourceCodeAnalysis.CompletionInfo;

import java.util.List;

/**
 * Editor help from JShell's {@link SourceCodeAnalysis}: whether a cell is complete, completions and documentation
 * at the cursor. Used by the kernel's is_complete, complete and inspect handlers.
 */
public final class CodeAssistant {

    private static final String INDENT = "    ";

    private final SourceCodeAnalysis analysis;

    CodeAssistant(SourceCodeAnalysis analysis) {
        this.analysis = analysis;
    }

    /** is_complete's verdict: complete, invalid, or incomplete with the indent for the next line. */
    public record Completeness(Status status, String indent) {
        public enum Status { COMPLETE, INCOMPLETE, INVALID }
    }

    public Completeness completeness(String code) {
        String remaining = code;
        while (true) {
            CompletionInfo info = analysis.analyzeCompletion(remaining);
            switch (info.completeness()) {
                case EMPTY -> {
                    return new Completeness(Completeness.Status.COMPLETE, "");
                }
                case UNKNOWN -> {
                    return new Completeness(Completeness.Status.INVALID, "");
                }
                case DEFINITELY_INCOMPLETE, CONSIDERED_INCOMPLETE -> {
                    return new Completeness(Completeness.Status.INCOMPLETE, nextIndent(info.remaining()));
                }
                default -> remaining = info.remaining();
            }
        }
    }

    /** The last line's indent, one level deeper if that line opens more brackets than it closes. */
    private static String nextIndent(String incomplete) {
        String body = incomplete.stripTrailing();
        String lastLine = body.substring(body.lastIndexOf('\n') + 1);
        String indent = lastLine.substring(0, lastLine.length() - lastLine.stripLeading().length());
        int depth = 0;
        for (char c : lastLine.toCharArray()) {
            if (c == '{' || c == '(' || c == '[') {
                depth++;
            } else if (c == '}' || c == ')' || c == ']') {
                depth--;
            }
        }
        return depth > 0 ? indent + INDENT : indent;
    }

    /** Completions at {@code cursor}: the texts that replace {@code code[start, cursor)}. */
    public record Completions(List<String> matches, int start, int end) {
    }

    public Completions complete(String code, int cursor) {
        int[] anchor = new int[1];
        List<String> matches = analysis.completionSuggestions(code, cursor, anchor).stream()
                .sorted((a, b) -> Boolean.compare(b.matchesType(), a.matchesType()))
                .map(SourceCodeAnalysis.Suggestion::continuation)
                .distinct()
                .toList();
        return new Completions(matches, matches.isEmpty() ? cursor : anchor[0], cursor);
    }

    /**
     * Signatures and Javadoc of what the cursor is on or inside the call of. JShell documents a method only inside
     * its call, so for a bare method name ({@code Math.abs}) the call is opened for it.
     */
    public List<SourceCodeAnalysis.Documentation> documentation(String code, int cursor) {
        int end = Math.min(cursor, code.length());
        while (end < code.length() && Character.isJavaIdentifierPart(code.charAt(end))) {
            end++;
        }
        List<SourceCodeAnalysis.Documentation> docs = analysis.documentation(code, end, true);
        if (docs.isEmpty()) {
            docs = analysis.documentation(code.substring(0, end) + "(" + code.substring(end), end + 1, true);
        }
        return docs;
    }
}
