package jenzyme.runtime.lower;

import jenzyme.runtime.error.JavaWords;
import java.lang.classfile.MethodModel;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.AccessFlag;
import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.error.Messages;

/**
 * A method's parameters and result checked against the supported shapes; the first stage every lowered method goes
 * through. A record's instance method takes the record ({@code this}) as its first parameter; a record's constructor
 * takes its arguments after the record under construction (local 0, no parameter) and returns the record.
 */
record MethodSignature(Kind kind, List<Shape> parameters, Shape returnType) {

    enum Kind { STATIC, INSTANCE, CONSTRUCTOR }

    MethodSignature {
        parameters = List.copyOf(parameters);
    }

    /** Whether the method returns a (one-dimensional) array. */
    boolean returnsArray() {
        return returnType instanceof JavaType type && type.isArray();
    }

    /** Whether the method returns a record (or object) all of whose leaves are doubles. */
    boolean returnsDoubles() {
        return returnType instanceof RecordShape record && !record.isFunctional()
                && record.leaves().stream().allMatch(leaf -> leaf == JavaType.DOUBLE);
    }

    /**
     * Whether, as the entry, the method fills a caller's result array: it returns a {@code double[]}, or a record of
     * doubles given back as the array of its leaves (depth first), so that every mode treats it as a vector function.
     */
    boolean entryFillsResult() {
        return returnsArray() || returnsDoubles();
    }

    /** Parses a static method's {@code descriptor}; throws {@link Unsupported} naming the first type outside the subset. */
    static MethodSignature parse(String descriptor, ClassLibrary classes) {
        return parse(Kind.STATIC, null, descriptor, classes);
    }

    /** The signature of {@code model} of {@code owner}, static, a record's instance method, or a record's constructor. */
    static MethodSignature of(MethodRef ref, MethodModel model, ClassLibrary classes) {
        if (model.flags().has(AccessFlag.STATIC)) {
            return parse(Kind.STATIC, null, ref.descriptor(), classes);
        }
        RecordShape owner = classes.valueShape(ref.owner()).orElseThrow(
                () -> Unsupported.construct(Messages.INSTANCE_METHOD, ref.asWritten()));
        return parse(ref.name().equals("<init>") ? Kind.CONSTRUCTOR : Kind.INSTANCE, owner, ref.descriptor(), classes);
    }

    private static MethodSignature parse(Kind kind, RecordShape owner, String descriptor, ClassLibrary classes) {
        MethodTypeDesc type;
        try {
            type = MethodTypeDesc.ofDescriptor(descriptor);
        } catch (IllegalArgumentException e) {
            throw Unsupported.malformed("method descriptor " + descriptor);
        }
        List<Shape> parameters = new ArrayList<>();
        if (kind == Kind.INSTANCE) {
            parameters.add(owner);
        }
        for (ClassDesc parameter : type.parameterList()) {
            parameters.add(shape(parameter, classes).filter(t -> t != JavaType.VOID)
                    .orElseThrow(() -> Unsupported.type("parameter", parameter.descriptorString())));
        }
        if (kind == Kind.CONSTRUCTOR) {
            return new MethodSignature(kind, parameters, owner.asValue()); // its fields' values, even when written
        }
        Shape returnType = shape(type.returnType(), classes).orElseThrow(
                () -> Unsupported.type("return", type.returnType().descriptorString()));
        // A callee hands a new array to its caller (ArrayHandOver); the entry's result is checked in LoweredFunctions
        // and BytecodeLowering, since it is written into a result array the binding passes (IrModule.functionType).
        return new MethodSignature(kind, parameters, returnType);
    }

    private static java.util.Optional<Shape> shape(ClassDesc desc, ClassLibrary classes) {
        java.util.Optional<Shape> primitive = JavaType.of(desc).map(Shape.class::cast);
        if (primitive.isPresent() || !desc.isClassOrInterface()) {
            return primitive;
        }
        String internalName = desc.descriptorString().substring(1, desc.descriptorString().length() - 1);
        return classes.valueShape(internalName).map(Shape.class::cast).or(() -> classes.isFunctionalInterface(
                internalName) ? java.util.Optional.of(RecordShape.functional(internalName)) : java.util.Optional.empty());
    }

    /** JVM local-variable slot of each parameter (long and double take two; a constructor's start after this). */
    int[] parameterSlots() {
        int[] slots = new int[parameters.size()];
        int slot = kind == Kind.CONSTRUCTOR ? 1 : 0;
        for (int i = 0; i < slots.length; i++) {
            slots[i] = slot;
            slot += parameters.get(i).isWide() ? 2 : 1;
        }
        return slots;
    }

    /** The leaf types of every parameter in order: the lowered function's parameters after the status pointer. */
    List<JavaType> leaves() {
        return parameters.stream().flatMap(p -> p.leaves().stream()).toList();
    }

    /** The leaves the parameters cross the boundary as; {@code entry}: as the binding passes them. */
    List<JavaType> leaves(boolean entry) {
        return parameters.stream().flatMap(p -> leaves(p, entry).stream()).toList();
    }

    /** {@code parameter}'s leaves; the entry takes an object from the JVM whose class is written by its {@link ObjectLayout}. */
    static List<JavaType> leaves(Shape parameter, boolean entry) {
        return entry && ObjectLayout.isCopied(parameter) ? new ObjectLayout((RecordShape) parameter).leaves()
                : parameter.leaves();
    }

    /** The names of {@link #leaves(Shape, boolean)} for a parameter called {@code name}. */
    static List<String> leafNames(Shape parameter, String name, boolean entry) {
        if (entry && ObjectLayout.isCopied(parameter)) {
            return new ObjectLayout((RecordShape) parameter).leafNames(name);
        }
        return parameter instanceof RecordShape record ? record.leafNames(name) : List.of(name);
    }
}
