package jenzyme.runtime.lower;

import java.lang.classfile.CodeElement;
import java.lang.classfile.Instruction;
import java.lang.classfile.Opcode;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.NewObjectInstruction;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code throw new X("constant")} statements of a method, as javac compiles them: {@code new X; dup;
 * [ldc "constant";] invokespecial X.<init>; athrow}, X an unchecked {@code java.lang} exception. Compiled code
 * cannot create objects, but it need not: the whole statement is one failure with a {@link ThrownExceptions} id, and
 * the binding creates the exception. A message computed at run time ({@code "n = " + n}) is not recognised and the
 * {@code new} is refused as before, with a hint.
 */
final class ThrowSites {

    private final Map<Integer, ThrownExceptions.Thrown> starts = new HashMap<>();
    private final Set<Integer> covered = new HashSet<>();

    private ThrowSites() {}

    static ThrowSites of(CodeAttribute code) {
        ThrowSites sites = new ThrowSites();
        List<Instruction> instructions = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        int bci = 0;
        for (CodeElement element : code) {
            if (element instanceof Instruction instruction) {
                instructions.add(instruction);
                offsets.add(bci);
                bci += instruction.sizeInBytes();
            }
        }
        for (int i = 0; i < instructions.size(); i++) {
            if (instructions.get(i) instanceof NewObjectInstruction created
                    && ThrownExceptions.throwable(created.className().asInternalName())) {
                sites.match(created.className().asInternalName(), instructions, offsets, i);
            }
        }
        return sites;
    }

    private void match(String className, List<Instruction> instructions, List<Integer> offsets, int start) {
        int i = start + 1;
        if (i >= instructions.size() || instructions.get(i++).opcode() != Opcode.DUP) {
            return;
        }
        String message = null;
        if (i < instructions.size() && instructions.get(i) instanceof ConstantInstruction constant
                && constant.constantValue() instanceof String text) {
            message = text;
            i++;
        }
        if (i + 1 >= instructions.size() || !(instructions.get(i) instanceof InvokeInstruction init)
                || init.opcode() != Opcode.INVOKESPECIAL || !init.name().equalsString("<init>")
                || !init.owner().asInternalName().equals(className)
                || !init.type().equalsString(message == null ? "()V" : "(Ljava/lang/String;)V")
                || instructions.get(i + 1).opcode() != Opcode.ATHROW) {
            return;
        }
        starts.put(offsets.get(start), new ThrownExceptions.Thrown(className, message));
        for (int j = start; j <= i + 1; j++) {
            covered.add(offsets.get(j));
        }
    }

    /** Whether the instruction at {@code bci} belongs to a recognised throw statement. */
    boolean covers(int bci) {
        return covered.contains(bci);
    }

    /** The exception the throw statement starting at {@code bci} (its {@code new}) throws. */
    Optional<ThrownExceptions.Thrown> startingAt(int bci) {
        return Optional.ofNullable(starts.get(bci));
    }
}
