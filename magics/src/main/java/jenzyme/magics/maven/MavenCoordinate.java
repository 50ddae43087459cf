package jenzyme.magics.maven;

import java.util.regex.Pattern;
import jenzyme.runtime.error.Messages;

/**
 * A Maven artifact as {@code %maven} takes it, in Maven's (and JJava's) colon syntax:
 * {@code group:artifact:version}, {@code group:artifact:extension:version} or
 * {@code group:artifact:extension:classifier:version}. Version ranges and properties are refused: a notebook names
 * the version it was written against, so it reruns the same way.
 */
public record MavenCoordinate(String group, String artifact, String extension, String classifier, String version) {

    private static final Pattern PART = Pattern.compile("[A-Za-z0-9_.\\-+]+");
    static final String EXAMPLE = "org.apache.commons:commons-math3:3.6.1";

    public static MavenCoordinate parse(String text) {
        String[] parts = text.split(":", -1);
        boolean wellFormed = parts.length >= 3 && parts.length <= 5;
        for (String part : parts) {
            wellFormed &= PART.matcher(part).matches();
        }
        if (!wellFormed) {
            throw new IllegalArgumentException((text.contains("[") || text.contains("(") ? Messages.MAVEN_RANGE
                    : Messages.MAVEN_COORDINATE).format(EXAMPLE, text));
        }
        return switch (parts.length) {
            case 3 -> new MavenCoordinate(parts[0], parts[1], "jar", "", parts[2]);
            case 4 -> new MavenCoordinate(parts[0], parts[1], parts[2], "", parts[3]);
            default -> new MavenCoordinate(parts[0], parts[1], parts[2], parts[3], parts[4]);
        };
    }

    /** {@code group:artifact}: what must not be on the classpath twice with different versions. */
    public String key() {
        return group + ":" + artifact + (classifier.isEmpty() ? "" : ":" + classifier);
    }

    @Override
    public String toString() {
        return group + ":" + artifact + (extension.equals("jar") && classifier.isEmpty() ? ""
                : ":" + extension + (classifier.isEmpty() ? "" : ":" + classifier)) + ":" + version;
    }
}
