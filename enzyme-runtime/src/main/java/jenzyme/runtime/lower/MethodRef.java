package jenzyme.runtime.lower;

/** A method by owner (internal name), name and descriptor: the key under which each method is lowered once. */
record MethodRef(String owner, String name, String descriptor) {

    @Override
    public String toString() {
        return owner.replace('/', '.') + "." + name + descriptor;
    }
}
