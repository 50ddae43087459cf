package jenzyme.kernel.help;

import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.tree.Tree;
import com.sun.source.tree.VariableTree;
import com.sun.source.util.JavacTask;
import com.sun.source.util.TreePath;
import com.sun.source.util.TreePathScanner;
import com.sun.source.util.Trees;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;

/**
 * Javadoc of the project's own classes ({@code Plots}, {@code GradCheck}, the runtime...). JShell reads doc comments
 * only from the JDK's src.zip, so the build copies each module's sources into its jar under
 * {@value #PREFIX} (see the parent pom) and this class parses them (javac, parse only) on demand.
 */
final class BundledSources {

    static final String PREFIX = "META-INF/jenzyme-sources/";

    /** A documented declaration: its doc comment and, for methods, the parameter names as written. */
    record Declaration(String javadoc, List<String> parameterNames) {
    }

    private final ClassLoader loader;
    private final Map<String, Optional<CompilationUnitTree>> parsed = new ConcurrentHashMap<>();
    private final Map<CompilationUnitTree, Trees> trees = new ConcurrentHashMap<>();

    BundledSources(ClassLoader loader) {
        this.loader = loader;
    }

    /**
     * The declaration of {@code member} (a method name, or empty for the type itself) of the type {@code typeName}
     * (qualified, nested types with dots) taking parameters whose simple type names are {@code parameterTypes}
     * (null: any).
     */
    Optional<Declaration> find(String typeName, String member, List<String> parameterTypes) {
        String[] parts = typeName.split("\\.");
        for (int outer = parts.length; outer > 0; outer--) {
            if (!Character.isUpperCase(parts[outer - 1].charAt(0))) {
                break;
            }
            String file = String.join("/", List.of(parts).subList(0, outer)) + ".java";
            Optional<CompilationUnitTree> unit = parsed.computeIfAbsent(file, this::parse);
            if (unit.isPresent()) {
                List<String> nesting = List.of(parts).subList(outer - 1, parts.length);
                return search(unit.get(), nesting, member, parameterTypes);
            }
        }
        return Optional.empty();
    }

    private Optional<Declaration> search(CompilationUnitTree unit, List<String> nesting, String member,
                                         List<String> parameterTypes) {
        Trees docs = trees.get(unit);
        Declaration[] found = new Declaration[1];
        new TreePathScanner<Void, Integer>() {
            @Override
            public Void visitClass(ClassTree node, Integer depth) {
                if (found[0] != null || depth >= nesting.size()
                        || !node.getSimpleName().contentEquals(nesting.get(depth))) {
                    return null;
                }
                if (depth == nesting.size() - 1 && member.isEmpty()) {
                    found[0] = new Declaration(docs.getDocComment(getCurrentPath()), List.of());
                    return null;
                }
                for (Tree child : node.getMembers()) {
                    TreePath path = new TreePath(getCurrentPath(), child);
                    if (child instanceof ClassTree) {
                        scan(path, depth + 1);
                    } else if (depth == nesting.size() - 1 && child instanceof MethodTree method
                            && method.getName().contentEquals(member) && matches(method, parameterTypes)) {
                        found[0] = new Declaration(docs.getDocComment(path),
                                method.getParameters().stream().map(p -> p.getName().toString()).toList());
                        return null;
                    }
                }
                return null;
            }
        }.scan(new TreePath(unit), 0);
        return Optional.ofNullable(found[0]).filter(d -> d.javadoc() != null);
    }

    private static boolean matches(MethodTree method, List<String> parameterTypes) {
        if (parameterTypes == null) {
            return true;
        }
        List<? extends VariableTree> parameters = method.getParameters();
        if (parameters.size() != parameterTypes.size()) {
            return false;
        }
        for (int i = 0; i < parameters.size(); i++) {
            if (!simpleName(parameters.get(i).getType().toString()).equals(simpleName(parameterTypes.get(i)))) {
                return false;
            }
        }
        return true;
    }

    /** {@code java.util.List<? extends Number>} and {@code List<Number>} both read {@code List}; arrays keep []. */
    static String simpleName(String type) {
        String erased = type.replaceAll("<.*>", "").replace("...", "[]").strip();
        return erased.substring(erased.lastIndexOf('.') + 1);
    }

    private Optional<CompilationUnitTree> parse(String file) {
        String text;
        try (InputStream in = loader.getResourceAsStream(PREFIX + file)) {
            if (in == null) {
                return Optional.empty();
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException unreadable) {
            return Optional.empty();
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        JavaFileObject source = new SimpleJavaFileObject(URI.create("string:///" + file), JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return text;
            }
        };
        JavacTask task = (JavacTask) javac.getTask(null, null, diagnostic -> { }, List.of("-proc:none"), null,
                List.of(source));
        try {
            CompilationUnitTree unit = task.parse().iterator().next();
            trees.put(unit, Trees.instance(task));
            return Optional.of(unit);
        } catch (IOException | RuntimeException unparsable) {
            return Optional.empty();
        }
    }
}
