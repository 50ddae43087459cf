package jenzyme.magics.maven;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The Maven artifacts the kernel itself runs on (Hipparchus, XChart, jjava, Maven Resolver...), read from the
 * {@code META-INF/maven/.../pom.properties} that Maven writes into every jar it builds. They are on the classpath of
 * every cell already, in one version that cannot change while the JVM runs.
 */
final class KernelArtifacts {

    private KernelArtifacts() {
    }

    static List<MavenCoordinate> onClasspath() {
        List<MavenCoordinate> found = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.endsWith(".jar") && new File(entry).isFile()) {
                found.addAll(inJar(new File(entry)));
            }
        }
        return found;
    }

    private static List<MavenCoordinate> inJar(File jar) {
        List<MavenCoordinate> found = new ArrayList<>();
        try (JarFile file = new JarFile(jar)) {
            for (JarEntry entry : file.stream().filter(e -> e.getName().startsWith("META-INF/maven/")
                    && e.getName().endsWith("/pom.properties")).toList()) {
                Properties pom = new Properties();
                try (InputStream in = file.getInputStream(entry)) {
                    pom.load(in);
                }
                String group = pom.getProperty("groupId");
                String artifact = pom.getProperty("artifactId");
                String version = pom.getProperty("version");
                if (group != null && artifact != null && version != null) {
                    found.add(new MavenCoordinate(group, artifact, "jar", "", version));
                }
            }
        } catch (IOException unreadable) {
            // Not a jar we can read: nothing to pin, %maven's own resolution decides for it.
        }
        return found;
    }
}
