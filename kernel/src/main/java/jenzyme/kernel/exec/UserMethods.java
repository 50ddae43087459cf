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
            if (candidates.size() != 1) {
                throw new IllegalStateException(Messages.SNIPPET_METHOD_COUNT.format(snippet.name(), owner, candidates.size()));
            }
            return Optional.of(new UserMethod(owner, snippet.name(), candidates.getFirst().methodType().stringValue(),
                    snippet.source()));
        });
    }
}
