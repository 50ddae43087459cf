package jenzyme.runtime.lower;

import java.lang.classfile.CodeElement;
import java.lang.classfile.Instruction;
import java.lang.classfile.Opcode;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.NewObjectInstruction;
import java.lang.classfile.instruction.ReturnInstruction;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import jenzyme.runtime.error.Messages;

/**
 * The {@code throw new X(...)} statements of a method, as javac compiles them: {@code new X; dup; [message;]
 * invokespecial X.<init>; athrow}, X an unchecked {@code java.lang} exception. Compiled code cannot create objects,
 * but it need not: the whole statement is one failure with a {@link ThrownExceptions} id, and the binding creates the
 * exception. The message is a constant ({@code ldc}) or joined with {@code +} ({@link JoinedMessage}): then the
 * instructions computing its values, between the {@code dup} and the {@code invokedynamic}, are lowered as usual and
 * the failure is raised at the {@code invokedynamic}, which stores them. Only straight-line values are recognised (a
 * branch inside the message, {@code "x" + (a ? b : c)}, would carry javac's uninitialised {@code new} across
 * blocks); such a {@code new} is refused as before, with a hint.
 */
final class ThrowSites {

    /** The exception raised at each offset: a constant message's at its {@code new}, a joined one's at the indy. */
    private final Map<Integer, ThrownExceptions.Thrown> raises = new HashMap<>();
    private final Set<Integer> covered = new HashSet<>();
    /** Joined messages compiled code cannot store, at their {@code new}: why, in the user's words. */
    private final Map<Integer, String> refusals = new HashMap<>();

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
        if (i < instructions.size() && instructions.get(i) instanceof ConstantInstruction constant
                && constant.constantValue() instanceof String text) {
            if (constructsAndThrows(className, "(Ljava/lang/String;)V", instructions, i + 1)) {
                raisedAt(start, new ThrownExceptions.Thrown(className, text), offsets,
                        start, start + 1, i, i + 1, i + 2);
            }
            return;
        }
        if (constructsAndThrows(className, "()V", instructions, i)) {
            raisedAt(start, new ThrownExceptions.Thrown(className, null), offsets, start, start + 1, i, i + 1);
            return;
        }
        for (int j = i; j < instructions.size() && straightLine(instructions.get(j)); j++) {
            Optional<JoinedMessage> joined = instructions.get(j) instanceof InvokeDynamicInstruction dynamic
                    ? JoinedMessage.of(dynamic) : Optional.empty();
            boolean built = isStringBuilderResult(instructions.get(j));
            if (joined.isEmpty() && !built) {
                continue;
            }
            if (constructsAndThrows(className, "(Ljava/lang/String;)V", instructions, j + 1)) {
                // refused at the new: lowering the values first would refuse the String in other words
                Optional<String> refusal = built ? Optional.of(Messages.THROW_MESSAGE_BUILDER.format())
                        : joined.get().refusal();
                if (refusal.isPresent()) {
                    refusals.put(offsets.get(start), refusal.get());
                    covered.add(offsets.get(start));
                } else {
                    raisedAt(j, new ThrownExceptions.Thrown(className, null, joined.get()), offsets,
                            start, start + 1, j, j + 1, j + 2);
                }
            }
            return;
        }
    }

    /** {@code StringBuilder.toString()}: how javac joined strings before Java 9 (and with -XDstringConcat=inline). */
    private static boolean isStringBuilderResult(Instruction instruction) {
        return instruction instanceof InvokeInstruction call && call.name().equalsString("toString")
                && call.owner().asInternalName().equals("java/lang/StringBuilder");
    }

    /** Whether {@code instructions} from {@code i} are {@code invokespecial className.<init>descriptor; athrow}. */
    private static boolean constructsAndThrows(String className, String descriptor, List<Instruction> instructions,
                                               int i) {
        return i + 1 < instructions.size() && instructions.get(i) instanceof InvokeInstruction init
                && init.opcode() == Opcode.INVOKESPECIAL && init.name().equalsString("<init>")
                && init.owner().asInternalName().equals(className) && init.type().equalsString(descriptor)
                && instructions.get(i + 1).opcode() == Opcode.ATHROW;
    }

    /** Whether control goes on to the next instruction, and only there. */
    private static boolean straightLine(Instruction instruction) {
        return !(instruction instanceof BranchInstruction || instruction instanceof TableSwitchInstruction
                || instruction instanceof LookupSwitchInstruction || instruction instanceof ReturnInstruction
                || instruction.opcode() == Opcode.ATHROW);
    }

    private void raisedAt(int raise, ThrownExceptions.Thrown thrown, List<Integer> offsets, int... statement) {
        raises.put(offsets.get(raise), thrown);
        for (int k : statement) {
            covered.add(offsets.get(k));
        }
    }

    /** Whether the instruction at {@code bci} belongs to a recognised throw statement. */
    boolean covers(int bci) {
        return covered.contains(bci);
    }

    /** Why the throw statement starting at {@code bci} cannot be compiled, if it cannot. */
    Optional<String> refusalAt(int bci) {
        return Optional.ofNullable(refusals.get(bci));
    }

    /** The exception a recognised throw statement raises at {@code bci}. */
    Optional<ThrownExceptions.Thrown> raisedAt(int bci) {
        return Optional.ofNullable(raises.get(bci));
    }
}
