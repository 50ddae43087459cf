package jenzyme.runtime.lower;

import java.lang.classfile.Instruction;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.DiscontinuedInstruction;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.MonitorInstruction;
import java.lang.classfile.instruction.NewMultiArrayInstruction;
import java.lang.classfile.instruction.NewObjectInstruction;
import java.lang.classfile.instruction.NewReferenceArrayInstruction;
import java.lang.classfile.instruction.ThrowInstruction;
import java.lang.classfile.instruction.TypeCheckInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDesc;
import java.util.Optional;
import jenzyme.runtime.error.JavaWords;
import jenzyme.runtime.error.Messages;

/**
 * Which single instructions are outside the compiled subset, named in Java words: the one list both the lowering
 * ({@link MethodLowering} refuses them) and {@link SubsetExplainer} (lists them all before compiling) read, so the
 * two cannot disagree. Whether a supported call's target is itself compilable is decided where it is lowered.
 */
final class SubsetRules {

    private SubsetRules() {
    }

    /**
     * The construct {@code instruction} stands for if the subset has no place for it; {@code classes} tells whether
     * the class files of a static call's owner are available (else the call cannot be compiled) and which classes
     * are records (created, read and called as values; what a record holds is checked where it is lowered).
     */
    static Optional<String> refusal(Instruction instruction, ClassLibrary classes) {
        return Optional.ofNullable(switch (instruction) {
            case FieldInstruction field when isInstanceField(field) && classes.isValueClass(field.owner().asInternalName())
                    -> null;
            case FieldInstruction field -> fieldAccess(field);
            case InvokeDynamicInstruction dynamic -> LambdaValues.refusal(dynamic, classes);
            case NewObjectInstruction newObject when classes.isValueClass(newObject.className().asInternalName()) -> null;
            case NewObjectInstruction newObject when classes.wouldBeValueClassIfFinal(
                    newObject.className().asInternalName()) -> Messages.NEW_OBJECT_NOT_FINAL.format(
                    JavaWords.owner(newObject.className().asInternalName()));
            case NewObjectInstruction newObject -> newObject(newObject.className().asInternalName());
            case NewReferenceArrayInstruction newArray when JavaType.of(newArray.componentType().asSymbol())
                    .filter(row -> row.isArray() && !row.isMatrix()).isPresent() -> null; // a matrix literal's rows
            case NewReferenceArrayInstruction newArray ->
                    Messages.NEW_OBJECT_ARRAY.format(JavaWords.owner(newArray.componentType().asInternalName()));
            case NewMultiArrayInstruction newArray when newMatrixType(newArray).isPresent() -> null;
            case NewMultiArrayInstruction newArray ->
                    Messages.NEW_MULTI_ARRAY.format(newArray.arrayType().asSymbol().displayName());
            case ThrowInstruction thrown -> Messages.THROW.format();
            case MonitorInstruction monitor -> Messages.SYNCHRONIZED_BLOCK.format();
            case TypeCheckInstruction check when isArrayCast(check) -> null;
            case TypeCheckInstruction check -> (check.opcode() == Opcode.INSTANCEOF ? Messages.INSTANCEOF
                    : Messages.CAST).format(JavaWords.owner(check.type().asInternalName()));
            case DiscontinuedInstruction discontinued ->
                    Messages.BYTECODE_INSTRUCTION.format(opcodeName(discontinued.opcode()));
            case ConstantInstruction constant -> constant(constant.opcode() == Opcode.ACONST_NULL ? null
                    : constant.constantValue());
            case BranchInstruction branch -> switch (branch.opcode()) {
                case IFNULL, IFNONNULL -> Messages.NULL_CHECK.format();
                case IF_ACMPEQ, IF_ACMPNE -> Messages.REFERENCE_COMPARISON.format();
                default -> null;
            };
            case InvokeInstruction invoke -> call(invoke, classes);
            default -> null;
        });
    }

    private static String constant(ConstantDesc value) {
        return switch (value) {
            case null -> Messages.NULL.format();
            case Integer i -> null;
            case Long l -> null;
            case Float f -> null;
            case Double d -> null;
            case String s -> Messages.STRING_CONSTANT.format(s.length() > 20 ? s.substring(0, 20) + "..." : s);
            case ClassDesc c -> Messages.CLASS_LITERAL.format(c.displayName());
            default -> Messages.CONSTANT.format(value);
        };
    }

