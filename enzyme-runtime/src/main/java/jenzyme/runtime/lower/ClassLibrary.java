package jenzyme.runtime.lower;

import jenzyme.runtime.error.JavaWords;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.FieldModel;
import java.lang.classfile.MethodModel;
import java.lang.reflect.AccessFlag;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.ClassBytesSource;

/** Parsed class files from a {@link ClassBytesSource}, each parsed once per lowering run. */
final class ClassLibrary {

    private final ClassBytesSource source;
    private final Map<String, Optional<ClassModel>> classes = new HashMap<>();
    private final Map<String, Optional<RecordShape>> records = new HashMap<>();
    private final Map<String, LambdaTarget> lambdas = new HashMap<>();

    /** Classes whose objects compiled code writes ({@link WrittenObjects}), by internal name. */
    private final java.util.Set<String> written;

    /** Classes of the objects from the JVM the entry takes and copies back ({@link ObjectLayout}), by internal name. */
    private final java.util.Set<String> copied = new java.util.HashSet<>();

    ClassLibrary(ClassBytesSource source) {
        this(source, java.util.Set.of());
    }

    ClassLibrary(ClassBytesSource source, java.util.Set<String> written) {
        this.source = source;
        this.written = java.util.Set.copyOf(written);
    }

    /** Notes that the entry takes an object of {@code internalName} from the JVM, copied back after the call. */
    void copiedFromJvm(String internalName) {
        copied.add(internalName);
    }

