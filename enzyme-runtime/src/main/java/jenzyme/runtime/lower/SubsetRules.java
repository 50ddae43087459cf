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
import java.util.function.Predicate;

/**
 * Which single instructions are outside the compiled subset, named in Java words: the one list both the lowering
 * ({@link MethodLowering} refuses them) and {@link SubsetExplainer} (lists them all before compiling) read, so the
 * two cannot disagree. Whether a supported call's target is itself compilable is decided where it is lowered.
 */
final class SubsetRules {

    private SubsetRules() {
    }

    /**
     * The construct {@code instruction} stands for if the subset has no place for it; {@code hasClass} tells whether
     * the class files of a static call's owner are available (else the call cannot be compiled).
     */
    static Optional<String> refusal(Instruction instruction, Predicate<String> hasClass) {
        return Optional.ofNullable(switch (instruction) {
            case FieldInstruction field -> fieldAccess(field);
            case InvokeDynamicInstruction dynamic -> dynamic.name().stringValue().startsWith("makeConcat")
                    ? "string concatenation (+ on a String)" : "a lambda or method reference";
            case NewObjectInstruction newObject -> newObject(newObject.className().asInternalName());
            case NewReferenceArrayInstruction newArray ->
                    "new " + JavaWords.owner(newArray.componentType().asInternalName()) + "[] (an array of objects)";
            case NewMultiArrayInstruction newArray ->
                    "new " + newArray.arrayType().asSymbol().displayName() + " (a multi-dimensional array)";
            case ThrowInstruction thrown -> "throw";
            case MonitorInstruction monitor -> "a synchronized block";
            case TypeCheckInstruction check -> (check.opcode() == Opcode.INSTANCEOF ? "instanceof " : "a cast to ")
                    + JavaWords.owner(check.type().asInternalName());
            case DiscontinuedInstruction discontinued -> opcodeName(discontinued.opcode());
            case ConstantInstruction constant -> constant(constant.opcode() == Opcode.ACONST_NULL ? null
                    : constant.constantValue());
            case BranchInstruction branch -> switch (branch.opcode()) {
                case IFNULL, IFNONNULL -> "a null check (== null or != null)";
                case IF_ACMPEQ, IF_ACMPNE -> "== or != on arrays or objects (a reference comparison)";
                default -> null;
            };
            case InvokeInstruction invoke -> call(invoke, hasClass);
            default -> null;
        });
    }

    private static String constant(ConstantDesc value) {
        return switch (value) {
            case null -> "null";
            case Integer i -> null;
            case Long l -> null;
            case Float f -> null;
            case Double d -> null;
            case String s -> "a String constant \"" + (s.length() > 20 ? s.substring(0, 20) + "..." : s) + "\"";
            case ClassDesc c -> "the class literal " + c.displayName() + ".class";
            default -> "constant " + value;
        };
    }

    private static String call(InvokeInstruction invoke, Predicate<String> hasClass) {
        String owner = invoke.owner().asInternalName();
        String method = JavaWords.method(owner, invoke.name().stringValue(), invoke.type().stringValue());
        if (invoke.opcode() != Opcode.INVOKESTATIC) {
            return "calling " + method + " (compiled code can call only static methods of the notebook and Math)";
        }
        if (!MathCalls.handles(owner) && !hasClass.test(owner)) {
            return "calling " + method + " (" + JavaWords.owner(owner) + " is not a class of the notebook)";
        }
        return null;
    }

    /** {@code new X}, named as a throw when X looks like an exception (javac emits the new before the athrow). */
    private static String newObject(String internalName) {
        String name = internalName.replace('/', '.');
        boolean throwable = name.endsWith("Exception") || name.endsWith("Error") || name.endsWith("Throwable");
        return throwable ? "throw new " + JavaWords.owner(internalName) + " (compiled code cannot throw exceptions)"
                : "new " + JavaWords.owner(internalName) + " (compiled code cannot create objects)";
    }

    private static String fieldAccess(FieldInstruction field) {
        String name = JavaWords.field(field.owner().asInternalName(), field.name().stringValue());
        boolean reads = field.opcode() == Opcode.GETSTATIC || field.opcode() == Opcode.GETFIELD;
        return (reads ? "reading " : "writing ") + name + " (compiled code cannot use notebook variables or fields;"
                + " pass the value as a parameter)";
    }

    static String opcodeName(Opcode opcode) {
        return opcode.name().toLowerCase();
    }
}
