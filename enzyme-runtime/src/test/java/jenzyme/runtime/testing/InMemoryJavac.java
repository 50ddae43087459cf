package jenzyme.runtime.testing;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Test fixture factory: compiles Java source text in memory with the JDK's javac (with {@code -g -parameters}, like a
 * notebook's snippets carry line numbers) into class bytes that the frontend reads and a class loader runs.
 */
public final class InMemoryJavac {

    private InMemoryJavac() {}

    /** Compiles one compilation unit whose public top-level class is {@code className} (binary name). */
    public static CompiledClasses compile(String className, String source) {
        return compile(className, source, List.of());
    }

    /** {@link #compile(String, String)} with more javac options, e.g. {@code -XDstringConcat=inline}. */
    public static CompiledClasses compile(String className, String source, List<String> moreOptions) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        Map<String, ByteArrayOutputStream> outputs = new HashMap<>();
        StandardJavaFileManager standard = javac.getStandardFileManager(diagnostics, null, null);
        JavaFileManager manager = new ForwardingJavaFileManager<>(standard) {
            @Override
            public JavaFileObject getJavaFileForOutput(Location location, String name, JavaFileObject.Kind kind,
                                                       FileObject sibling) {
                return new SimpleJavaFileObject(URI.create("mem:///" + name.replace('.', '/') + ".class"), kind) {
                    @Override
                    public OutputStream openOutputStream() {
                        return outputs.computeIfAbsent(name, n -> new ByteArrayOutputStream());
                    }
                };
            }
        };
        JavaFileObject unit = new SimpleJavaFileObject(
                URI.create("string:///" + className.replace('.', '/') + ".java"), JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return source;
            }
        };
        List<String> options = new ArrayList<>(List.of("-g", "-parameters", "--release", "25"));
        options.addAll(moreOptions);
        boolean ok = javac.getTask(null, manager, diagnostics, options, null, List.of(unit)).call();
        if (!ok) {
            List<String> errors = new ArrayList<>();
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                errors.add("line " + d.getLineNumber() + ": " + d.getMessage(null));
            }
            throw new IllegalArgumentException("test source does not compile: " + errors);
        }
        Map<String, byte[]> classes = new HashMap<>();
        outputs.forEach((name, bytes) -> classes.put(name.replace('.', '/'), bytes.toByteArray()));
        return new CompiledClasses(classes);
    }
}
