package jenzyme.kernel.exec;

import jdk.jshell.JShell;
import jdk.jshell.MethodSnippet;
import jdk.jshell.Snippet;
import jdk.jshell.SourceCodeAnalysis;
import jenzyme.runtime.error.JavaWords;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps JShell's names back to what the user typed. Every snippet the evaluator runs is recorded with the cell it came
 * from and where it starts there, so a frame {@code h(#20:2)} (snippet 20, its line 2) or a class-file location
 * ({@code REPL.$JShell$20}, line 6 of JShell's wrapper source, as the frontend reports it) becomes "cell [3], line 4"
 * with that line's text. Snippets defined by magics (generated bindings) are marked as such.
 */
public final class SnippetOrigins {

    /** Where a snippet's source starts: {@code code} is the Java the evaluator was given, whose lines are the cell's. */
    private record Origin(String cell, String code, int offset, boolean generated) {

        /** The cell line holding {@code snippetPosition} (a character offset in the snippet). */
        CellLocation at(int snippetPosition) {
            return line(lineOf(offset + Math.max(0, snippetPosition)));
        }

        CellLocation atLine(int snippetLine) {
            return line(lineOf(offset) + snippetLine - 1);
        }

        private int lineOf(int position) {
            int end = Math.min(code.length(), position);
            return 1 + (int) code.substring(0, end).chars().filter(c -> c == '\n').count();
        }

        private CellLocation line(int line) {
            String[] lines = code.split("\n", -1);
            return new CellLocation(cell, line, line <= lines.length ? lines[line - 1] : "");
        }
    }

    private final JShell shell;
    private final Map<String, Origin> byId = new ConcurrentHashMap<>();
    /** Snippet of each wrapper class JShell compiled, e.g. {@code REPL.$JShell$20} (recompiled: {@code $JShell$20B}). */
    private final Map<String, Snippet> byClass = new ConcurrentHashMap<>();

    SnippetOrigins(JShell shell) {
        this.shell = shell;
    }

    /** Records that {@code snippet} is the Java starting at {@code offset} of {@code code}, run for {@code cell}. */
    void record(Snippet snippet, String cell, String code, int offset, boolean generated) {
        byId.put(snippet.id(), new Origin(cell, code, offset, generated));
    }

    /** Records the wrapper class JShell compiled {@code snippet} into (again after a redefinition it depends on). */
    void recordClass(Snippet snippet) {
        byClass.put(shell.sourceCodeAnalysis().wrapper(snippet).fullClassName(), snippet);
    }

    /**
     * A raw frame of snippet code ({@code REPL.$JShell$20} or a class nested in it, its method, the line of JShell's
     * wrapper source) in the user's terms; empty if the class is no snippet's.
     */
    Optional<TraceFrame> frame(String className, String method, int wrapperLine) {
        Optional<Snippet> snippet = snippetOfClass(className);
        if (snippet.isEmpty()) {
            return Optional.empty();
        }
        Origin origin = byId.get(snippet.get().id());
        String nested = nestedClass(className);
        String name = method.startsWith("lambda$") ? "a lambda"
                : nested.isEmpty() ? asWritten(snippet.get(), method) : nested + "." + method;
        Optional<String> shown = method.equals("do_it$") ? Optional.empty() : Optional.of(name);
        if (origin == null || origin.generated()) {
            return Optional.of(new TraceFrame.Generated(shown.orElse("generated code")));
        }
        return Optional.of(locateInClass(className, wrapperLine)
                .map(at -> (TraceFrame) new TraceFrame.InCell(shown, at))
                .orElse(new TraceFrame.Generated(shown.orElse("a cell"))));
    }

    /** Whether snippet {@code id} ({@code "20"} for frames {@code #20}) came from code a magic generated. */
    public boolean isGenerated(String id) {
        Origin origin = byId.get(id);
        return origin != null && origin.generated();
    }

    /** Line {@code snippetLine} (1-based) of snippet {@code id} in its cell, if the snippet came from a cell. */
    public Optional<CellLocation> locate(String id, int snippetLine) {
        Origin origin = byId.get(id);
        return origin == null || origin.generated() || snippetLine < 1 ? Optional.empty()
                : Optional.of(origin.atLine(snippetLine));
    }

    /**
     * The cell line of {@code wrapperLine} (1-based, a line number from the class file's LineNumberTable) in the
     * snippet class {@code className} ({@code REPL.$JShell$20} or {@code REPL/$JShell$20}).
     */
    public Optional<CellLocation> locateInClass(String className, int wrapperLine) {
        return snippetOfClass(className).flatMap(snippet -> {
            Origin origin = byId.get(snippet.id());
            if (origin == null || origin.generated() || wrapperLine < 1) {
                return Optional.empty();
            }
            SourceCodeAnalysis.SnippetWrapper wrapper = shell.sourceCodeAnalysis().wrapper(snippet);
            String wrapped = wrapper.wrapped();
            int lineStart = 0;
            for (int i = 1; i < wrapperLine; i++) {
                lineStart = wrapped.indexOf('\n', lineStart) + 1;
                if (lineStart == 0) {
                    return Optional.empty();
                }
            }
            // The wrapper indents and prefixes the snippet's first line, so map the line's last character.
            int lineEnd = wrapped.indexOf('\n', lineStart);
            int last = Math.max(lineStart, (lineEnd < 0 ? wrapped.length() : lineEnd) - 1);
            int position = wrapper.wrappedToSourcePosition(last);
            return position < 0 ? Optional.empty() : Optional.of(origin.at(position));
        });
    }

    /**
     * The cell line declaring method {@code name} of the snippet class {@code className}: where a refusal of the
     * method's signature (a parameter or return type) points, as its bytecode has no line before its first statement.
     */
    public Optional<CellLocation> declaration(String className, String name) {
        return snippetOfClass(className).flatMap(snippet -> {
            Origin origin = byId.get(snippet.id());
            if (origin == null || origin.generated()) {
                return Optional.empty();
            }
            // a type, then the name and its parameter list: the declaration, not a call (a class may call first)
            Matcher declared = Pattern.compile("[\\w>\\]]\\s+"
                    + Pattern.quote(name) + "\\s*\\(").matcher(snippet.source());
            return declared.find() ? Optional.of(origin.at(declared.end() - 1)) : Optional.empty();
        });
    }

    /**
     * The method {@code name} of snippet class {@code className} as the user wrote it, e.g. {@code h(double, int[])};
     * else owner, name and parameters from the descriptor, e.g. {@code Acc.add(double)}.
     */
    public String methodAsWritten(String className, String name, String descriptor) {
        return snippetOfClass(className).filter(snippet -> snippet instanceof MethodSnippet m && m.name().equals(name))
                .map(snippet -> asWritten(snippet, name))
                // a method of a class declared in a cell: Acc.add(double), not the bare add
                .orElseGet(() -> JavaWords.method(className.replace('.', '/'), name, descriptor));
    }

    private static String asWritten(Snippet snippet, String method) {
        return snippet instanceof MethodSnippet m && m.name().equals(method)
                ? m.name() + "(" + m.parameterTypes().replace(",", ", ") + ")" : method;
    }

    /** The snippet whose wrapper class is, or encloses, {@code className}. */
    private Optional<Snippet> snippetOfClass(String className) {
        return Optional.ofNullable(byClass.get(wrapperClass(className.replace('/', '.'))));
    }

    /** {@code REPL.$JShell$20B} for {@code REPL.$JShell$20B$Point} (a class declared in a cell). */
    private static String wrapperClass(String dotted) {
        int nested = dotted.indexOf('$', WRAPPER_PREFIX.length());
        return nested < 0 ? dotted : dotted.substring(0, nested);
    }

    private static String nestedClass(String className) {
        String dotted = className.replace('/', '.');
        String wrapper = wrapperClass(dotted);
        return dotted.length() > wrapper.length() ? dotted.substring(wrapper.length() + 1) : "";
    }

    private static final String WRAPPER_PREFIX = "REPL.$JShell$";
}
