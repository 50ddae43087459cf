package jenzyme.runtime.lower;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where compiled code can raise a Java exception, as the binding must name it: the method (class internal name and
 * method name) and its source line. The lowering stores a site's id in the status block on every error path (see
 * {@link StatusCode}); the binding looks it up to give the Java exception a stack frame at the user's line.
 *
 * <p>Process-wide and interned: the same (class, method, line) always has the same id, so recompiling the same methods
 * (as notebooks do) adds nothing; the table grows only with distinct lines ever compiled. Id 0 means "no site".
 */
public final class FailureSites {

    /** A line of a method that compiled code was lowered from; {@code line} is -1 without a LineNumberTable. */
    public record Site(String ownerInternalName, String methodName, int line) {

        /** A stack frame at this site, as the JVM would have recorded it had the method run on the JVM. */
        public StackTraceElement frame() {
            return new StackTraceElement(ownerInternalName.replace('/', '.'), methodName, null, line);
        }
    }

    private static final Map<Site, Integer> IDS = new HashMap<>();
    private static final List<Site> SITES = new ArrayList<>();

    private FailureSites() {}

    /** The id of (owner, method, line), assigned on first use. */
    static synchronized int idOf(String ownerInternalName, String methodName, int line) {
        return IDS.computeIfAbsent(new Site(ownerInternalName, methodName, line), site -> {
            SITES.add(site);
            return SITES.size();
        });
    }

    /** The site compiled code recorded, if {@code id} is one. */
    public static synchronized Optional<Site> site(int id) {
        return id >= 1 && id <= SITES.size() ? Optional.of(SITES.get(id - 1)) : Optional.empty();
    }
}
