package jenzyme.runtime.lower;

import java.lang.classfile.Attributes;
import java.lang.classfile.CodeElement;
import java.lang.classfile.Instruction;
import java.lang.classfile.Label;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.classfile.attribute.LocalVariableInfo;
import java.lang.classfile.attribute.StackMapFrameInfo;
import java.lang.classfile.attribute.StackMapFrameInfo.ObjectVerificationTypeInfo;
import java.lang.classfile.attribute.StackMapFrameInfo.SimpleVerificationTypeInfo;
import java.lang.classfile.attribute.StackMapFrameInfo.VerificationTypeInfo;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.LineNumber;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.MonitorInstruction;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import jenzyme.runtime.error.JavaWords;
import jenzyme.runtime.error.Messages;

/**
 * What {@link MethodLowering} must know about a method's code before emitting it: where basic blocks start (branch
 * targets and stack-map frames), what the operand stack holds on entry to each (from the StackMapTable, which javac
 * always writes), which offsets lie inside loops, source lines, and local variable names.
 */
final class CodePlan {

    private final CodeAttribute code;
    private final Set<Integer> blockStarts = new HashSet<>();
    private final Map<Integer, List<VerificationTypeInfo>> entryStacks = new HashMap<>();
    private final List<int[]> loopRanges = new ArrayList<>();
    private final TreeMap<Integer, Integer> lines = new TreeMap<>();
    private int firstMonitorBci = -1;
    /** Offsets of {@code anewarray} of rows that javac emits for a matrix literal: followed by a {@code dup}. */
    private final Set<Integer> rowLiterals = new HashSet<>();
    /**
     * Each slot's name, its first entry in the LocalVariableTable, read at the first {@link #localName}: asked at
     * every load and store of a local, scanning the table each time was 7% of the early lowerings of a 30-line method.
     */
    private Map<Integer, String> localNames;

    private CodePlan(CodeAttribute code) {
        this.code = code;
    }

    static CodePlan of(CodeAttribute code) {
        CodePlan plan = new CodePlan(code);
        plan.scan();
        plan.readStackMap();
        return plan;
    }

    private void scan() {
        int bci = 0;
        int rowsAt = -1;
        for (CodeElement element : code) {
            int at = bci;
            if (element instanceof Instruction instruction) {
                if (rowsAt >= 0 && instruction.opcode() == java.lang.classfile.Opcode.DUP) {
                    rowLiterals.add(rowsAt);
                }
                rowsAt = instruction instanceof java.lang.classfile.instruction.NewReferenceArrayInstruction ? at : -1;
            }
            switch (element) {
                case LineNumber line -> lines.put(at, line.line());
                case MonitorInstruction monitor -> firstMonitorBci = firstMonitorBci < 0 ? at : firstMonitorBci;
                case BranchInstruction branch -> addEdge(at, branch.target());
                case TableSwitchInstruction table -> {
                    addEdge(at, table.defaultTarget());
                    table.cases().stream().map(SwitchCase::target).forEach(t -> addEdge(at, t));
                }
                case LookupSwitchInstruction lookup -> {
                    addEdge(at, lookup.defaultTarget());
                    lookup.cases().stream().map(SwitchCase::target).forEach(t -> addEdge(at, t));
                }
                default -> { }
            }
            if (element instanceof Instruction instruction) {
                bci += instruction.sizeInBytes();
            }
        }
    }

    private void addEdge(int fromBci, Label target) {
        int targetBci = bci(target);
        blockStarts.add(targetBci);
        if (targetBci <= fromBci) {
            loopRanges.add(new int[] {targetBci, fromBci});
        }
    }

    private void readStackMap() {
        code.findAttribute(Attributes.stackMapTable()).ifPresent(table -> {
            for (StackMapFrameInfo frame : table.entries()) {
                int bci = bci(frame.target());
                blockStarts.add(bci);
                entryStacks.put(bci, frame.stack());
            }
        });
    }

    private static ValueKind kindOf(VerificationTypeInfo type) {
        return switch (type) {
            case SimpleVerificationTypeInfo simple -> switch (simple) {
                case INTEGER -> ValueKind.INT;
                case LONG -> ValueKind.LONG;
                case FLOAT -> ValueKind.FLOAT;
                case DOUBLE -> ValueKind.DOUBLE;
                case NULL -> throw Unsupported.construct(Messages.NULL);
                case TOP, UNINITIALIZED_THIS -> throw Unsupported.malformed("operand stack entry " + simple);
            };
            case ObjectVerificationTypeInfo object -> {
                String name = object.className().asInternalName();
                // A two-dimensional array crosses a jump like a one-dimensional one (c[x > 0 ? 0 : 1][i] = 1): the
                // stack slot keeps its row-length table too (FrameSlots).
                if (name.startsWith("[") && name.length() != 2
                        && JavaType.ofDescriptor(name).filter(JavaType::isMatrix).isEmpty()) {
                    throw Unsupported.construct(Messages.OBJECT_ON_STACK, JavaWords.owner(name));
                }
                // A class here can only be a record: the lowering refused every other object before it got here.
                yield name.startsWith("[") ? ValueKind.ARRAY : ValueKind.RECORD;
            }
            // new R(c ? a : b): the record under construction is on the stack across the branch.
            case StackMapFrameInfo.UninitializedVerificationTypeInfo uninitialized -> ValueKind.RECORD;
            default -> throw Unsupported.construct(Messages.NEW_OBJECT, "object");
        };
    }