    /**
     * Whether the entry takes an object of {@code internalName} from the JVM: compiled code then never assigns its
     * array fields (the binding passes the object's own arrays and copies back only its numbers).
     */
    boolean copiedFromJvm(RecordShape shape) {
        return copied.contains(shape.internalName());
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

    /**
     * Whether {@code internalName} is a value class of the notebook (whatever its fields): a record, or a final class
     * extending {@code Object} directly, whose objects compiled code keeps as values like records.
     */
    boolean isValueClass(String internalName) {
        return classModel(internalName).filter(ClassLibrary::isValueClass).isPresent();
    }

    private static boolean isValueClass(ClassModel model) {
        String superclass = model.superclass().map(c -> c.asInternalName()).orElse("");
        return superclass.equals("java/lang/Record") || superclass.equals("java/lang/Object")
                && model.flags().has(AccessFlag.FINAL) && !model.flags().has(AccessFlag.INTERFACE);
    }

    /**
     * Whether {@code internalName} is a class of the notebook that would be a value class if it were declared final
     * (a plain class extending {@code Object}), so that a refusal can say so instead of "cannot create objects".
     */
    boolean wouldBeValueClassIfFinal(String internalName) {
        return classModel(internalName).filter(model -> !model.flags().has(AccessFlag.FINAL)
                && !model.flags().has(AccessFlag.ABSTRACT) && !model.flags().has(AccessFlag.INTERFACE)
                && model.superclass().map(c -> c.asInternalName().equals("java/lang/Object")).orElse(false))
                .isPresent();
    }

    private static boolean extendsRecord(ClassModel model) {
        return model.superclass().map(c -> c.asInternalName().equals("java/lang/Record")).orElse(false);
    }

    /**
     * The shape of {@code internalName} if it is a record of the notebook; empty for any other class. Throws
     * {@link Unsupported} naming the component when a record holds something compiled code cannot keep as a value.
     */
    Optional<RecordShape> valueShape(String internalName) {
        Optional<RecordShape> known = records.get(internalName);
        if (known != null) {
            return known;
        }
        Optional<ClassModel> model = classModel(internalName).filter(ClassLibrary::isValueClass);
        if (model.isEmpty()) {
            records.put(internalName, Optional.empty());
            return Optional.empty();
        }
        records.put(internalName, Optional.empty()); // a record cannot contain itself by value; stops a cycle
        List<RecordShape.Component> components = new java.util.ArrayList<>();
        for (FieldModel field : model.get().fields()) {
            if (field.flags().has(AccessFlag.STATIC)) {
                continue;
            }
            String descriptor = field.fieldType().stringValue();
            Optional<? extends Shape> shape = JavaType.ofDescriptor(descriptor).filter(t -> t != JavaType.VOID && !t.isMatrix())
                    .map(Shape.class::cast).or(() -> descriptor.startsWith("L") ? valueShape(
                            descriptor.substring(1, descriptor.length() - 1)) : Optional.empty());
            if (shape.isEmpty()) {
                throw Unsupported.construct(Messages.RECORD_COMPONENT, JavaWords.owner(internalName),
                        field.fieldName().stringValue(), JavaWords.type(descriptor));
            }
            if (shape.get() instanceof RecordShape held && held.isWritten()) {
                // Held by value it would be a copy that writes miss; held as an address it could outlive its block.
                throw Unsupported.construct(Messages.OBJECT_WRITTEN_IN_FIELD, held.javaName(),
                        JavaWords.owner(internalName), field.fieldName().stringValue());
            }
            components.add(new RecordShape.Component(field.fieldName().stringValue(), descriptor, shape.get(),
                    field.flags().has(AccessFlag.FINAL)));
        }
        boolean isRecord = extendsRecord(model.get());
        Optional<RecordShape> shape = Optional.of(new RecordShape(internalName, components, isRecord, false,
                !isRecord && written.contains(internalName)));
        records.put(internalName, shape);
        return shape;
    }

    /**
     * The shape of a lambda calling {@code target} with captured values of shapes {@code captured}: a value like an
     * object of a final class, whose components are the captured values. Its name ({@code
     * jenzyme/lambda/Rhs$<hash of target and captured shapes>}) stands in for the interface in the descriptor of a
     * method specialised on it, so each target gets its own lowered copy of the methods it is passed to.
     */
    RecordShape lambdaShape(LambdaTarget target, List<Shape> captured) {
        String key = target + "|" + captured.stream().map(ClassLibrary::descriptorOf).toList();
        String name = "jenzyme/lambda/" + target.iface().substring(target.iface().lastIndexOf('/') + 1)
                + "$" + SymbolNames.hash(key);
        List<RecordShape.Component> components = new java.util.ArrayList<>();
        for (int i = 0; i < captured.size(); i++) {
            components.add(new RecordShape.Component("captured" + i, descriptorOf(captured.get(i)), captured.get(i)));
        }
        RecordShape shape = new RecordShape(name, components, false, true);
        records.put(name, Optional.of(shape));
        lambdas.put(name, target);
        return shape;
    }

    /**
     * Why an object of {@code shape} (or one inside it) cannot be a parameter of the method you compile, if it
     * cannot: the binding reads its fields (so none may be private) and builds its gradient and tangent with a
     * constructor taking its fields in declaration order (which must exist). Records always can.
     */
    Optional<String> parameterProblem(RecordShape shape) {
        if (shape.isFunctional()) {
            return Optional.empty(); // what a lambda captured is read through method handles, private fields too
        }
        if (!shape.isRecord()) {
            ClassModel model = classModel(shape.internalName()).orElseThrow();
            for (FieldModel field : model.fields()) {
                if (!field.flags().has(AccessFlag.STATIC) && field.flags().has(AccessFlag.PRIVATE)) {
                    return Optional.of(Messages.OBJECT_PRIVATE_FIELD.format(field.fieldName().stringValue()));
                }
            }
            boolean constructor = model.methods().stream().anyMatch(m -> m.methodName().equalsString("<init>")
                    && m.methodType().equalsString(shape.canonicalConstructor()));
            if (!constructor) {
                return Optional.of(Messages.OBJECT_NO_FIELDS_CONSTRUCTOR.format(shape.javaName(), shape.components()
                        .stream().map(c -> JavaWords.type(c.descriptor()) + " " + c.name())
                        .collect(java.util.stream.Collectors.joining(", "))));
            }
        }
        return shape.components().stream().filter(c -> c.shape() instanceof RecordShape)
                .map(c -> parameterProblem((RecordShape) c.shape())).flatMap(Optional::stream).findFirst();
    }

    /** Whether {@code internalName} is an interface a lambda can implement: java.util.function's, or the notebook's. */
    boolean isFunctionalInterface(String internalName) {
        return internalName.startsWith("java/util/function/") || classModel(internalName)
                .filter(model -> model.flags().has(AccessFlag.INTERFACE) && model.methods().stream()
                        .filter(m -> m.flags().has(AccessFlag.ABSTRACT)).count() == 1).isPresent();
    }

    /** What the lambda of shape {@code internalName} calls, if it is one ({@link #lambdaShape}). */
    Optional<LambdaTarget> lambdaTarget(String internalName) {
        return Optional.ofNullable(lambdas.get(internalName));
    }

    static String descriptorOf(Shape shape) {
        return switch (shape) {
            case JavaType type -> type.descriptor();
            case RecordShape record -> "L" + record.internalName() + ";";
        };
    }

    private Optional<ClassModel> classModel(String internalName) {
        return classes.computeIfAbsent(internalName, name -> source.bytesOf(name).map(bytes -> {
            try {
                return OldClassFiles.withStackMaps(ClassFile.of().parse(bytes), source);
            } catch (IllegalArgumentException e) {
                throw Unsupported.malformed("class file of " + name + ": " + e.getMessage());
            }
        }));
    }
}
