package jenzyme.magics.maven;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import jenzyme.magics.MagicLine;
import jenzyme.magics.NotebookSession;
import jenzyme.runtime.error.Messages;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.magic.LineMagic;

/**
 * {@code %maven group:artifact:version ... [--from <repository url>]} (JJava's syntax): resolves the artifacts and
 * their runtime dependencies from Maven Central ({@link DependencyResolver}) and adds the jars to the classpath of
 * later cells and of the compiler's class lookup. {@code %mavenRepo <id> <url>} adds a repository for later calls.
 *
 * <p>A JVM cannot unload a class, so every artifact has one version per kernel: the kernel's own (Hipparchus,
 * XChart...) and earlier {@code %maven} results are pinned for the dependencies of new artifacts, and asking for
 * another version of one of them by name is an error that says so.
 */
public final class MavenMagic implements LineMagic<Object, BaseKernel> {

    static final MagicLine.Syntax SYNTAX = new MagicLine.Syntax(
            "%maven <group:artifact:version>... [--from <repository url>]",
            """
            Downloads the artifacts and their runtime dependencies from Maven Central (into ~/.m2/repository, \
            shared with Maven; later kernels use that copy without network) and adds the jars to the classpath \
            of the following cells. Example: `%maven org.apache.commons:commons-math3:3.6.1`, then \
            `import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;`. \
            Hipparchus, XChart and the kernel's other libraries are already on the classpath. \
            `--from <url>` resolves from that repository instead of Maven Central; \
            `%mavenRepo <id> <url>` adds a repository for every later %maven.
            """,
            List.of(), Set.of("from"), Set.of());

    private final NotebookSession session;
    private final DependencyResolver resolver;
    private final Supplier<List<MavenCoordinate>> kernelArtifacts;
    private final List<DependencyResolver.Repository> extraRepositories = new ArrayList<>();
    /** What the JVM has, by {@link MavenCoordinate#key()}: the kernel's jars, then what %maven added. */
    private Map<String, MavenCoordinate> loaded;
    private final Map<String, MavenCoordinate> added = new LinkedHashMap<>();

    public MavenMagic(NotebookSession session) {
        this(session, new DependencyResolver(DependencyResolver.userLocalRepository()), KernelArtifacts::onClasspath);
    }

    MavenMagic(NotebookSession session, DependencyResolver resolver, Supplier<List<MavenCoordinate>> kernelArtifacts) {
        this.session = session;
        this.resolver = resolver;
        this.kernelArtifacts = kernelArtifacts;
    }

    /** {@code %mavenRepo <id> <url>}, sharing this magic's repository list. */
    public LineMagic<Object, BaseKernel> repositoryMagic() {
        return (kernel, words) -> {
            if (words.size() != 2 || !words.get(1).matches("(https?|file)://.+")) {
                throw new IllegalArgumentException(Messages.MAVEN_REPO_USAGE.format(String.join(" ", words)));
            }
            extraRepositories.add(new DependencyResolver.Repository(words.get(0), words.get(1)));
            return null;
        };
    }

