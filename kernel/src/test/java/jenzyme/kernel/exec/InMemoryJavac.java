package jenzyme.kernel.exec;

import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Test fixture: compiles Java source in memory (the class files a test needs, written as real Java). */
final class InMemoryJavac {

    private InMemoryJavac() {
    }

    /** Compiles one compilation unit whose public class is {@code binaryName}; returns every class file by binary name. */
    static Map<String, byte[]> compile(String binaryName, String source) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        Map<String, ByteArrayOutputStream> outputs = new HashMap<>();
        JavaFileObject unit = new SimpleJavaFileObject(URI.create("string:///" + binaryName.replace('.', '/') + ".java"),
                JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return source;
            }
        };
        JavaFileManager files = new ForwardingJavaFileManager<>(javac.getStandardFileManager(null, null, null)) {
            @Override
            public JavaFileObject getJavaFileForOutput(Location location, String className, JavaFileObject.Kind kind,
                                                       FileObject sibling) {
                return new SimpleJavaFileObject(URI.create("mem:///" + className.replace('.', '/') + ".class"), kind) {
                    @Override
                    public OutputStream openOutputStream() {
                        return outputs.computeIfAbsent(className, n -> new ByteArrayOutputStream());
                    }
                };
            }
        };
        StringWriter errors = new StringWriter();
        if (!javac.getTask(errors, files, null, List.of("--release", "25"), null, List.of(unit)).call()) {
            throw new IllegalArgumentException("test fixture does not compile:\n" + errors);
        }
        Map<String, byte[]> classes = new HashMap<>();
        outputs.forEach((name, bytes) -> classes.put(name, bytes.toByteArray()));
        return classes;
    }

    /** Writes the compiled classes under {@code root} as a class directory. */
    static Path writeClassDirectory(Path root, Map<String, byte[]> classes) throws IOException {
        for (Map.Entry<String, byte[]> entry : classes.entrySet()) {
            Path file = root.resolve(entry.getKey().replace('.', '/') + ".class");
            Files.createDirectories(file.getParent());
            Files.write(file, entry.getValue());
        }
        return root;
    }
}
