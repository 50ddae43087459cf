package jenzyme.runtime.checkpoint;

import java.lang.classfile.CodeBuilder;
import java.lang.classfile.CodeElement;
import java.lang.classfile.Instruction;
import java.lang.classfile.Label;
import java.lang.classfile.TypeKind;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.IncrementInstruction;
import java.lang.classfile.instruction.LabelTarget;
import java.lang.classfile.instruction.LineNumber;
import java.lang.classfile.instruction.LoadInstruction;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.StoreInstruction;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * The code of {@link LoopSplit}'s three pieces, from the method's own instructions: locals after the parameters move
 * up by {@link #MOVED} slots (the pieces' own parameters take them), jumps to the loop's header or exit are
 * redirected, local variable tables are dropped (their scopes span pieces), and the carried locals go through the
 * state arrays at the pieces' edges: numbers one entry each, then the elements of each carried {@code double[]} local
 * (its length in {@code ints}, after the done flag). Their lengths are known only once {@code pre} ran, so {@code pre}
 * stops before copying arrays that do not fit and the driver runs it again with a state long enough
 * ({@link LoopSplit.Split#stateLength}).
 */
final class PieceCode {

    /** A live local at the loop header moved through the state arrays: its slot, kind and index there. */
    record Carried(int slot, TypeKind kind, int index) {
        boolean floating() {
            return kind == TypeKind.DOUBLE || kind == TypeKind.FLOAT;
        }

        /** A {@code double[]} local whose elements are state (index: its number among the carried arrays). */
        boolean array() {
            return kind == TypeKind.REFERENCE;
        }
    }

    private static final ClassDesc SYSTEM = ClassDesc.of("java.lang.System");
    private static final MethodTypeDesc ARRAYCOPY = MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_Object,
            ConstantDescs.CD_int, ConstantDescs.CD_Object, ConstantDescs.CD_int, ConstantDescs.CD_int);


    /** Slots of the pieces' own parameters (state, ints, and seg's segment length; pre and post leave one free). */
    static final int MOVED = 3;

    private final CodeAttribute code;
    private final List<CodeElement> elements;
    private final int[] offsets;
    private final int parameterSlots;
    private final int header;
    private final int exit;
    private final List<Carried> carried;
    private final int doubles;
    private final int longs;

    PieceCode(CodeAttribute code, List<CodeElement> elements, int[] offsets, int parameterSlots, int header, int exit,
              List<Carried> carried, int doubles, int longs) {
        this.code = code;
        this.elements = elements;
        this.offsets = offsets;
        this.parameterSlots = parameterSlots;
        this.header = header;
        this.exit = exit;
        this.carried = List.copyOf(carried);
        this.doubles = doubles;
        this.longs = longs;
    }

    /** {@code pre}: the code before the loop, then the state stored. */
    void pre(CodeBuilder b) {
        Label store = b.newLabel();
        copy(b, 0, header, Map.of(header, store));
        b.labelBinding(store);
        pack(b, true);
        b.return_();
    }

    /** {@code seg}: the state loaded, at most K iterations, the state stored (and the done flag if the loop ended). */
    void seg(CodeBuilder b) {
        int counter = code.maxLocals() + MOVED;
        Label check = b.newLabel();
        Label ended = b.newLabel();
        Label paused = b.newLabel();
        unpack(b);
        b.iconst_0().istore(counter);
        b.labelBinding(check);
        b.iload(counter).iload(parameterSlots + 2).if_icmpge(paused);
        b.iinc(counter, 1);
        copy(b, header, exit, Map.of(header, check, exit, ended));
        b.labelBinding(ended);
        pack(b, false);
        b.aload(ints()).loadConstant(longs).lconst_1().lastore();
        b.return_();
        b.labelBinding(paused);
        pack(b, false);
        b.return_();
    }

    /** {@code post}: the state loaded, then the code after the loop. */
    void post(CodeBuilder b) {
        unpack(b);
        copy(b, exit, offsets[elements.size()], Map.of());
    }

    private int state() {
        return parameterSlots;
    }

    private int ints() {
        return parameterSlots + 1;
    }

    /** The slot of original local {@code slot} in a piece: after the pieces' own parameters unless a parameter. */
    private int moved(int slot) {
        return slot < parameterSlots ? slot : slot + MOVED;
    }

    /** The slot of the running offset into {@code state} while arrays are packed (after seg's counter). */
    private int offset() {
        return code.maxLocals() + MOVED + 1;
    }

    /**
     * Stores the carried locals. In {@code pre} ({@code first}) the arrays' lengths go to {@code ints} first, and the
     * piece returns before copying them if {@code state} is too short. The lengths then hold for the whole loop: an
     * array assigned in a loop has its values copied into the array the variable holds, whose length the assignment
     * must keep (lower/CarriedArrays), so every stored state has one layout.
     */
    private void pack(CodeBuilder b, boolean first) {
        List<Carried> arrays = carried.stream().filter(Carried::array).toList();
        for (Carried c : carried) {
            if (c.array()) {
                continue;
            }
            b.aload(c.floating() ? state() : ints()).loadConstant(c.index());
            b.loadLocal(c.kind(), moved(c.slot()));
            switch (c.kind()) {
                case FLOAT -> b.f2d().dastore();
                case DOUBLE -> b.dastore();
                case INT -> b.i2l().lastore();
                default -> b.lastore();
            }
        }
        if (arrays.isEmpty()) {
            return;
        }
        if (first) {
            b.loadConstant(doubles).istore(offset());
            for (Carried c : arrays) {
                b.aload(ints()).loadConstant(lengthIndex(c)).aload(moved(c.slot())).arraylength().i2l().lastore();
                advance(b, c);
            }
            Label fits = b.newLabel();
            b.aload(state()).arraylength().iload(offset()).if_icmpge(fits);
            b.return_();
            b.labelBinding(fits);
        }
        b.loadConstant(doubles).istore(offset());
        for (Carried c : arrays) {
            b.aload(moved(c.slot())).iconst_0().aload(state()).iload(offset()).aload(moved(c.slot())).arraylength();
            b.invokestatic(SYSTEM, "arraycopy", ARRAYCOPY);
            advance(b, c);
        }
    }

    /** The offset moves past array {@code c}'s elements. */
    private void advance(CodeBuilder b, Carried c) {
        b.iload(offset()).aload(moved(c.slot())).arraylength().iadd().istore(offset());
    }

    private void unpack(CodeBuilder b) {
        if (carried.stream().anyMatch(Carried::array)) {
            b.loadConstant(doubles).istore(offset());
        }
        for (Carried c : carried) {
            if (c.array()) {
                int array = moved(c.slot());
                b.aload(ints()).loadConstant(lengthIndex(c)).laload().l2i().newarray(TypeKind.DOUBLE).astore(array);
                b.aload(state()).iload(offset()).aload(array).iconst_0().aload(array).arraylength();
                b.invokestatic(SYSTEM, "arraycopy", ARRAYCOPY);
                advance(b, c);
                continue;
            }
            b.aload(c.floating() ? state() : ints()).loadConstant(c.index());
            switch (c.kind()) {
                case FLOAT -> b.daload().d2f();
                case DOUBLE -> b.daload();
                case INT -> b.laload().l2i();
                default -> b.laload();
            }
            b.storeLocal(c.kind(), moved(c.slot()));
        }
    }

    /** Where {@code ints} holds the length of carried array {@code c}: after the integral locals and the done flag. */
    private int lengthIndex(Carried c) {
        return longs + 1 + c.index();
    }

    /** The instructions at offsets {@code [from, to)}, locals moved, jumps to {@code redirect}'s keys redirected. */
    private void copy(CodeBuilder b, int from, int to, Map<Integer, Label> redirect) {
        Map<Integer, Label> labels = new HashMap<>(redirect);
        Set<Integer> bound = new HashSet<>(redirect.keySet());
        IntFunction<Label> at = bci -> labels.computeIfAbsent(bci, x -> b.newLabel());
        for (int k = 0; k < elements.size(); k++) {
            if (offsets[k] < from || offsets[k] >= to) {
                continue;
            }
            switch (elements.get(k)) {
                case LabelTarget target -> {
                    int bci = code.labelToBci(target.label());
                    if (bound.add(bci)) { // several labels may mark one offset
                        b.labelBinding(at.apply(bci));
                    }
                }
                case LineNumber line -> b.lineNumber(line.line());
                case LoadInstruction load -> b.loadLocal(load.typeKind(), moved(load.slot()));
                case StoreInstruction store -> b.storeLocal(store.typeKind(), moved(store.slot()));
                case IncrementInstruction increment -> b.iinc(moved(increment.slot()), increment.constant());
                case BranchInstruction branch -> b.branch(branch.opcode(), at.apply(
                        code.labelToBci(branch.target())));
                case TableSwitchInstruction table -> b.tableswitch(table.lowValue(), table.highValue(),
                        at.apply(code.labelToBci(table.defaultTarget())), cases(table.cases(), at));
                case LookupSwitchInstruction lookup -> b.lookupswitch(at.apply(code.labelToBci(
                        lookup.defaultTarget())), cases(lookup.cases(), at));
                case Instruction instruction -> b.with(instruction);
                default -> { } // local variable tables: their scopes span pieces
            }
        }
    }

    private List<SwitchCase> cases(List<SwitchCase> cases, IntFunction<Label> at) {
        return cases.stream().map(c -> SwitchCase.of(c.caseValue(), at.apply(code.labelToBci(c.target()))))
                .toList();
    }
}
