package jenzyme.runtime.lower;

import java.io.ByteArrayInputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;

/**
 * Class files older than Java 6 (version 50) have no StackMapTable, and the lowering learns what the operand stack
 * holds at each jump target from it ({@link CodePlan}): without one it assumed an empty stack, so commons-math3
 * 3.6.1 (compiled for Java 5), whose {@code Erf.erf} returns {@code x > 0 ? 1 : -1} with the double on the stack
 * across the jump, was refused as "malformed bytecode (a frontend bug)" (qa6 R8). Such a class is rewritten as
 * version 50 with the stack maps the JDK's ClassFile API computes, as javac would have written them.
 */
final class OldClassFiles {

    /** Java 6: the first version whose class files carry stack maps. */
    private static final int STACK_MAPS_SINCE = ClassFile.JAVA_6_VERSION;

    private OldClassFiles() {}

    /**
     * {@code model}, or for a class file without stack maps the same class with them; {@code source} resolves the
     * classes whose common superclass a frame needs (the library's own, beside the JDK's). A class the ClassFile API
     * cannot give frames (e.g. the {@code jsr} of pre-Java-6 {@code finally}, or a superclass nowhere to be found)
     * stays as it is, and the lowering refuses what it cannot read in it.
     */
    static ClassModel withStackMaps(ClassModel model, ClassBytesSource source) {
        if (model.majorVersion() >= STACK_MAPS_SINCE) {
            return model;
        }
        ClassHierarchyResolver resolver = ClassHierarchyResolver.ofResourceParsing(type -> source.bytesOf(
                        type.descriptorString().substring(1, type.descriptorString().length() - 1))
                        .map(ByteArrayInputStream::new).orElse(null))
                .orElse(ClassHierarchyResolver.defaultResolver());
        ClassFile generating = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
                ClassFile.ClassHierarchyResolverOption.of(resolver));
        // Every method body goes through a code builder (an unchanged one would be copied as it is, without frames).
        ClassTransform upgrade = ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                .andThen((builder, element) -> {
                    if (element instanceof ClassFileVersion) {
                        builder.withVersion(STACK_MAPS_SINCE, 0);
                    } else {
                        builder.with(element);
                    }
                });
        try {
            return ClassFile.of().parse(generating.transformClass(model, upgrade));
        } catch (IllegalArgumentException | IllegalStateException unframed) {
            return model;
        }
    }
}