    /** The class of the object at {@code depth} of the entry stack at {@code bci}, if it is an initialised one. */
    Optional<String> entryStackClass(int bci, int depth) {
        List<VerificationTypeInfo> entries = entryStacks.getOrDefault(bci, List.of());
        return depth < entries.size() && entries.get(depth) instanceof ObjectVerificationTypeInfo object
                ? Optional.of(object.className().asInternalName()) : Optional.empty();
    }

    int bci(Label label) {
        return code.labelToBci(label);
    }

    boolean isBlockStart(int bci) {
        return blockStarts.contains(bci);
    }

    /**
     * Operand stack kinds (bottom first) on entry to the block at {@code bci}; empty where no frame says more.
     * Converted on demand so that a handler's exception on the stack is reported where the handler is used.
     */
    List<ValueKind> entryStack(int bci) {
        return entryStacks.getOrDefault(bci, List.of()).stream().map(CodePlan::kindOf).toList();
    }

    /** Whether the instruction at {@code bci} can run more than once per call (javac emits loops contiguously). */
    boolean isInsideLoop(int bci) {
        return loopRanges.stream().anyMatch(range -> range[0] <= bci && bci <= range[1]);
    }

    /** The innermost loop holding {@code bci}, as [header offset, back-edge offset], if any. */
    Optional<int[]> innermostLoop(int bci) {
        return loopRanges.stream().filter(range -> range[0] <= bci && bci <= range[1])
                .min(java.util.Comparator.comparingInt(range -> range[1] - range[0]));
    }

    /**
     * Whether the local that a store at {@code storeBci} into {@code slot} starts or assigns is declared inside
     * {@code loop} (its LocalVariableTable scope lies within the loop), so that it is dead when the next iteration
     * begins; false without a LocalVariableTable.
     */
    boolean isDeclaredInside(int slot, int storeBci, int[] loop) {
        return code.findAttribute(Attributes.localVariableTable()).stream()
                .flatMap(table -> table.localVariables().stream())
                .filter(v -> v.slot() == slot && v.startPc() <= storeBci + 4 && storeBci < v.startPc() + v.length())
                .anyMatch(v -> v.startPc() >= loop[0] && v.startPc() + v.length() <= loop[1] + 1);
    }

    /** Whether one loop holds both {@code a} and {@code b} (then either can run after the other). */
    boolean shareLoop(int a, int b) {
        return loopRanges.stream().anyMatch(range -> range[0] <= Math.min(a, b) && Math.max(a, b) <= range[1]);
    }

    /**
     * Whether the {@code anewarray} at {@code bci} starts a literal ({@code new double[][]{{a, b}, {c, d}}}: javac
     * keeps the new array on the stack and stores each row into it), not a {@code new double[n][]} kept in a variable.
     */
    boolean isRowLiteral(int bci) {
        return rowLiterals.contains(bci);
    }

    /** Whether {@code bci} is the target of a backward jump: every cycle in the method's control flow enters one. */
    boolean isLoopHeader(int bci) {
        return loopRanges.stream().anyMatch(range -> range[0] == bci);
    }

    /** Each loop header with the offset of the last backward jump to it: the loop's code is the range between. */
    Map<Integer, Integer> loopEnds() {
        Map<Integer, Integer> ends = new TreeMap<>();
        loopRanges.forEach(range -> ends.merge(range[0], range[1], Math::max));
        return ends;
    }

    /** Source line of the instruction at {@code bci}, or -1 without a LineNumberTable. */
    int line(int bci) {
        Map.Entry<Integer, Integer> entry = lines.floorEntry(bci);
        return entry == null ? -1 : entry.getValue();
    }

    /**
     * The exception handlers' construct and offset, if the method has any: a synchronized block (whose handler
     * releases the monitor) is named as such, anything else is try/catch/finally. The offset is the first catch
     * clause's handler: its line is the {@code catch (...)} line, while the try block's first instruction belongs to
     * the statement after {@code try {} (the {@code try} keyword has no bytecode); finally-only blocks fall back to
     * that first statement.
     */
    Optional<Map.Entry<Messages, Integer>> exceptionHandlerConstruct() {
        if (firstMonitorBci >= 0) {
            return Optional.of(Map.entry(Messages.SYNCHRONIZED_BLOCK, firstMonitorBci));
        }
        Optional<Integer> firstCatch = code.exceptionHandlers().stream()
                .filter(handler -> handler.catchType().isPresent()).map(handler -> bci(handler.handler()))
                .min(Integer::compare);
        return firstCatch.or(() -> code.exceptionHandlers().stream().map(handler -> bci(handler.tryStart()))
                        .min(Integer::compare))
                .map(start -> Map.entry(Messages.TRY_CATCH, start));
    }

    /** The local's name from the LocalVariableTable if javac wrote one (with -g), else {@code l<slot>}. */
    String localName(int slot) {
        if (localNames == null) {
            localNames = new HashMap<>();
            code.findAttribute(Attributes.localVariableTable()).ifPresent(table -> table.localVariables()
                    .forEach(local -> localNames.putIfAbsent(local.slot(), local.name().stringValue())));
        }
        String name = localNames.get(slot);
        return name != null ? name : "l" + slot;
    }

    static Optional<String> localVariableName(CodeAttribute code, int slot) {
        return code.findAttribute(Attributes.localVariableTable())
                .flatMap(table -> table.localVariables().stream().filter(v -> v.slot() == slot).findFirst())
                .map(LocalVariableInfo::name).map(name -> name.stringValue());
    }
}
