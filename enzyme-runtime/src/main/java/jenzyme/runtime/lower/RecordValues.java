package jenzyme.runtime.lower;

import jenzyme.runtime.error.JavaWords;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.FieldInstruction;
import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.error.Messages;

/**
 * Records inside one lowered method. A record is a value: {@code new R} pushes a placeholder that the constructor
 * call replaces by the record's component values; reading a component is taking that value. Inside a record's
 * constructor, the record under construction ({@code this}) has its fields in frame slots until it returns them as
 * one struct. Nothing is allocated and no reference to a record exists at run time. An object whose fields compiled
 * code writes outside its constructors is the exception: it lives in memory ({@link WrittenObjects}).
 */
final class RecordValues {

    private static final String FIELD_KEY = "this.field";

    private final ClassLibrary classes;
    private final FrameSlots slots;
    private final JValue underConstruction;
    private final WrittenObjects objects;

    /** @param signature the lowered method's; a constructor gets a {@code this} whose fields live in frame slots */
    RecordValues(ClassLibrary classes, FrameSlots slots, MethodSignature signature, WrittenObjects objects) {
        this.classes = classes;
        this.slots = slots;
        this.objects = objects;
        this.underConstruction = signature.kind() == MethodSignature.Kind.CONSTRUCTOR
                ? JValue.unconstructed((RecordShape) signature.returnType()) : null;
    }

    /** In a constructor: every field starts at zero, as on the JVM (a constructor need not assign them all). */
    void initialiseFields() {
        if (underConstruction == null) {
            return;
        }
        RecordShape shape = underConstruction.shape();
        for (int i = 0; i < shape.components().size(); i++) {
            slots.store(FIELD_KEY + i, zero(shape.components().get(i).shape()), "this." + shape.components().get(i).name());
        }
    }

    private JValue zero(Shape shape) {
        var ir = slots.ir();
        return switch (shape) {
            case RecordShape nested -> JValue.record(nested, nested.components().stream().map(c -> zero(c.shape())).toList());
            case JavaType type when type.isArray() -> JValue.array(ir.zero(ir.ptr()), ir.zero(ir.i32()));
            case JavaType type -> JValue.scalar(ValueKind.of(type), ir.zero(slots.type(ValueKind.of(type))));
        };
    }

    /** What {@code aload_0} pushes in a constructor, else null. */
    JValue underConstruction() {
        return underConstruction;
    }

    /**
     * The value {@code new} pushes once the constructor of {@code placeholder} returned {@code fields}: an object
     * compiled code writes is put in memory ({@link WrittenObjects}), any other stays the value.
     */
    JValue constructed(JValue placeholder, JValue fields) {
        return placeholder.shape().isWritten() && placeholder != underConstruction
                ? objects.create(placeholder.shape(), fields) : fields;
    }

    /** The placeholder for {@code new internalName}. */
    JValue allocate(String internalName) {
        return JValue.unconstructed(shape(internalName));
    }

    RecordShape shape(String internalName) {
        return classes.valueShape(internalName).orElseThrow(
                () -> Unsupported.construct(Messages.NEW_OBJECT, JavaWords.owner(internalName)));
    }

