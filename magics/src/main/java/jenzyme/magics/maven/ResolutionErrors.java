package jenzyme.magics.maven;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import jenzyme.runtime.error.Messages;
import org.eclipse.aether.artifact.Artifact;
import org.eclipse.aether.resolution.ArtifactDescriptorException;
import org.eclipse.aether.resolution.ArtifactResult;
import org.eclipse.aether.resolution.DependencyResolutionException;
import org.eclipse.aether.transfer.ArtifactNotFoundException;

/**
 * Turns Maven Resolver's exceptions (nested several levels deep, naming internal request objects) into one sentence
 * that says what is missing, where it was looked for and what to do: the three failures a notebook user meets are an
 * unknown coordinate, no network, and a broken POM in the graph.
 */
final class ResolutionErrors {

    private ResolutionErrors() {
    }

    static MavenResolutionException describe(DependencyResolutionException failure, List<MavenCoordinate> roots,
                                             List<DependencyResolver.Repository> repositories, Path localRepository) {
        String where = repositories.stream().map(r -> Messages.MAVEN_REPOSITORY.format(
                r.id().equals("central") ? "Maven Central" : r.id(), r.url())).collect(Collectors.joining(", "));
        String requested = roots.stream().map(MavenCoordinate::toString).collect(Collectors.joining(" "));
        Optional<Throwable> network = cause(failure, UnknownHostException.class, ConnectException.class,
                NoRouteToHostException.class, SocketTimeoutException.class);
        if (network.isPresent()) {
            Throwable reason = network.get();
            while (reason.getCause() != null && reason.getCause().getMessage() != null) {
                reason = reason.getCause();  // Apache's HttpHostConnectException wraps the JDK's "Connection refused"
            }
            return new MavenResolutionException((reason instanceof UnknownHostException ? Messages.MAVEN_UNKNOWN_HOST
                    : Messages.MAVEN_UNREACHABLE).format(where, reason.getMessage(), missing(failure).orElse(requested),
                    localRepository), failure);
        }
        Optional<ArtifactNotFoundException> notFound = cause(failure, ArtifactNotFoundException.class)
                .map(ArtifactNotFoundException.class::cast);
        if (notFound.isPresent()) {
            String artifact = coordinates(notFound.get().getArtifact());
            boolean requestedDirectly = roots.stream().anyMatch(r -> r.toString().equals(artifact));
            return new MavenResolutionException((requestedDirectly ? Messages.MAVEN_NOT_FOUND
                    : Messages.MAVEN_DEPENDENCY_NOT_FOUND).format(artifact, where, requested), failure);
        }
        Optional<Throwable> descriptor = cause(failure, ArtifactDescriptorException.class);
        if (descriptor.isPresent()) {
            return new MavenResolutionException(Messages.MAVEN_POM_UNREADABLE.format(requested, descriptor.get().getMessage()), failure);
        }
        return new MavenResolutionException(Messages.MAVEN_CANNOT_RESOLVE.format(requested, failure.getMessage()), failure);
    }

    /** The artifact whose download failed, when the resolver got that far. */
    private static Optional<String> missing(DependencyResolutionException failure) {
        if (failure.getResult() == null || failure.getResult().getArtifactResults() == null) {
            return Optional.empty();
        }
        return failure.getResult().getArtifactResults().stream()
                .filter(r -> !r.isResolved()).map(ArtifactResult::getRequest)
                .map(r -> coordinates(r.getArtifact())).findFirst();
    }

    private static String coordinates(Artifact a) {
        return new MavenCoordinate(a.getGroupId(), a.getArtifactId(), a.getExtension(), a.getClassifier(),
                a.getVersion()).toString();
    }

    @SafeVarargs
    private static Optional<Throwable> cause(Throwable failure, Class<? extends Throwable>... kinds) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            for (Class<? extends Throwable> kind : kinds) {
                if (kind.isInstance(t)) {
                    return Optional.of(t);
                }
            }
            for (Throwable suppressed : t.getSuppressed()) {
                Optional<Throwable> found = cause(suppressed, kinds);
                if (found.isPresent()) {
                    return found;
                }
            }
        }
        return Optional.empty();
    }
}
