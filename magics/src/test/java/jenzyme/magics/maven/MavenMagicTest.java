package jenzyme.magics.maven;

import jenzyme.magics.ClasspathSession;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * %maven against a repository written by the test (file://, Maven's layout), so graph mediation, pinning and every
 * error are checked without network; pytest resolves real artifacts from Maven Central through a kernel.
 */
class MavenMagicTest {

    @TempDir
    Path dir;
    private Path remote;
    private final ClasspathSession session = new ClasspathSession();
    private MavenMagic magic;

    @BeforeEach
    void repository() throws IOException {
        remote = dir.resolve("remote");
        publish("t", "util", "1.0");
        publish("t", "util", "2.0");
        publish("t", "lib", "1.0", "t:util:2.0");
        publish("t", "other", "1.0", "t:util:1.0", "org.hipparchus:hipparchus-core:3.1");
        publish("org.hipparchus", "hipparchus-core", "3.1");
        publish("org.hipparchus", "hipparchus-core", "4.0.2");
        magic = new MavenMagic(session, new DependencyResolver(dir.resolve("local")),
                () -> List.of(MavenCoordinate.parse("org.hipparchus:hipparchus-core:4.0.2")));
    }

    private String maven(String... words) {
        List<String> line = new ArrayList<>(List.of(words));
        line.addAll(List.of("--from", remote.toUri().toString()));
        DisplayData shown = (DisplayData) magic.eval(null, line);
        return String.valueOf(shown.getData(MIMEType.TEXT_PLAIN));
    }

    @Test
    void anArtifactBringsItsDependenciesIntoTheLocalRepositoryAndTheClasspath() {
        String shown = maven("t:lib:1.0");
        assertEquals(List.of("lib-1.0.jar", "util-2.0.jar"), names(session.added));
        assertTrue(session.added.stream().allMatch(p -> p.startsWith(dir.resolve("local"))), "cached locally");
        assertTrue(shown.contains("t:lib:1.0\n    with t:util:2.0"), shown);
    }

    @Test
    void dependenciesKeepTheVersionAlreadyLoaded() {
        maven("t:lib:1.0");
        String shown = maven("t:other:1.0");
        assertEquals(List.of("lib-1.0.jar", "util-2.0.jar", "other-1.0.jar"), names(session.added),
                "t:util stays at 2.0 and hipparchus-core at the kernel's 4.0.2: no second jar of either");
        assertTrue(shown.contains("kept the versions already loaded in this kernel: t:util:2.0 (other asked for 1.0), "
                + "org.hipparchus:hipparchus-core:4.0.2 (other asked for 3.1)"), shown);
    }

    @Test
    void askingByNameForAnotherVersionOfALoadedArtifactIsAConflict() {
        maven("t:lib:1.0");
        var earlier = assertThrows(MavenResolutionException.class, () -> maven("t:util:1.0"));
        assertEquals("t:util 2.0 was added by %maven earlier in this kernel and a running JVM cannot load a second "
                + "version: use 2.0, or restart the kernel and ask for 1.0", earlier.getMessage());
        var bundled = assertThrows(MavenResolutionException.class, () -> maven("org.hipparchus:hipparchus-core:3.1"));
        assertEquals("org.hipparchus:hipparchus-core 4.0.2 comes with the kernel and a running JVM cannot load a "
                + "second version: use 4.0.2 (it is already on the classpath, no %maven needed)", bundled.getMessage());
        var twice = assertThrows(MavenResolutionException.class, () -> maven("t:other:1.0", "t:other:2.0"));
        assertTrue(twice.getMessage().startsWith("t:other is asked for in two versions (1.0 and 2.0)"), twice.getMessage());
        assertEquals(List.of("lib-1.0.jar", "util-2.0.jar"), names(session.added), "nothing added by the failures");
    }

    @Test
    void anUnknownArtifactNamesWhatWasMissingAndWhere() {
        var missing = assertThrows(MavenResolutionException.class, () -> maven("t:nothing:1.0"));
        assertEquals("t:nothing:1.0 was not found in from-0 (" + remote.toUri() + "): check the group, artifact and "
                + "version, e.g. on https://central.sonatype.com", missing.getMessage());
    }

    @Test
    void withoutNetworkTheErrorSaysSoAndThatCachedArtifactsWorkOffline() throws IOException {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        String unreachable = "http://127.0.0.1:" + closed + "/maven2/";
        var offline = assertThrows(MavenResolutionException.class,
                () -> magic.eval(null, List.of("t:lib:1.0", "--from", unreachable)));
        assertEquals("cannot reach from-0 (" + unreachable + "): Connection refused. t:lib:1.0 is not in the local "
                + "repository " + dir.resolve("local") + ": connect once to download it; afterwards %maven works "
                + "offline from the local repository.", offline.getMessage());

        maven("t:lib:1.0");
        session.added.clear();
        MavenMagic laterKernel = new MavenMagic(session, new DependencyResolver(dir.resolve("local")), List::of);
        laterKernel.eval(null, List.of("t:lib:1.0", "--from", unreachable.replace("/maven2/", "/mirror/")));
        assertEquals(List.of("lib-1.0.jar", "util-2.0.jar"), names(session.added), "cached: no network needed");
    }

    @Test
    void malformedCoordinatesAndOptionsAreRefusedWithAnExample() {
        var bad = assertThrows(IllegalArgumentException.class, () -> maven("commons-math3"));
        assertEquals("expected group:artifact:version such as org.apache.commons:commons-math3:3.6.1, got "
                + "'commons-math3'", bad.getMessage());
        var range = assertThrows(IllegalArgumentException.class, () -> maven("t:lib:[1.0,2.0)"));
        assertTrue(range.getMessage().endsWith("(version ranges are not supported)"), range.getMessage());
        var none = assertThrows(IllegalArgumentException.class, () -> magic.eval(null, List.of()));
        assertTrue(none.getMessage().startsWith("expected one or more group:artifact:version"), none.getMessage());
        var option = assertThrows(IllegalArgumentException.class, () -> maven("t:lib:1.0", "--offline"));
        assertTrue(option.getMessage().startsWith("unknown option --offline"), option.getMessage());
    }

    @Test
    void coordinatesWithExtensionAndClassifierRoundTrip() {
        assertEquals("g:a:1", MavenCoordinate.parse("g:a:jar:1").toString());
        MavenCoordinate classified = MavenCoordinate.parse("org.bytedeco:llvm:jar:linux-x86_64:19.1.3-1.5.11");
        assertEquals("linux-x86_64", classified.classifier());
        assertEquals("org.bytedeco:llvm:jar:linux-x86_64:19.1.3-1.5.11", classified.toString());
    }

    private static List<String> names(List<Path> files) {
        return files.stream().map(p -> p.getFileName().toString()).toList();
    }

    /** Writes group:artifact:version (a POM with those dependencies and an empty jar) in Maven's repository layout. */
    private void publish(String group, String artifact, String version, String... dependencies) throws IOException {
        Path folder = remote.resolve(group.replace('.', '/')).resolve(artifact).resolve(version);
        Files.createDirectories(folder);
        StringBuilder deps = new StringBuilder();
        for (String dependency : dependencies) {
            String[] gav = dependency.split(":");
            deps.append("<dependency><groupId>").append(gav[0]).append("</groupId><artifactId>").append(gav[1])
                    .append("</artifactId><version>").append(gav[2]).append("</version></dependency>");
        }
        Files.writeString(folder.resolve(artifact + "-" + version + ".pom"), """
                <project><modelVersion>4.0.0</modelVersion><groupId>%s</groupId><artifactId>%s</artifactId>
                <version>%s</version><dependencies>%s</dependencies></project>
                """.formatted(group, artifact, version, deps));
        try (OutputStream out = Files.newOutputStream(folder.resolve(artifact + "-" + version + ".jar"));
             JarOutputStream jar = new JarOutputStream(out, new Manifest())) {
            jar.flush();
        }
    }
}
