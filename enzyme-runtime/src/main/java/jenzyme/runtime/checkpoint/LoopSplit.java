package jenzyme.runtime.checkpoint;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.Instruction;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.classfile.TypeKind;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.classfile.attribute.MethodParametersAttribute;
import java.lang.classfile.attribute.MethodParameterInfo;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.ReturnInstruction;
import java.lang.classfile.instruction.StoreInstruction;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import jenzyme.runtime.error.DifferentiationException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.ClassBytesSource;

/**
 * Splits a method at its main loop into three methods the ordinary pipeline compiles, so that a reverse pass can
 * checkpoint the loop ({@link Segments}): {@code pre} runs the code before the loop and stores the loop's state,
 * {@code seg} runs at most {@code K} iterations from a stored state and stores the state it reaches, {@code post}
 * runs the code after the loop from a stored state. Each takes the method's parameters followed by
 * {@code double[] state} (the floating locals live at the loop header, floats widened exactly, then the elements of
 * the {@code double[]} locals live there) and {@code long[] ints} (the integral ones, a done flag at
 * {@link Split#done()}, the arrays' lengths).
 *
 * <p>Bytecode in, bytecode out: the pieces are the method's own instructions with the loop's state moved through
 * the two arrays, so everything the compiler accepts in the method is accepted in the pieces and their derivatives
 * are Enzyme's of the same code.
 *
 * <p>What can be split: the method's largest top-level loop, entered only at its header, left only to the code
 * right after it, with no {@code return} in or before it; its live locals numbers, {@code double[]} locals, or arrays
 * that are parameters the method never reassigns (passed to every piece as they are, so the loop must not write
 * them: {@code CheckpointedReverse} checks that at run time, as a write may go through any alias).
 */
public final class LoopSplit {

    /**
     * The pieces of one method, overloads of it in its own class (so failures and interrupts name the method and
     * its cell lines): {@code pre} and {@code post} take {@code (parameters..., double[] state, long[] ints)},
     * {@code seg} also {@code int segment}; {@code post} returns what the method returns.
     */
    public record Split(ClassBytesSource classes, String owner, String name, String preDescriptor,
                        String segDescriptor, String postDescriptor, int doubles, int longs, int arrays,
                        boolean storesArrays) {
        /** Index in {@code ints} of the flag {@code seg} sets to 1 when the loop has ended. */
        public int done() {
            return longs;
        }

        /** Length of {@code ints}: the integral locals, the done flag, the carried arrays' lengths. */
        public int intsLength() {
            return longs + 1 + arrays;
        }

        /** Length {@code state} needs for the carried arrays whose lengths {@code pre} stored in {@code ints}. */
        public int stateLength(long[] ints) {
            long length = doubles;
            for (int k = 0; k < arrays; k++) {
                length += ints[longs + 1 + k];
            }
            return Math.toIntExact(length);
        }
    }

    private final String methodAsWritten;
    private final MethodModel method;
    private final CodeAttribute code;
    private final List<CodeElement> elements;
    private final int[] offsets;
    private final int parameterSlots;
    private int header;
    private int end;
    private int exit;
    private final List<PieceCode.Carried> carried = new ArrayList<>();
    private int doubles;
    private int longs;
    private int arrays;

    private LoopSplit(String methodAsWritten, MethodModel method) {
        this.methodAsWritten = methodAsWritten;
        this.method = method;
        this.code = (CodeAttribute) method.code().orElseThrow(() -> refused(Messages.CHECKPOINT_NO_LOOP));
        this.elements = code.elementList();
        this.offsets = new int[elements.size() + 1];
        for (int k = 0, offset = 0; k < elements.size(); k++) {
            offsets[k] = offset;
            offset += elements.get(k) instanceof Instruction instruction ? instruction.sizeInBytes() : 0;
            offsets[k + 1] = offset;
        }
        MethodTypeDesc type = method.methodTypeSymbol();
        int slots = 0;
        for (ClassDesc parameter : type.parameterList()) {
            slots += TypeKind.from(parameter).slotSize();
        }
        this.parameterSlots = slots;
    }

