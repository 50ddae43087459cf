package jenzyme.runtime.lower;

import jenzyme.runtime.error.JavaWords;

/** A method by owner (internal name), name and descriptor: the key under which each method is lowered once. */
record MethodRef(String owner, String name, String descriptor) {

    /** The method as the user wrote it: {@code g(double, int[])}, {@code Owner.g(double)}. */
    String asWritten() {
        return JavaWords.method(owner, name, descriptor);
    }

    @Override
    public String toString() {
        return owner.replace('/', '.') + "." + name + descriptor;
    }
}
