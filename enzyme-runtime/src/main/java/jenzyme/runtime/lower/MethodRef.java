package jenzyme.runtime.lower;

import jenzyme.runtime.error.JavaWords;

/**
 * A method by owner (internal name), name and descriptor: the key under which each method is lowered once, and how a
 * {@link DerivativeRule} names the methods it ties together.
 */
public record MethodRef(String owner, String name, String descriptor) implements java.io.Serializable {

    /** The method as the user wrote it: {@code g(double, int[])}, {@code Owner.g(double)}. */
    public String asWritten() {
        return JavaWords.method(owner, name, descriptor);
    }

    @Override
    public String toString() {
        return owner.replace('/', '.') + "." + name + descriptor;
    }
}
