package jenzyme.magics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jenzyme.magics.classpath.ClasspathMagic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClasspathMagicTest {

    private final ClasspathSession session = new ClasspathSession();
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