    /**
     * The pieces of static method {@code name descriptor} of {@code owner}.
     *
     * @throws DifferentiationException naming what keeps the method's loop from being split
     */
    public static Split of(ClassBytesSource classes, String owner, String name, String descriptor,
                           String methodAsWritten, List<String> parameterNames) {
        byte[] bytes = classes.bytesOf(owner).orElseThrow(() -> DifferentiationException.refused(methodAsWritten,
                Messages.CHECKPOINT_NO_LOOP.format()));
        ClassModel model = ClassFile.of().parse(bytes);
        MethodModel method = model.methods().stream()
                .filter(m -> m.methodName().equalsString(name) && m.methodType().equalsString(descriptor))
                .findFirst().orElseThrow(() -> DifferentiationException.refused(methodAsWritten,
                        Messages.CHECKPOINT_NO_LOOP.format()));
        LoopSplit split = new LoopSplit(methodAsWritten, method);
        split.findLoop();
        split.findState();
        split.refuseArraysDeclaredInTheLoop();
        return split.build(classes, model, name, parameterNames);
    }

    private DifferentiationException refused(Messages problem, Object... arguments) {
        return DifferentiationException.refused(methodAsWritten, problem.format(arguments));
    }

    // ---- the loop and its state

    /** The top-level loop with the most code: the one whose tape grows with the trip count. */
    private void findLoop() {
        if (!code.exceptionHandlers().isEmpty()) {
            throw refused(Messages.CHECKPOINT_LOOP_SHAPE);
        }
        Map<Integer, Integer> loops = new HashMap<>(); // header -> last backward jump
        for (int k = 0; k < elements.size(); k++) {
            for (int target : targets(elements.get(k))) {
                if (target <= offsets[k]) {
                    loops.merge(target, offsets[k], Math::max);
                }
            }
        }
        int best = -1;
        for (var loop : loops.entrySet()) {
            boolean nested = loops.entrySet().stream().anyMatch(other -> other.getKey() < loop.getKey()
                    && loop.getValue() <= other.getValue());
            if (!nested && (best < 0 || loop.getValue() - loop.getKey() > end - header)) {
                best = loop.getKey();
                header = loop.getKey();
                end = loop.getValue();
            }
        }
        if (best < 0) {
            throw refused(Messages.CHECKPOINT_NO_LOOP);
        }
        exit = -1;
        for (int k = 0; k < elements.size(); k++) {
            int at = offsets[k];
            boolean inside = header <= at && at <= end;
            if (elements.get(k) instanceof ReturnInstruction && at <= end) {
                throw refused(Messages.CHECKPOINT_LOOP_SHAPE);
            }
            for (int target : targets(elements.get(k))) {
                boolean targetInside = header <= target && target <= end;
                if (inside && !targetInside) {
                    if (exit >= 0 && exit != target) {
                        throw refused(Messages.CHECKPOINT_LOOP_SHAPE);
                    }
                    exit = target;
                } else if (!inside && (targetInside && target != header || at > end && target <= end)) {
                    throw refused(Messages.CHECKPOINT_LOOP_SHAPE);
                }
            }
        }
        int afterLoop = offsets[indexAt(end) + 1];
        if (exit != afterLoop) {
            throw refused(Messages.CHECKPOINT_LOOP_SHAPE);
        }
    }

    /** The locals live at the header, from its stack-map frame: numbers are carried, arrays must be parameters. */
    private void findState() {
        var frames = code.findAttribute(java.lang.classfile.Attributes.stackMapTable()).orElseThrow(
                () -> refused(Messages.CHECKPOINT_LOOP_SHAPE)).entries();
        var atHeader = frames.stream().filter(f -> code.labelToBci(f.target()) == header).findFirst()
                .orElseThrow(() -> refused(Messages.CHECKPOINT_LOOP_SHAPE));
        if (!atHeader.stack().isEmpty()) {
            throw refused(Messages.CHECKPOINT_LOOP_SHAPE);
        }
        Map<Integer, TypeKind> live = new HashMap<>();
        int slot = 0;
        for (var local : atHeader.locals()) {
            TypeKind kind = kindOf(local, slot);
            if (kind != null) {
                live.put(slot, kind);
                carried.add(new PieceCode.Carried(slot, kind, kind == TypeKind.DOUBLE || kind == TypeKind.FLOAT
                        ? doubles++ : kind == TypeKind.REFERENCE ? arrays++ : longs++));
            }
            slot += kind == TypeKind.DOUBLE || kind == TypeKind.LONG ? 2 : 1;
        }
        // The code after the loop may read only what the header's frame carries (a local set in the loop's
        // condition would otherwise be read unset).
        frames.stream().filter(f -> code.labelToBci(f.target()) == exit).findFirst().ifPresent(atExit -> {
            int s = 0;
            for (var local : atExit.locals()) {
                TypeKind kind = kindOf(local, s);
                if (kind != null && live.get(s) != kind) {
                    throw refused(Messages.CHECKPOINT_LOOP_SHAPE);
                }
                s += kind == TypeKind.DOUBLE || kind == TypeKind.LONG ? 2 : 1;
            }
        });
    }

