package jenzyme.runtime.lower;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.reflect.AccessFlag;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.lower.ClassBytesSource;

/** Parsed class files from a {@link ClassBytesSource}, each parsed once per lowering run. */
final class ClassLibrary {

    private final ClassBytesSource source;
    private final Map<String, Optional<ClassModel>> classes = new HashMap<>();

    ClassLibrary(ClassBytesSource source) {
        this.source = source;
    }

    boolean has(String internalName) {
        return classModel(internalName).isPresent();
    }

    /** The method's model; throws {@link Unsupported} if the class or the method is unknown. */
    MethodModel method(MethodRef ref) {
        ClassModel model = classModel(ref.owner()).orElseThrow(() -> Unsupported.missingClass(ref.owner()));
        return model.methods().stream()
                .filter(m -> m.methodName().equalsString(ref.name()) && m.methodType().equalsString(ref.descriptor()))
                .findFirst()
                .orElseThrow(() -> Unsupported.missingMethod(ref));
    }

    /** Descriptors of the static methods called {@code name}; throws a LoweringException if the class is unknown. */
    List<String> staticMethodDescriptors(String owner, String name) {
        ClassModel model = classModel(owner).orElseThrow(() -> new LoweringException(
                Unsupported.missingClass(owner).problem(), owner, name, null, -1, -1, null));
        return model.methods().stream()
                .filter(m -> m.methodName().equalsString(name) && m.flags().has(AccessFlag.STATIC))
                .map(m -> m.methodType().stringValue())
                .toList();
    }

    private Optional<ClassModel> classModel(String internalName) {
        return classes.computeIfAbsent(internalName, name -> source.bytesOf(name).map(bytes -> {
            try {
                return ClassFile.of().parse(bytes);
            } catch (IllegalArgumentException e) {
                throw Unsupported.malformed("class file of " + name + ": " + e.getMessage());
            }
        }));
    }
}
