package jenzyme.magics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jenzyme.magics.classpath.ClasspathMagic;
import jenzyme.runtime.lower.ClassBytesSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClasspathMagicTest {

    /** Records what the magic adds; every other capability is out of this magic's reach. */
    private static final class RecordingSession implements NotebookSession {
        final List<Path> added = new ArrayList<>();

        @Override public ClassBytesSource classBytes() { throw new UnsupportedOperationException(); }
        @Override public List<UserMethod> methods(String name) { throw new UnsupportedOperationException(); }
        @Override public boolean declares(String name) { throw new UnsupportedOperationException(); }
        @Override public MethodHandle handle(UserMethod method) { throw new UnsupportedOperationException(); }
        @Override public void define(String javaSource) { throw new UnsupportedOperationException(); }
        @Override public void display(Object value) { throw new UnsupportedOperationException(); }
        @Override public void addToClasspath(List<Path> entries) { added.addAll(entries); }
        @Override public InterruptRegistration onInterrupt(Runnable listener) { throw new UnsupportedOperationException(); }
        @Override public InterruptRegistration onMethodsDefined(java.util.function.Consumer<java.util.Set<String>> listener) {
            throw new UnsupportedOperationException();
        }
    }

    private final RecordingSession session = new RecordingSession();
    private final ClasspathMagic magic = new ClasspathMagic(session);

    @Test
    void globsExpandToTheMatchingJars(@TempDir Path dir) throws Exception {
        Path a = jar(dir.resolve("a.jar"));
        Path b = jar(dir.resolve("b.jar"));
        Files.createFile(dir.resolve("notes.txt"));
        magic.eval(null, List.of(dir + "/*.jar"));
        assertEquals(List.of(a, b), session.added.stream().sorted().toList());
    }

    @Test
    void pathSeparatedEntriesAndDirectoriesAreAccepted(@TempDir Path dir) throws Exception {
        Path classes = Files.createDirectory(dir.resolve("classes"));
        Path jar = jar(dir.resolve("lib.jar"));
        magic.eval(null, List.of(classes + File.pathSeparator + jar));
        assertEquals(List.of(classes, jar), session.added);
    }

    @Test
    void anArgumentMatchingNothingIsAnErrorNamingIt(@TempDir Path dir) {
        String missing = dir + "/missing/*.jar";
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> magic.eval(null, List.of(missing)));
        assertEquals("%classpath: no file or directory matches '" + missing + "'", error.getMessage());
        assertTrue(session.added.isEmpty(), "nothing is added when one argument fails");
    }

    @Test
    void aFileThatIsNotAJarIsAnErrorNamingIt(@TempDir Path dir) throws Exception {
        Path secrets = Files.writeString(dir.resolve("shadow"), "root:*:19000:0:99999:7:::\n");
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> magic.eval(null, List.of(secrets.toString())));
        assertEquals("%classpath: " + secrets + " is neither a jar nor a directory of classes", error.getMessage());
        Path empty = Files.createFile(dir.resolve("empty.jar"));
        assertThrows(IllegalArgumentException.class, () -> magic.eval(null, List.of(empty.toString())));
        assertTrue(session.added.isEmpty());
    }

    private static Path jar(Path path) throws Exception {
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(path))) {
            out.putNextEntry(new java.util.jar.JarEntry("p/A.class"));
            out.write(new byte[] {(byte) 0xca, (byte) 0xfe});
            out.closeEntry();
        }
        return path;
    }

    @Test
    void noArgumentsIsAnError() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> magic.eval(null, List.of()));
        assertTrue(error.getMessage().startsWith("%classpath expects"), error.getMessage());
    }
}
