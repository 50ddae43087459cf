package jenzyme.runtime.lower;

import java.lang.classfile.CodeElement;
import java.lang.classfile.Instruction;
import java.lang.classfile.Opcode;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.classfile.instruction.ArrayLoadInstruction;
import java.lang.classfile.instruction.ArrayStoreInstruction;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.ConvertInstruction;
import java.lang.classfile.instruction.IncrementInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.LoadInstruction;
import java.lang.classfile.instruction.NopInstruction;
import java.lang.classfile.instruction.OperatorInstruction;
import java.lang.classfile.instruction.StackInstruction;
import java.lang.classfile.instruction.StoreInstruction;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the loops whose interrupt poll can move out of the iteration. A poll in every iteration is a second exit,
 * and LLVM's loop vectoriser only takes loops with one: so a loop javac emitted top-tested ({@code for},
 * {@code while}: a header that only computes the condition, then the exit test) is strip-mined instead. Its header
 * also counts a budget down and leaves to a block that polls and starts a new chunk of {@link LoopShape#chunk}
 * iterations. A chunk does at most {@link #CHUNK_WORK} instructions' worth of work (a call counts as
 * {@link #CALL_WORK}), far inside the 100 ms interrupt bound. Other loops keep the poll at their header.
 *
 * <p>An innermost such loop that counts a local up by one just before its backward jump, and does nothing but
 * arithmetic, locals, array elements and {@code Math} calls, is also versioned (see {@link LoopVersion}); in a
 * derivative only if it carries no floating-point recurrence ({@link LoopRecurrences}).
 */
final class LoopShapes {

    static final int MAX_CHUNK = 4096;
    static final int CHUNK_WORK = 1 << 16;
    static final int CALL_WORK = 1024;
    static final int MATH_WORK = 16;
    /**
     * Iterations left on entry from which a {@link LoopPolling#CHUNKED_WHEN_LONG} loop runs strip-mined: the
     * measured break-even of Rosenbrock's --fast-math gradient lies between 32 and 64 (see {@link LoopPolling}).
     */
    static final int LONG_TRIPS = 64;

    private final CodePlan plan;
    private final List<Instruction> instructions = new ArrayList<>();
    private final List<Integer> offsets = new ArrayList<>();

    private LoopShapes(CodeAttribute code, CodePlan plan) {
        this.plan = plan;
        int bci = 0;
        for (CodeElement element : code) {
            if (element instanceof Instruction instruction) {
                instructions.add(instruction);
                offsets.add(bci);
                bci += instruction.sizeInBytes();
            }
        }
    }

    /** The loops of the method to strip-mine ({@link LoopPolling} says which), by header offset. */
    static Map<Integer, LoopShape> of(CodeAttribute code, CodePlan plan, LoopPolling polling) {
        Map<Integer, LoopShape> found = new HashMap<>();
        if (polling == LoopPolling.EVERY_ITERATION) {
            return found;
        }
        LoopShapes shapes = new LoopShapes(code, plan);
        Map<Integer, Integer> ends = plan.loopEnds();
        boolean whenLong = polling == LoopPolling.CHUNKED_WHEN_LONG;
        ends.forEach((header, end) -> shapes.shape(header, end, ends, whenLong,
                        whenLong && !isOutermost(header, end, ends))
                .filter(shape -> !whenLong || shape.versioned())
                .ifPresent(shape -> found.put(header, shape)));
        return found;
    }

    private static boolean isOutermost(int header, int end, Map<Integer, Integer> ends) {
        return ends.entrySet().stream().noneMatch(e -> e.getKey() < header && end <= e.getValue());
    }

    /**
     * @param whenLong for {@link LoopPolling#CHUNKED_WHEN_LONG}: strip-mined only when long if outermost, else
     *                 {@code nested} and run one chunk from each entry ({@link LoopShape#oneChunk})
     */
    private Optional<LoopShape> shape(int header, int end, Map<Integer, Integer> ends, boolean whenLong,
                                      boolean nested) {
        int first = offsets.indexOf(header);
        if (first < 0 || !plan.entryStack(header).isEmpty()) {
            return Optional.empty();
        }
        int k = first;
        Set<Integer> conditionLocals = new HashSet<>();
        while (!(instructions.get(k) instanceof BranchInstruction)) {
            Instruction instruction = instructions.get(k);
            if (k > first && plan.isBlockStart(offsets.get(k)) || !isPureConditionPart(instruction)) {
                return Optional.empty();
            }
            if (instruction instanceof LoadInstruction load) {
                conditionLocals.add(load.slot());
            }
            k++;
        }
        BranchInstruction test = (BranchInstruction) instructions.get(k);
        int exitBci = plan.bci(test.target());
        if (!isConditional(test.opcode()) || exitBci <= end || offsets.get(k) >= end) {
            return Optional.empty();
        }
        int last = offsets.indexOf(end);
        Set<Integer> stored = new HashSet<>();
        long work = 0;
        boolean plain = true;
        for (int j = first; j <= last; j++) {
            Instruction instruction = instructions.get(j);
            switch (instruction) {
                case StoreInstruction store -> stored.add(store.slot());
                case IncrementInstruction increment -> stored.add(increment.slot());
                default -> { }
            }
            work += work(instruction);
            plain &= isPlain(instruction);
        }
        int chunk = Integer.highestOneBit((int) Math.max(1, Math.min(MAX_CHUNK, CHUNK_WORK / Math.max(1, work))));
        int counter = countedLocal(first, last, header);
        boolean innermost = ends.keySet().stream().noneMatch(h -> header < h && h <= end);
        boolean versioned = counter >= 0 && innermost && plain && conditionLocals.contains(counter)
                && instructions.subList(first, last).stream().anyMatch(i -> i instanceof ArrayLoadInstruction
                        || i instanceof ArrayStoreInstruction)
                && !(whenLong && LoopRecurrences.carriesRecurrence(instructions.subList(first, last + 1)));
        return Optional.of(new LoopShape(header, end, offsets.get(k), exitBci, chunk, counter, Set.copyOf(stored),
                versioned, whenLong && !nested, nested));
    }

    /** The local that {@code iinc l, 1; goto header} ends the loop with and nothing else stores to, or -1. */
    private int countedLocal(int first, int last, int header) {
        if (last < 1 || !(instructions.get(last) instanceof BranchInstruction back)
                || back.opcode() != Opcode.GOTO && back.opcode() != Opcode.GOTO_W || plan.bci(back.target()) != header
                || !(instructions.get(last - 1) instanceof IncrementInstruction step) || step.constant() != 1) {
            return -1;
        }
        for (int j = first; j < last - 1; j++) {
            if (instructions.get(j) instanceof StoreInstruction store && store.slot() == step.slot()
                    || instructions.get(j) instanceof IncrementInstruction other && other.slot() == step.slot()) {
                return -1;
            }
        }
        return step.slot();
    }

    /** Instructions a header may hold to be run again after a poll: no effect, no failure. */
    private static boolean isPureConditionPart(Instruction instruction) {
        return switch (instruction) {
            case LoadInstruction load -> true;
            case ConstantInstruction constant -> constant.opcode() != Opcode.ACONST_NULL;
            case OperatorInstruction operator -> switch (operator.opcode()) {
                case IDIV, IREM, LDIV, LREM -> false; // may throw ArithmeticException
                default -> true;
            };
            case ConvertInstruction convert -> true;
            default -> false;
        };
    }

    private static boolean isConditional(Opcode opcode) {
        return switch (opcode) {
            case IFEQ, IFNE, IFLT, IFGE, IFGT, IFLE, IF_ICMPEQ, IF_ICMPNE, IF_ICMPLT, IF_ICMPGE, IF_ICMPGT, IF_ICMPLE -> true;
            default -> false;
        };
    }

    /** Instructions a versioned loop may hold: nothing that allocates, calls compiled code or touches objects. */
    private static boolean isPlain(Instruction instruction) {
        return switch (instruction) {
            case LoadInstruction i -> true;
            case StoreInstruction i -> true;
            case IncrementInstruction i -> true;
            case ConstantInstruction i -> true;
            case OperatorInstruction i -> true;
            case ConvertInstruction i -> true;
            case StackInstruction i -> true;
            case BranchInstruction i -> true;
            case ArrayLoadInstruction i -> true;
            case ArrayStoreInstruction i -> true;
            case NopInstruction i -> true;
            case InvokeInstruction invoke -> isMath(invoke);
            default -> false;
        };
    }

    private static int work(Instruction instruction) {
        if (instruction instanceof InvokeInstruction invoke) {
            return isMath(invoke) ? MATH_WORK : CALL_WORK;
        }
        return 1;
    }

    private static boolean isMath(InvokeInstruction invoke) {
        String owner = invoke.owner().asInternalName();
        return invoke.opcode() == Opcode.INVOKESTATIC && (owner.equals("java/lang/Math") || owner.equals("java/lang/StrictMath"));
    }
}
