package jenzyme.runtime.lower;

import jenzyme.runtime.error.JavaWords;
import java.util.ArrayList;
import java.util.List;

/**
 * A record whose components are primitives, primitive arrays or such records: compiled code keeps it as the values
 * of its components (records are immutable, so no identity is lost except what {@code ==} and friends observe, which
 * are refused). {@code internalName} names the class ({@code REPL/$JShell$12$State}); components are in declaration
 * order, which is also the order of the canonical constructor's parameters and of the fields.
 *
 * <p>Objects of a final class extending {@code Object} ({@code isRecord} false) are kept the same way: their fields
 * are the components, any constructor builds them, and compiled code writes fields only in constructors (an object
 * is a value: a write elsewhere would be lost on a copy, so it is refused). The compiled method may take such an
 * object (its fields read by the binding, {@code ClassLibrary.parameterProblem}) and returns none.
 *
 * <p>A lambda ({@code isFunctional}) is kept the same way, its captured values being the components
 * ({@link ClassLibrary#lambdaShape}); a functional-interface parameter of the method you compile is, before a call
 * names its target, the shape without components named by the interface ({@link #functional}).
 *
 * <p>An object whose fields compiled code writes outside its constructors ({@code isWritten}, {@link WrittenObjects})
 * is no value: it lives in memory (its fields in one block, {@link #valueLeaves()} in order) and every name of it in
 * compiled code is a pointer to that block, so that a write through one name is seen through all of them. It crosses
 * function boundaries as that one pointer ({@link JavaType#OBJECT_REF}); its constructors still return its fields'
 * values ({@link #asValue()}), which {@code new} stores into the block.
 */
public record RecordShape(String internalName, List<Component> components, boolean isRecord, boolean isFunctional,
                          boolean isWritten) implements Shape {

    /**
     * One component: its name as declared, its field descriptor and its shape; {@code isFinal} for a final field
     * (the copy-out of an object from the JVM writes back only the others).
     */
    public record Component(String name, String descriptor, Shape shape, boolean isFinal)
            implements java.io.Serializable {
        public Component(String name, String descriptor, Shape shape) {
            this(name, descriptor, shape, false);
        }
    }

    public RecordShape {
        components = List.copyOf(components);
    }

    /** A record ({@code isRecord}) or an object of a final class. */
    public RecordShape(String internalName, List<Component> components, boolean isRecord) {
        this(internalName, components, isRecord, false, false);
    }

    public RecordShape(String internalName, List<Component> components, boolean isRecord, boolean isFunctional) {
        this(internalName, components, isRecord, isFunctional, false);
    }

    /** The same class kept as a value: the fields a constructor returns, and the layout of a written object's block. */
    public RecordShape asValue() {
        return isWritten ? new RecordShape(internalName, components, isRecord, isFunctional, false) : this;
    }

    /** A parameter of functional-interface type {@code iface} whose target is not known yet. */
    public static RecordShape functional(String iface) {
        return new RecordShape(iface, List.of(), false, true);
    }

    /** How it crosses a function boundary: its fields' leaves, or the pointer to a written object's block. */
    @Override
    public List<JavaType> leaves() {
        return isWritten ? List.of(JavaType.OBJECT_REF) : valueLeaves();
    }

    /** The leaves of its fields, depth first, whether or not it is written. */
    public List<JavaType> valueLeaves() {
        List<JavaType> leaves = new ArrayList<>();
        components.forEach(c -> leaves.addAll(c.shape().leaves()));
        return List.copyOf(leaves);
    }

    /** The record's name as the user wrote it ({@code State}, or {@code Outer.State} if nested in a class). */
    @Override
    public String javaName() {
        return JavaWords.owner(internalName);
    }

    /** Leaf names, depth first, under {@code prefix}: {@code s.x}, {@code s.v}, {@code s.pos.x} for parameter s. */
    public List<String> leafNames(String prefix) {
        if (isWritten) {
            return List.of(prefix); // one pointer
        }
        List<String> names = new ArrayList<>();
        for (Component c : components) {
            String name = prefix + "." + c.name();
            if (c.shape() instanceof RecordShape nested) {
                names.addAll(nested.leafNames(name));
            } else {
                names.add(name);
            }
        }
        return names;
    }

    /** Index of the component called {@code name}, or -1. */
    int indexOf(String name) {
        for (int i = 0; i < components.size(); i++) {
            if (components.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** The canonical constructor's descriptor, e.g. {@code (DD[D)V}. */
    String canonicalConstructor() {
        StringBuilder descriptor = new StringBuilder("(");
        components.forEach(c -> descriptor.append(c.descriptor()));
        return descriptor.append(")V").toString();
    }
}
