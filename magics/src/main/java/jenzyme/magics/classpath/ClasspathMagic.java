package jenzyme.magics.classpath;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jenzyme.magics.NotebookSession;
import jenzyme.runtime.error.Messages;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.magic.LineMagic;
import org.dflib.jjava.jupyter.kernel.util.PathsHandler;

/**
 * {@code %classpath <path or glob>...} (alias {@code %jars}): adds jars or class directories to what cells can
 * import. Each argument may hold several entries separated by {@value File#pathSeparator}; globs such as
 * {@code lib/*.jar} are expanded. An argument that matches nothing is an error, not a silent no-op.
 */
public final class ClasspathMagic implements LineMagic<Void, BaseKernel> {

    private final NotebookSession session;

    public ClasspathMagic(NotebookSession session) {
        this.session = session;
    }

    @Override
    public Void eval(BaseKernel kernel, List<String> args) {
        if (args.isEmpty()) {
            throw new IllegalArgumentException(Messages.CLASSPATH_USAGE.format());
        }
        List<Path> entries = new ArrayList<>();
        for (String arg : args) {
            for (String part : PathsHandler.split(arg)) {
                List<Path> matches = matching(part);
                if (matches.isEmpty()) {
                    throw new IllegalArgumentException(Messages.CLASSPATH_NO_MATCH.format(part));
                }
                matches.forEach(p -> entries.add(usable(p).toAbsolutePath().normalize()));
            }
        }
        session.addToClasspath(entries);
        return null;
    }

    /** A readable jar (zip) file or a readable directory; anything else would fail later, when a class is looked up. */
    static Path usable(Path entry) {
        if (Files.isDirectory(entry)) {
            if (!Files.isReadable(entry) || !Files.isExecutable(entry)) {
                throw new IllegalArgumentException(Messages.CLASSPATH_DIRECTORY_UNREADABLE.format(entry));
            }
            return entry;
        }
        byte[] header = new byte[4];
        int read;
        try (var in = Files.newInputStream(entry)) {
            read = in.readNBytes(header, 0, 4);
        } catch (java.io.IOException | SecurityException e) {
            throw new IllegalArgumentException(Messages.CLASSPATH_UNREADABLE.format(entry, e.getMessage()));
        }
        if (read < 4 || header[0] != 'P' || header[1] != 'K' || header[2] != 3 || header[3] != 4) {
            throw new IllegalArgumentException(Messages.CLASSPATH_NOT_CLASSES.format(entry));
        }
        return entry;
    }

    private static List<Path> matching(String glob) {
        try {
            return PathsHandler.resolveGlobs(glob).stream().filter(Files::exists).toList();
        } catch (RuntimeException unreadableDirectory) {
            // jjava's glob resolver throws when a directory in the pattern does not exist: that is "no match" too.
            return List.of();
        }
    }
}
