package jenzyme.kernel.help;

import jdk.jshell.SourceCodeAnalysis.Documentation;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the inspector (Shift+Tab, Contextual Help) and the pager ({@code name?}) show for the name at the cursor, as
 * Markdown with a plain-text twin: a magic's usage and examples; otherwise each declaration JShell finds there, its
 * signature as a Java block, then its Javadoc ({@link JavadocMarkdown}) from the JDK's sources, from the project's
 * bundled sources ({@link BundledSources}), or, for methods and records the magics generated, {@link BindingHelp}.
 */
public final class NotebookHelp {

    /** The help for one request, for a Jupyter MIME bundle. */
    public record Help(String markdown) {
        public String plainText() {
            return JavadocMarkdown.toPlainText(markdown);
        }
    }

    /** The notebook's side: JShell's documentation at a cursor, a magic's help, which cell names exist. */
    public interface Sources {
        List<Documentation> documentation(String code, int cursor);

        /** The help text (Markdown) of {@code %name}, if there is such a magic. */
        Optional<String> magicHelp(String name);

        boolean isCellMethod(String name);

        Optional<String> cellTypeSource(String name);
    }

    private static final Pattern MAGIC_AT_CURSOR = Pattern.compile("^\\s*%{1,2}([\\w-]+)");
    private static final Pattern QUALIFIED_METHOD = Pattern.compile("^(?:.*\\s)?([\\w.$]+)\\.(\\w+)\\((.*)\\)$");

    private final Sources sources;
    private final BundledSources bundled;
    private final BindingHelp bindings;

    public NotebookHelp(Sources sources, ClassLoader projectClasses) {
        this.sources = sources;
        this.bundled = new BundledSources(projectClasses);
        this.bindings = new BindingHelp(sources::isCellMethod, sources::cellTypeSource);
    }

    public Optional<Help> at(String code, int cursor) {
        int lineStart = code.lastIndexOf('\n', Math.max(0, cursor - 1)) + 1;
        Matcher magic = MAGIC_AT_CURSOR.matcher(code.substring(lineStart));
        if (magic.find() && cursor <= lineStart + magic.end()) {
            return sources.magicHelp(magic.group(1)).map(Help::new);
        }
        List<String> parts = new ArrayList<>();
        for (Documentation doc : sources.documentation(code, cursor)) {
            parts.add(describe(doc));
        }
        return parts.isEmpty() ? Optional.empty() : Optional.of(new Help(String.join("\n\n---\n\n", parts)));
    }

    private String describe(Documentation doc) {
        String signature = doc.signature();
        String body = null;
        if (doc.javadoc() != null && !doc.javadoc().isBlank()) {
            body = JavadocMarkdown.toMarkdown(doc.javadoc());
        } else {
            Optional<BundledSources.Declaration> declaration = bundledDeclaration(signature);
            if (declaration.isPresent()) {
                signature = withParameterNames(signature, declaration.get().parameterNames());
                body = JavadocMarkdown.toMarkdown(declaration.get().javadoc());
            } else {
                body = bindings.describe(signature).orElse(null);
            }
        }
        return "```java\n" + signature + "\n```" + (body == null || body.isBlank() ? "" : "\n\n" + body);
    }

    /** The bundled declaration for a JShell signature: {@code pkg.Type} or {@code R pkg.Type.m(T1 arg0, ...)}. */
    private Optional<BundledSources.Declaration> bundledDeclaration(String signature) {
        Matcher method = QUALIFIED_METHOD.matcher(signature.strip());
        if (method.matches()) {
            List<String> types = method.group(3).isBlank() ? List.of()
                    : splitParameters(method.group(3)).stream().map(NotebookHelp::typeOf).toList();
            return bundled.find(qualified(method.group(1)), method.group(2), types);
        }
        String type = signature.strip().replaceAll("<.*>", "");
        type = type.substring(type.lastIndexOf(' ') + 1);
        return type.contains(".") ? bundled.find(type, "", null) : Optional.empty();
    }

    /** JShell shows imported types by simple name; its documentation of the type itself gives the qualified one. */
    private String qualified(String type) {
        if (type.contains(".")) {
            return type;
        }
        return sources.documentation(type, type.length()).stream().map(Documentation::signature)
                .filter(s -> s.endsWith("." + type)).findFirst().orElse(type);
    }

    /** JShell names the parameters of classes without sources arg0, arg1...: use the names the source gives. */
    private static String withParameterNames(String signature, List<String> names) {
        Matcher method = QUALIFIED_METHOD.matcher(signature.strip());
        if (!method.matches() || names.isEmpty()) {
            return signature;
        }
        List<String> parameters = splitParameters(method.group(3));
        if (parameters.size() != names.size()) {
            return signature;
        }
        List<String> renamed = new ArrayList<>();
        for (int i = 0; i < parameters.size(); i++) {
            renamed.add(typeOf(parameters.get(i)) + " " + names.get(i));
        }
        return signature.substring(0, signature.indexOf('(') + 1) + String.join(", ", renamed) + ")";
    }

    /** Parameters split at top-level commas (generic types contain commas too). */
    private static List<String> splitParameters(String list) {
        List<String> parts = new ArrayList<>();
        int depth = 0, start = 0;
        for (int i = 0; i < list.length(); i++) {
            char c = list.charAt(i);
            if (c == '<') depth++;
            if (c == '>') depth--;
            if (c == ',' && depth == 0) {
                parts.add(list.substring(start, i).strip());
                start = i + 1;
            }
        }
        parts.add(list.substring(start).strip());
        return parts;
    }

    private static String typeOf(String parameter) {
        int space = parameter.lastIndexOf(' ');
        return space < 0 ? parameter : parameter.substring(0, space).strip();
    }
}
