package jenzyme.runtime.lower;

import java.util.Optional;

/**
 * Where compiled code can raise a Java exception, as the binding must name it: the method (class internal name and
 * method name) and its source line. The lowering stores a site's id in the status block on every error path (see
 * {@link StatusCode}); the binding looks it up to give the Java exception a stack frame at the user's line.
 *
 * <p>Numbered per module ({@link ModuleNumbering}): the same (class, method, line) keeps its id in a module, so
 * recompiling it (as notebooks do) adds nothing, and the same method gets the same ids in any process. Id 0 means "no
 * site".
 */
public final class FailureSites {

    /** A line of a method that compiled code was lowered from; {@code line} is -1 without a LineNumberTable. */
    public record Site(String ownerInternalName, String methodName, int line) {

        /** A stack frame at this site, as the JVM would have recorded it had the method run on the JVM. */
        public StackTraceElement frame() {
            return new StackTraceElement(ownerInternalName.replace('/', '.'), methodName, null, line);
        }
    }

    private static final ModuleNumbering<Site> SITES = new ModuleNumbering<>();

    private FailureSites() {}

    /** The id of (owner, method, line) in the module {@code module}, assigned on first use. */
    static int idOf(String module, String ownerInternalName, String methodName, int line) {
        return SITES.idOf(module, new Site(ownerInternalName, methodName, line));
    }

    /** The site compiled code of {@code symbol}'s module recorded, if {@code id} is one. */
    public static Optional<Site> site(String symbol, int id) {
        return SITES.lookup(symbol, id);
    }
}