    /** getfield / putfield on a record (SubsetRules refused every other field access). */
    void field(FieldInstruction field, OperandStack stack) {
        RecordShape shape = shape(field.owner().asInternalName());
        int index = shape.indexOf(field.name().stringValue());
        if (index < 0) {
            throw Unsupported.malformed("no component " + field.name().stringValue() + " in " + shape.javaName());
        }
        String name = field.name().stringValue();
        Shape component = shape.components().get(index).shape();
        if (field.opcode() == Opcode.PUTFIELD) {
            JValue value = stack.pop();
            JValue target = stack.pop();
            if (target == underConstruction && underConstruction != null) {
                slots.store(FIELD_KEY + index, value, "this." + name);
            } else if (target.isObjectRef()) {
                if (component instanceof JavaType type && type.isArray() && classes.copiedFromJvm(shape)) {
                    throw Unsupported.construct(Messages.COPIED_ARRAY_FIELD_ASSIGNED, name, shape.javaName());
                }
                objects.store(target, index, value);
            } else if (shape.isRecord() || shape.isFunctional()) {
                throw Unsupported.malformed("putfield " + name + " on the record " + shape.javaName());
            } else {
                throw new WrittenObjects.Discovered(shape.internalName(), name); // lowered again, written
            }
            return;
        }
        JValue target = stack.pop();
        if (target.isObjectRef()) {
            stack.push(objects.load(target, index));
        } else if (target == underConstruction && target != null) {
            stack.push(component instanceof RecordShape nested ? slots.load(FIELD_KEY + index, nested, "this." + name)
                    : slots.load(FIELD_KEY + index, ValueKind.of((JavaType) component), "this." + name));
        } else {
            if (target.kind() != ValueKind.RECORD || target.isUnconstructed()) {
                throw Unsupported.malformed("getfield " + name + " on " + target.kind());
            }
            stack.push(target.components().get(index));
        }
    }

    /**
     * The component {@code r.name()} reads when {@code name} is the generated accessor of a component (its code is
     * {@code return this.name}), taken without a call, so that an array component needs no returned array.
     */
    java.util.Optional<JValue> accessor(String owner, String name, String descriptor, JValue receiver) {
        RecordShape shape = shape(owner);
        int index = shape.indexOf(name);
        if (index < 0 || !descriptor.equals("()" + shape.components().get(index).descriptor())
                || receiver.kind() != ValueKind.RECORD || receiver.isUnconstructed()) {
            return java.util.Optional.empty();
        }
        var code = classes.method(new MethodRef(owner, name, descriptor)).code();
        boolean generated = code.map(c -> c.elementList().stream()
                .filter(e -> e instanceof java.lang.classfile.Instruction).toList()).filter(list -> list.size() == 3
                        && list.get(1) instanceof FieldInstruction read && read.name().equalsString(name)).isPresent();
        return !generated ? java.util.Optional.empty() : java.util.Optional.of(receiver.isObjectRef()
                ? objects.load(receiver, index) : receiver.components().get(index));
    }

    /**
     * Whether constructor {@code descriptor} of {@code owner} keeps its arguments as the components, in order: a
     * record's canonical constructor that assigns none of its reference parameters (a compact constructor may check
     * or normalise its scalars). Then an array argument is the component, and what is known of it (allocated in a
     * loop, new) holds for the component ({@link MethodCalls}).
     */
    boolean keepsArguments(String owner, String descriptor) {
        RecordShape shape = shape(owner);
        if (!shape.isRecord() || !descriptor.equals(shape.canonicalConstructor())) {
            return false;
        }
        int parameterSlots = 1 + java.lang.constant.MethodTypeDesc.ofDescriptor(descriptor).parameterList().stream()
                .mapToInt(type -> java.lang.classfile.TypeKind.from(type).slotSize()).sum();
        return classes.method(new MethodRef(owner, "<init>", descriptor)).code().stream()
                .flatMap(code -> code.elementList().stream())
                .noneMatch(e -> e instanceof java.lang.classfile.instruction.StoreInstruction store
                        && store.typeKind() == java.lang.classfile.TypeKind.REFERENCE && store.slot() < parameterSlots);
    }

    /** The record under construction as its constructor returns it (every final field is assigned by then). */
    JValue constructed() {
        RecordShape shape = underConstruction.shape();
        List<JValue> components = new ArrayList<>();
        for (int i = 0; i < shape.components().size(); i++) {
            Shape component = shape.components().get(i).shape();
            String name = "this." + shape.components().get(i).name();
            components.add(component instanceof RecordShape nested ? slots.load(FIELD_KEY + i, nested, name)
                    : slots.load(FIELD_KEY + i, ValueKind.of((JavaType) component), name));
        }
        return JValue.record(shape, components);
    }

    /** Replaces every copy of {@code placeholder} on the stack (new R; dup; ...) by the constructed record. */
    static void replace(OperandStack stack, JValue placeholder, JValue record) {
        stack.replaceAll(placeholder, record);
    }
}
