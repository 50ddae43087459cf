package jenzyme.runtime.lower;

import jenzyme.runtime.error.JavaWords;

/**
 * A static field that compiled code reads — a notebook variable (a field of JShell's wrapper class) or a field of a
 * class: its value is not compiled in but passed at every call as a hidden Const argument after the method's own
 * parameters (see {@link EntryPoint#fields()}), read by the binder from the field at that moment, so compiled code
 * sees what the JVM sees. Scalars cross by value, arrays as (pointer, length) and two-dimensional arrays as (row
 * table, row-length table, row count), like parameters.
 *
 * @param owner internal name of the declaring class, e.g. {@code REPL/$JShell$12}
 * @param type  one of the numeric types or their arrays ({@link #readable})
 */
public record StaticField(String owner, String name, JavaType type) implements java.io.Serializable {

    /** Whether compiled code can take a static field of {@code type} as a hidden argument. */
    public static boolean readable(JavaType type) {
        return type != JavaType.VOID && type != JavaType.BOOLEAN;
    }

    /** {@code G} for a notebook variable, {@code Consts.W} for a field of a cell class. */
    public String javaName() {
        return JavaWords.field(owner, name);
    }
}
