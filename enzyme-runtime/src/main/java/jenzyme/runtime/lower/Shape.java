package jenzyme.runtime.lower;

import java.util.List;

/**
 * The type of a compiled method's parameter or result: a {@link JavaType} (a primitive or a primitive array), or a
 * {@link RecordShape}, which is lowered as the values of its components ("scalarised") and crosses every function
 * boundary as its {@link #leaves()} in order.
 */
public sealed interface Shape extends java.io.Serializable permits JavaType, RecordShape {

    /** The primitive and primitive-array types this shape is made of, depth first (itself for a {@link JavaType}). */
    List<JavaType> leaves();

    /** Java source spelling, for messages and generated stubs. */
    String javaName();

    /** Whether the shape takes two JVM local slots (long, double). */
    default boolean isWide() {
        return this == JavaType.LONG || this == JavaType.DOUBLE;
    }
}
