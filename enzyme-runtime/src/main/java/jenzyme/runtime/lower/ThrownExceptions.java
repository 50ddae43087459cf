package jenzyme.runtime.lower;

import java.util.Optional;
import jenzyme.runtime.error.Messages;

/**
 * The exceptions compiled code throws ({@code throw new IllegalArgumentException("n must be positive")}): class and
 * message, numbered per module like {@link FailureSites}, so that the status block carries an {@code int} id and
 * the binding raises the same exception, with the same message, as the JVM. Id 0 means none.
 */
public final class ThrownExceptions {

    /**
     * An exception class of {@code java.lang} with a {@code (String)} constructor, and the message it gets: a
     * constant, or {@code joined} from values in the status block, or neither (created with its no-argument
     * constructor).
     */
    public record Thrown(String className, String message, JoinedMessage joined) {

        public Thrown(String className, String message) {
            this(className, message, null);
        }

        /** The exception itself, as {@code new X(message)} (or {@code new X()}) would create it. */
        public Throwable create(int[] block) {
            String text = joined == null ? message : joined.format(block);
            try {
                Class<?> type = Class.forName(className.replace('/', '.'));
                return (Throwable) (text == null ? type.getConstructor().newInstance()
                        : type.getConstructor(String.class).newInstance(text));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(Messages.THROWABLE_EXPECTED.format(className), e);
            }
        }
    }

    private static final ModuleNumbering<Thrown> THROWN = new ModuleNumbering<>();

    private ThrownExceptions() {}

    static int idOf(String module, Thrown thrown) {
        return THROWN.idOf(module, thrown);
    }

    public static Optional<Thrown> thrown(String symbol, int id) {
        return THROWN.lookup(symbol, id);
    }

    /**
     * Whether compiled code can throw {@code internalName}: an unchecked exception of {@code java.lang} (checked ones
     * would need a {@code throws} clause the binding cannot declare) with a public {@code (String)} constructor.
     */
    static boolean throwable(String internalName) {
        if (!internalName.startsWith("java/lang/") || internalName.indexOf('/', "java/lang/".length()) >= 0) {
            return false;
        }
        try {
            Class<?> type = Class.forName(internalName.replace('/', '.'));
            return RuntimeException.class.isAssignableFrom(type) && type.getConstructor(String.class) != null;
        } catch (ReflectiveOperationException | LinkageError e) {
            return false;
        }
    }
}
