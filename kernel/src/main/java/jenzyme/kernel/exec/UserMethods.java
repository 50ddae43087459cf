package jenzyme.kernel.exec;

import jdk.jshell.JShell;
import jdk.jshell.MethodSnippet;
import jdk.jshell.Snippet;
import jenzyme.magics.UserMethod;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.util.List;
import java.util.Optional;
import jenzyme.runtime.error.Messages;

/**
 * Finds the class file that declares a cell method now. JShell's public API names the wrapper class of a snippet
 * ({@code SourceCodeAnalysis.wrapper(snippet).fullClassName()}, e.g. {@code REPL.$JShell$6C} after two reloads);
 * the JVM descriptor is read from that class file, which is what callers' {@code invokestatic} instructions use.
 */
final class UserMethods {

    private UserMethods() {
    }

    static List<UserMethod> named(JShell shell, SnippetClassStore store, String name) {
        return shell.methods()
                .filter(m -> m.name().equals(name))
                .filter(m -> shell.status(m) == Snippet.Status.VALID)
                .flatMap(m -> describe(shell, store, m).stream())
                .toList();
    }

    private static Optional<UserMethod> describe(JShell shell, SnippetClassStore store, MethodSnippet snippet) {
        String owner = shell.sourceCodeAnalysis().wrapper(snippet).fullClassName().replace('.', '/');
        return store.bytesOf(owner).flatMap(bytes -> {
            ClassModel model = ClassFile.of().parse(bytes);
            List<MethodModel> candidates = model.methods().stream()
                    .filter(m -> m.methodName().equalsString(snippet.name()))
                    .filter(m -> (m.flags().flagsMask() & ClassFile.ACC_STATIC) != 0)
                    .toList();
            if (candidates.size() > 1) {
                // Overloads from different cells can end up in one wrapper class when JShell recompiles them
                // together (QA6 R3): the snippet's own parameter types pick its method.
                List<String> written = simpleNames(snippet.parameterTypes());
                candidates = candidates.stream()
                        .filter(m -> m.methodTypeSymbol().parameterList().stream()
                                .map(p -> lastName(p.displayName())).toList().equals(written))
                        .toList();
            }
            if (candidates.size() != 1) {
                throw new IllegalStateException(Messages.SNIPPET_METHOD_COUNT.format(snippet.name(), owner, candidates.size()));
            }
            return Optional.of(new UserMethod(owner, snippet.name(), candidates.getFirst().methodType().stringValue(),
                    snippet.source()));
        });
    }

    /** {@code "double[], java.util.List<Double>, Point..."} as {@code [double[], List, Point[]]}: erased simple names. */
    private static List<String> simpleNames(String parameterTypes) {
        String erased = parameterTypes;
        for (String inner = ""; !inner.equals(erased); ) {
            inner = erased;
            erased = erased.replaceAll("<[^<>]*>", "");
        }
        erased = erased.replace("...", "[]");
        return erased.isBlank() ? List.of()
                : java.util.Arrays.stream(erased.split(",")).map(String::strip).map(UserMethods::lastName).toList();
    }

    /** The name after the last package or nesting separator: JShell nests cell classes in its wrapper classes. */
    private static String lastName(String type) {
        return type.substring(Math.max(type.lastIndexOf('.'), type.lastIndexOf('$')) + 1);
    }
}