    /**
     * An array variable declared inside the loop body is not state, and the segment pieces mishandled it: a stage
     * array made by {@code new}, {@code clone()} or a callee in the body gave a zero gradient with the value of an
     * empty loop, or a segment that never returned (qa7 R0a, R0b). Declared before the loop and assigned in it, the
     * same array is state and works, so that is the hint.
     */
    private void refuseArraysDeclaredInTheLoop() {
        for (int k = 0; k < elements.size(); k++) {
            if (header <= offsets[k] && offsets[k] <= end && elements.get(k) instanceof StoreInstruction store
                    && store.typeKind() == TypeKind.REFERENCE
                    && carried.stream().noneMatch(c -> c.slot() == store.slot())) {
                int slot = store.slot();
                String name = variableName(slot).orElse("the array");
                throw refusedAt(k, Messages.CHECKPOINT_ARRAY_IN_LOOP.format(name));
            }
        }
    }

    /** A refusal at element {@code k}: the kernel quotes its cell line. */
    private jenzyme.runtime.error.LoweringException refusedAt(int k, String message) {
        int line = -1;
        for (int j = 0; j <= k; j++) {
            if (elements.get(j) instanceof java.lang.classfile.instruction.LineNumber number) {
                line = number.line();
            }
        }
        return new jenzyme.runtime.error.LoweringException(message,
                method.parent().map(c -> c.thisClass().asInternalName()).orElse(null), method.methodName()
                .stringValue(), method.methodType().stringValue(), offsets[k], line, null);
    }

    /**
     * The kind of a live number local, {@code REFERENCE} for a {@code double[]} local that is not a parameter (its
     * elements are state); null for an unusable slot or an array parameter never reassigned (passed to every piece as
     * it is: {@code CheckpointedReverse} checks at run time that the loop leaves its elements alone).
     */
    private TypeKind kindOf(java.lang.classfile.attribute.StackMapFrameInfo.VerificationTypeInfo local, int slot) {
        if (local instanceof java.lang.classfile.attribute.StackMapFrameInfo.SimpleVerificationTypeInfo simple) {
            return switch (simple) {
                case INTEGER -> TypeKind.INT;
                case FLOAT -> TypeKind.FLOAT;
                case LONG -> TypeKind.LONG;
                case DOUBLE -> TypeKind.DOUBLE;
                case TOP -> null;
                default -> throw notCarried(slot);
            };
        }
        if (local instanceof java.lang.classfile.attribute.StackMapFrameInfo.ObjectVerificationTypeInfo object
                && object.className().asInternalName().startsWith("[")
                && object.className().asInternalName().length() == 2) {
            if (slot < parameterSlots
                    && elements.stream().noneMatch(e -> e instanceof StoreInstruction store && store.slot() == slot)) {
                return null;
            }
            if (slot >= parameterSlots && object.className().asInternalName().equals("[D")) {
                return TypeKind.REFERENCE;
            }
        }
        throw notCarried(slot);
    }

    /**
     * The refusal of local {@code slot} as loop state, at the line that first assigns it: the kernel quotes that cell
     * line. The variable is named from the LocalVariableTable (the kernel's JShell compiles cells with -g); without
     * one it is only quoted: "local 5", a bytecode slot, meant nothing to the user (QA R14).
     */
    private jenzyme.runtime.error.LoweringException notCarried(int slot) {
        Optional<String> name = variableName(slot);
        int line = -1;
        int offset = -1;
        for (int k = 0; k < elements.size() && offset < 0; k++) {
            if (elements.get(k) instanceof java.lang.classfile.instruction.LineNumber number) {
                line = number.line();
            } else if (elements.get(k) instanceof StoreInstruction store && store.slot() == slot) {
                offset = offsets[k];
            }
        }
        String what = name.map(Messages.CHECKPOINT_LOCAL_NAMED::format)
                .orElseGet(Messages.CHECKPOINT_LOCAL_AT_LINE::format);
        return new jenzyme.runtime.error.LoweringException(Messages.CHECKPOINT_STATE.format(what),
                method.parent().map(c -> c.thisClass().asInternalName()).orElse(null), method.methodName()
                .stringValue(), method.methodType().stringValue(), offset, offset < 0 ? -1 : line, null);
    }

