package jenzyme.magics.maven;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import jenzyme.runtime.error.Messages;
import org.eclipse.aether.RepositorySystem;
import org.eclipse.aether.RepositorySystemSession;
import org.eclipse.aether.artifact.DefaultArtifact;
import org.eclipse.aether.collection.CollectRequest;
import org.eclipse.aether.graph.Dependency;
import org.eclipse.aether.graph.DependencyNode;
import org.eclipse.aether.repository.RemoteRepository;
import org.eclipse.aether.resolution.DependencyRequest;
import org.eclipse.aether.resolution.DependencyResolutionException;
import org.eclipse.aether.supplier.RepositorySystemSupplier;
import org.eclipse.aether.supplier.SessionBuilderSupplier;
import org.eclipse.aether.transfer.AbstractTransferListener;
import org.eclipse.aether.transfer.TransferEvent;
import org.eclipse.aether.util.artifact.JavaScopes;
import org.eclipse.aether.util.filter.DependencyFilterUtils;
import org.eclipse.aether.util.graph.manager.DependencyManagerUtils;

/**
 * Coordinates in, jars out, with Maven Resolver (the library Maven itself uses, with Maven 3's POM model): the
 * runtime dependencies of all requested artifacts in one graph, versions mediated as Maven does (nearest wins),
 * downloaded into the local repository shared with Maven ({@code ~/.m2/repository}, or {@code -Dmaven.repo.local})
 * and read from there afterwards without network. Versions already loaded in the kernel are passed as managed
 * versions, so the graph agrees with what the JVM already has. Used by {@link MavenMagic}; knows nothing of
 * notebooks.
 */
final class DependencyResolver {

    /** A remote repository: Maven Central by default. */
    record Repository(String id, String url) {
        static Repository central() {
            // A mirror (a company's Nexus, or a test's unreachable address) keeps the id, so cached artifacts count.
            String url = System.getenv().getOrDefault("JENZYME_MAVEN_CENTRAL", "https://repo.maven.apache.org/maven2/");
            return new Repository("central", url);
        }
    }

    /**
     * One jar of the resolved graph; {@code requestedVersion} is the version its dependant asked for when the
     * kernel's loaded version replaced it (else empty), {@code root} the requested coordinate it belongs to.
     */
    record ResolvedJar(MavenCoordinate coordinate, Path file, String requestedVersion, MavenCoordinate root) {
    }

    private static final int CONNECT_TIMEOUT_MS = 10_000;

    private final RepositorySystem system = new RepositorySystemSupplier().get();
    private final Path localRepository;

    DependencyResolver(Path localRepository) {
        this.localRepository = localRepository;
    }

    static Path userLocalRepository() {
        String configured = System.getProperty("maven.repo.local");
        return configured != null ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    Path localRepository() {
        return localRepository;
    }

    /**
     * Resolves {@code roots} and their runtime dependencies; {@code loaded} pins the versions already on the classpath;
     * {@code downloads} hears of each jar fetched from a remote repository.
     *
     * @throws MavenResolutionException in the user's words: unknown artifact, no network, bad POM
     */
    List<ResolvedJar> resolve(List<MavenCoordinate> roots, List<MavenCoordinate> loaded, List<Repository> repositories,
                              Consumer<String> downloads) {
        List<RemoteRepository> remotes = repositories.stream()
                .map(r -> new RemoteRepository.Builder(r.id(), "default", r.url()).build()).toList();
        CollectRequest collect = new CollectRequest();
        roots.forEach(root -> collect.addDependency(new Dependency(artifact(root), JavaScopes.RUNTIME)));
        loaded.forEach(pinned -> collect.addManagedDependency(new Dependency(artifact(pinned), JavaScopes.RUNTIME)));
        collect.setRepositories(remotes);
        DependencyRequest request = new DependencyRequest(collect, DependencyFilterUtils.classpathFilter(JavaScopes.RUNTIME));
        try (RepositorySystemSession.CloseableSession session = session(downloads)) {
            DependencyNode graph = system.resolveDependencies(session, request).getRoot();
            List<ResolvedJar> jars = new ArrayList<>();
            for (DependencyNode top : graph.getChildren()) {
                collectJars(top, coordinate(top), jars);
            }
            return jars;
        } catch (DependencyResolutionException e) {
            throw ResolutionErrors.describe(e, roots, repositories, localRepository);
        }
    }

    private static void collectJars(DependencyNode node, MavenCoordinate root, List<ResolvedJar> into) {
        if (node.getArtifact() != null && node.getArtifact().getPath() != null
                && into.stream().noneMatch(j -> j.file().equals(node.getArtifact().getPath()))) {
            String premanaged = DependencyManagerUtils.getPremanagedVersion(node);
            into.add(new ResolvedJar(coordinate(node), node.getArtifact().getPath(),
                    premanaged == null || premanaged.equals(node.getArtifact().getVersion()) ? "" : premanaged, root));
        }
        node.getChildren().forEach(child -> collectJars(child, root, into));
    }

    private RepositorySystemSession.CloseableSession session(Consumer<String> downloads) {
        return new SessionBuilderSupplier(system).get()
                .withLocalRepositoryBaseDirectories(localRepository)
                .setConfigProperty(DependencyManagerUtils.CONFIG_PROP_VERBOSE, true)
                // Without network Maven's defaults wait 30 s per connection and retry three times.
                .setConfigProperty("aether.transport.http.connectTimeout", CONNECT_TIMEOUT_MS)
                .setConfigProperty("aether.transport.http.retryHandler.count", 1)
                .setSystemProperties(System.getProperties())
                .setTransferListener(new AbstractTransferListener() {
                    @Override
                    public void transferSucceeded(TransferEvent event) {
                        String name = event.getResource().getResourceName();
                        if (name.endsWith(".jar")) {
                            downloads.accept(Messages.MAVEN_DOWNLOADED.format(name.substring(name.lastIndexOf('/') + 1),
                                    String.format("%.1f", event.getTransferredBytes() / 1e6),
                                    event.getResource().getRepositoryId()));
                        }
                    }
                })
                .build();
    }

    private static DefaultArtifact artifact(MavenCoordinate c) {
        return new DefaultArtifact(c.group(), c.artifact(), c.classifier(), c.extension(), c.version());
    }

    private static MavenCoordinate coordinate(DependencyNode node) {
        var a = node.getArtifact();
        return new MavenCoordinate(a.getGroupId(), a.getArtifactId(), a.getExtension(), a.getClassifier(), a.getVersion());
    }
}