    private static String call(InvokeInstruction invoke, ClassLibrary classes) {
        String owner = invoke.owner().asInternalName();
        if (ArrayLibrary.handles(owner, invoke.name().stringValue(), invoke.type().stringValue())) {
            return null;
        }
        String name = invoke.name().stringValue();
        if (StreamPipelines.handles(owner, name)) {
            return null; // which stream operations compile is decided where the pipeline is lowered
        }
        if (invoke.opcode() == Opcode.INVOKESPECIAL && name.equals("<init>")
                && (owner.equals("java/lang/Record") || owner.equals("java/lang/Object"))) {
            return null; // the super() call of a value class's constructor (anything else is refused where lowered)
        }
        if (invoke.opcode() != Opcode.INVOKESTATIC && classes.isValueClass(owner)) {
            boolean identity = switch (name) {
                case "equals", "hashCode", "toString" -> true;
                default -> false;
            };
            return identity ? Messages.RECORD_IDENTITY.format(name + "()", JavaWords.owner(owner)) : null;
        }
        if (invoke.opcode() == Opcode.INVOKEINTERFACE && owner.startsWith("java/")
                && !classes.isFunctionalInterface(owner)) {
            // List.add, Map.get...: no record or lambda of the notebook can be behind a JDK collection interface, so
            // this is known before lowering (and --explain lists it; qa7 R6)
            return Messages.CALLING_INSTANCE_METHOD.format(inWords(invoke));
        }
        if (invoke.opcode() == Opcode.INVOKEINTERFACE) {
            return null; // on a lambda or a record behind an interface; the lowering knows the receiver
        }
        if (invoke.opcode() != Opcode.INVOKESTATIC) {
            return Messages.CALLING_INSTANCE_METHOD.format(inWords(invoke));
        }
        if (!MathCalls.handles(owner) && !classes.has(owner)) {
            return DerivativeRule.fitsPrimal(invoke.type().stringValue())
                    ? Messages.CALLING_FOREIGN_RULE.format(inWords(invoke), JavaWords.owner(owner),
                            owner.replace('/', '.') + "." + name)
                    : Messages.CALLING_FOREIGN.format(inWords(invoke), JavaWords.owner(owner));
        }
        return null;
    }

    /** The called method as the user wrote it, for a refusal only: most calls pass, and naming each cost time. */
    private static String inWords(InvokeInstruction invoke) {
        return JavaWords.method(invoke.owner().asInternalName(), invoke.name().stringValue(),
                invoke.type().stringValue());
    }

    /** The cast javac puts after {@code a.clone()} of a primitive array: to the array's own type. */
    static boolean isArrayCast(TypeCheckInstruction check) {
        return check.opcode() == Opcode.CHECKCAST && JavaType.of(check.type().asSymbol())
                .filter(t -> t.isArray() && !t.isMatrix()).isPresent();
    }

    /** The type of {@code new double[n][m]} (both sizes given) of a numeric two-dimensional array. */
    static Optional<JavaType> newMatrixType(NewMultiArrayInstruction newArray) {
        return JavaType.of(newArray.arrayType().asSymbol()).filter(t -> t.isMatrix() && newArray.dimensions() == 2);
    }

    /** {@code new X}, named as a throw when X looks like an exception (javac emits the new before the athrow). */
    private static String newObject(String internalName) {
        String name = JavaWords.owner(internalName);
        boolean throwable = name.endsWith("Exception") || name.endsWith("Error") || name.endsWith("Throwable");
        return (throwable ? Messages.THROW_NEW : Messages.NEW_OBJECT).format(name);
    }

    private static boolean isInstanceField(FieldInstruction field) {
        return field.opcode() == Opcode.GETFIELD || field.opcode() == Opcode.PUTFIELD;
    }

    private static String fieldAccess(FieldInstruction field) {
        String name = JavaWords.field(field.owner().asInternalName(), field.name().stringValue());
        return switch (field.opcode()) {
            case GETSTATIC -> staticField(field).isPresent() ? null
                    : Messages.READING_STATIC_FIELD_TYPE.format(name, JavaWords.type(field.type().stringValue()));
            case PUTSTATIC -> Messages.WRITING_STATIC_FIELD.format(name);
            case GETFIELD -> Messages.READING_FIELD.format(name);
            default -> Messages.WRITING_FIELD.format(name);
        };
    }

    /** The static field a {@code getstatic} reads, if compiled code can take it as a hidden argument. */
    static Optional<StaticField> staticField(FieldInstruction field) {
        return JavaType.of(field.typeSymbol()).filter(StaticField::readable).map(type ->
                new StaticField(field.owner().asInternalName(), field.name().stringValue(), type));
    }

    static String opcodeName(Opcode opcode) {
        return opcode.name().toLowerCase();
    }
}