    @Override
    public Object eval(BaseKernel kernel, List<String> words) {
        var help = SYNTAX.helpFor(words);
        if (help.isPresent()) {
            return help.get();
        }
        List<MavenCoordinate> requested = new ArrayList<>();
        List<DependencyResolver.Repository> from = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            String word = words.get(i);
            if (word.equals("--from") && i + 1 < words.size()) {
                String url = words.get(++i);
                from.add(new DependencyResolver.Repository("from-" + from.size(), url));
            } else if (word.startsWith("--")) {
                throw new IllegalArgumentException(Messages.UNKNOWN_OPTION.format(word, SYNTAX.usage()));
            } else {
                requested.add(MavenCoordinate.parse(word));
            }
        }
        if (requested.isEmpty()) {
            throw new IllegalArgumentException(Messages.MAVEN_USAGE.format(MavenCoordinate.EXAMPLE, SYNTAX.usage()));
        }
        checkOneVersionEach(requested);
        List<MavenCoordinate> missing = requested.stream().filter(c -> !c.equals(loaded().get(c.key()))).toList();
        if (missing.isEmpty()) {
            return new DisplayData(Messages.MAVEN_ALREADY_LOADED.format(join(requested)));
        }
        List<DependencyResolver.Repository> repositories = new ArrayList<>(from);
        if (from.isEmpty()) {
            repositories.add(DependencyResolver.Repository.central());
            repositories.addAll(extraRepositories);
        }
        List<DependencyResolver.ResolvedJar> jars = resolveInterruptibly(missing, repositories);
        return new DisplayData(addToClasspath(jars, repositories));
    }

    private void checkOneVersionEach(List<MavenCoordinate> requested) {
        Map<String, MavenCoordinate> seen = new LinkedHashMap<>();
        for (MavenCoordinate c : requested) {
            MavenCoordinate earlier = seen.putIfAbsent(c.key(), c);
            if (earlier != null && !earlier.version().equals(c.version())) {
                throw new MavenResolutionException(Messages.MAVEN_TWO_VERSIONS.format(c.key(), earlier.version(), c.version()));
            }
            MavenCoordinate present = loaded().get(c.key());
            if (present != null && !present.version().equals(c.version())) {
                throw new MavenResolutionException((added.containsKey(c.key()) ? Messages.MAVEN_ADDED_EARLIER
                        : Messages.MAVEN_WITH_KERNEL).format(c.key(), present.version(), c.version()));
            }
        }
    }

    /**
     * {@code %maven coordinate} for magics that load a library on demand ({@code %spark}), leaving out the
     * artifacts keyed {@code leftOut} ({@code group:artifact}); returns what it shows and every jar of the library in
     * the versions this kernel now has (its own pinned ones included): what a JVM started apart from the kernel (a
     * Spark worker) needs to run the same code. One resolution (measured ~45 s for spark-sql's 170 jars on a busy
     * machine, even from ~/.m2).
     */
    public Loaded load(String coordinate, Set<String> leftOut) {
        MavenCoordinate root = MavenCoordinate.parse(coordinate);
        List<DependencyResolver.Repository> repositories = new ArrayList<>();
        repositories.add(DependencyResolver.Repository.central());
        repositories.addAll(extraRepositories);
        List<DependencyResolver.ResolvedJar> resolved = resolveInterruptibly(List.of(root), repositories);
        Object display = new DisplayData("already on the classpath: " + root);
        if (!root.equals(loaded().get(root.key()))) {
            display = new DisplayData(addToClasspath(resolved.stream()
                    .filter(jar -> !leftOut.contains(jar.coordinate().key())).toList(), repositories));
        }
        return new Loaded(display, resolved.stream().map(DependencyResolver.ResolvedJar::file).toList());
    }

    /** @param display what %maven shows @param jars the library's own resolution */
    public record Loaded(Object display, List<Path> jars) {}

    private List<DependencyResolver.ResolvedJar> resolveInterruptibly(List<MavenCoordinate> roots,
                                                                      List<DependencyResolver.Repository> repositories) {
        // Resolution blocks on the network; an interrupt stops waiting for it (the download may finish in the
        // background into the local repository, and then silently: its messages would land in a later cell).
        AtomicBoolean waiting = new AtomicBoolean(true);
        List<MavenCoordinate> pinned = List.copyOf(loaded().values());
        CompletableFuture<List<DependencyResolver.ResolvedJar>> work = CompletableFuture.supplyAsync(
                () -> resolver.resolve(roots, pinned, repositories, line -> {
                    if (waiting.get()) {
                        System.out.println(line);
                    }
                }), task -> Thread.ofPlatform().daemon().name("jenzyme-maven").start(task));
        try (var cancel = session.onInterrupt(() -> work.cancel(false))) {
            return work.join();
        } catch (CancellationException interrupted) {
            throw new MavenResolutionException(Messages.MAVEN_INTERRUPTED.format(join(roots)));
        } catch (CompletionException failed) {
            throw failed.getCause() instanceof RuntimeException cause ? cause : failed;
        } finally {
            waiting.set(false);
        }
    }

    private String addToClasspath(List<DependencyResolver.ResolvedJar> jars, List<DependencyResolver.Repository> from) {
        List<Path> files = new ArrayList<>();
        Map<MavenCoordinate, List<MavenCoordinate>> byRoot = new LinkedHashMap<>();
        List<String> kept = new ArrayList<>();
        for (DependencyResolver.ResolvedJar jar : jars) {
            MavenCoordinate c = jar.coordinate();
            MavenCoordinate present = loaded().get(c.key());
            if (!jar.requestedVersion().isEmpty()) {
                kept.add(c + " (" + jar.root().artifact() + " asked for " + jar.requestedVersion() + ")");
            }
            if (present != null) {
                continue;  // pinned to the loaded version above, so the same jar
            }
            files.add(jar.file());
            loaded.put(c.key(), c);
            added.put(c.key(), c);
            byRoot.computeIfAbsent(jar.root(), r -> new ArrayList<>()).add(c);
        }
        session.addToClasspath(files);
        StringBuilder text = new StringBuilder(Messages.MAVEN_ADDED.format(from.stream()
                .map(r -> r.id().equals("central") ? "Maven Central" : r.url()).collect(Collectors.joining(", ")),
                resolver.localRepository()));
        byRoot.forEach((root, list) -> {
            text.append("\n  ").append(list.getFirst());
            if (list.size() > 1) {
                text.append("\n    ").append(Messages.MAVEN_WITH.format(join(list.subList(1, list.size()))));
            }
        });
        if (!kept.isEmpty()) {
            text.append("\n").append(Messages.MAVEN_KEPT.format(String.join(", ", kept)));
        }
        return text.toString();
    }

    private Map<String, MavenCoordinate> loaded() {
        if (loaded == null) {
            loaded = new LinkedHashMap<>();
            kernelArtifacts.get().forEach(c -> loaded.putIfAbsent(c.key(), c));
        }
        return loaded;
    }

    private static String join(List<MavenCoordinate> coordinates) {
        return coordinates.stream().map(MavenCoordinate::toString).collect(Collectors.joining(", "));
    }
}