    /** The name of local {@code slot} from the LocalVariableTable (the kernel's JShell compiles cells with -g). */
    private Optional<String> variableName(int slot) {
        return code.findAttribute(java.lang.classfile.Attributes.localVariableTable())
                .flatMap(table -> table.localVariables().stream().filter(v -> v.slot() == slot).findFirst())
                .map(v -> v.name().stringValue());
    }

    // ---- the pieces

    private Split build(ClassBytesSource classes, ClassModel owner, String name, List<String> parameterNames) {
        MethodTypeDesc type = method.methodTypeSymbol();
        MethodTypeDesc preType = type.changeReturnType(ConstantDescs.CD_void)
                .insertParameterTypes(type.parameterCount(), ConstantDescs.CD_double.arrayType(),
                        ConstantDescs.CD_long.arrayType());
        MethodTypeDesc segType = preType.insertParameterTypes(preType.parameterCount(), ConstantDescs.CD_int);
        MethodTypeDesc postType = preType.changeReturnType(type.returnType());
        // The method's own parameter names (activities are given by name), then the state arrays'.
        List<MethodParameterInfo> names = new ArrayList<>();
        parameterNames.forEach(n -> names.add(MethodParameterInfo.ofParameter(Optional.of(n), 0)));
        names.add(MethodParameterInfo.ofParameter(Optional.of("state$"), 0));
        names.add(MethodParameterInfo.ofParameter(Optional.of("ints$"), 0));
        List<MethodParameterInfo> segNames = new ArrayList<>(names);
        segNames.add(MethodParameterInfo.ofParameter(Optional.of("segment$"), 0));
        int flags = ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC;
        PieceCode pieces = new PieceCode(code, elements, offsets, parameterSlots, header, exit, carried, doubles,
                longs);
        byte[] bytes;
        try {
            bytes = ClassFile.of().transformClass(owner, java.lang.classfile.ClassTransform.endHandler(c -> {
                c.withMethod(name, preType, flags, m -> m.with(MethodParametersAttribute.of(names)).withCode(pieces::pre));
                c.withMethod(name, segType, flags, m -> m.with(MethodParametersAttribute.of(segNames))
                        .withCode(pieces::seg));
                c.withMethod(name, postType, flags, m -> m.with(MethodParametersAttribute.of(names))
                        .withCode(pieces::post));
            }));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw refused(Messages.CHECKPOINT_LOOP_SHAPE);
        }
        String internalName = owner.thisClass().asInternalName();
        ClassBytesSource withPieces = new ClassBytesSource() {
            @Override
            public Optional<byte[]> bytesOf(String requested) {
                return requested.equals(internalName) ? Optional.of(bytes) : classes.bytesOf(requested);
            }

            @Override
            public Optional<Class<?>> loadedClass(String requested) {
                return classes.loadedClass(requested);
            }
        };
        boolean storesArrays = elements.stream().anyMatch(
                e -> e instanceof java.lang.classfile.instruction.ArrayStoreInstruction);
        return new Split(withPieces, internalName, name, preType.descriptorString(), segType.descriptorString(),
                postType.descriptorString(), doubles, longs, arrays, storesArrays);
    }

    private List<Integer> targets(CodeElement element) {
        return switch (element) {
            case BranchInstruction branch -> List.of(code.labelToBci(branch.target()));
            case TableSwitchInstruction table -> targetsOf(table.defaultTarget(), table.cases());
            case LookupSwitchInstruction lookup -> targetsOf(lookup.defaultTarget(), lookup.cases());
            default -> List.of();
        };
    }

    private List<Integer> targetsOf(Label fallback, List<SwitchCase> cases) {
        List<Integer> all = new ArrayList<>();
        all.add(code.labelToBci(fallback));
        cases.forEach(c -> all.add(code.labelToBci(c.target())));
        return all;
    }

    private int indexAt(int bci) {
        for (int k = 0; k < elements.size(); k++) {
            if (offsets[k] == bci && elements.get(k) instanceof Instruction) {
                return k;
            }
        }
        throw refused(Messages.CHECKPOINT_LOOP_SHAPE);
    }
}
