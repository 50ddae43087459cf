package jenzyme.runtime.lower;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.classfile.Instruction;
import java.lang.classfile.Opcode;
import java.lang.classfile.TypeKind;
import java.lang.classfile.instruction.ArrayLoadInstruction;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.IncrementInstruction;
import java.lang.classfile.instruction.LoadInstruction;
import java.lang.classfile.instruction.OperatorInstruction;
import java.lang.classfile.instruction.StackInstruction;
import java.lang.classfile.instruction.StoreInstruction;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which loop bodies carry a floating-point recurrence (no unchecked copy in a derivative) and which only
 * accumulate (keep it), on javac's shapes: locals 0 = x (double[]), 1 = i, 2 = s, 4 = t (doubles).
 */
class LoopRecurrencesTest {

    private static final int S = 2, T = 4;

    @Test
    void accumulatorsAreNoRecurrence() {
        // s += x[i] * x[i]
        assertFalse(carries(loadD(S), element(), element(), op(Opcode.DMUL), op(Opcode.DADD), storeD(S)));
        // s = x[i] + s, s = s - x[i], s *= x[i]
        assertFalse(carries(element(), loadD(S), op(Opcode.DADD), storeD(S)));
        assertFalse(carries(loadD(S), element(), op(Opcode.DSUB), storeD(S)));
        assertFalse(carries(loadD(S), element(), op(Opcode.DMUL), storeD(S)));
        // t = x[i]; s += t * t: t is stored before it is read, so nothing carries it across iterations
        assertFalse(carries(element(), storeD(T), loadD(S), loadD(T), loadD(T), op(Opcode.DMUL), op(Opcode.DADD),
                storeD(S)));
    }

    @Test
    void aValueFeedingItsOwnNextValueIsARecurrence() {
        // s = 0.5 * s + x[i]: the loaded s goes into a product, not straight into the update
        assertTrue(carries(constant(), loadD(S), op(Opcode.DMUL), element(), op(Opcode.DADD), storeD(S)));
        // s = x[i] - s
        assertTrue(carries(element(), loadD(S), op(Opcode.DSUB), storeD(S)));
        // s += s * x[i]: read twice in its own update
        assertTrue(carries(loadD(S), loadD(S), element(), op(Opcode.DMUL), op(Opcode.DADD), storeD(S)));
        // t = s * x[i]; s = t: stored back through another local
        assertTrue(carries(loadD(S), element(), op(Opcode.DMUL), storeD(T), loadD(T), storeD(S)));
    }

    @Test
    void codeItCannotFollowKeepsTheCopy() {
        // s = s + (t = x[i]) with the value duplicated on the stack
        assertFalse(carries(loadD(S), element(), StackInstruction.of(Opcode.DUP2), storeD(T), op(Opcode.DADD),
                storeD(S)));
    }

    /** The body between the header's test and the backward jump, plus javac's {@code i++}. */
    private static boolean carries(Object... body) {
        List<Instruction> loop = new ArrayList<>();
        for (Object part : body) {
            if (part instanceof Instruction instruction) {
                loop.add(instruction);
            } else {
                loop.addAll(ELEMENT);
            }
        }
        loop.add(IncrementInstruction.of(1, 1));
        return LoopRecurrences.carriesRecurrence(loop);
    }

    private static Instruction loadD(int slot) {
        return LoadInstruction.of(TypeKind.DOUBLE, slot);
    }

    private static Instruction storeD(int slot) {
        return StoreInstruction.of(TypeKind.DOUBLE, slot);
    }

    private static Instruction op(Opcode opcode) {
        return OperatorInstruction.of(opcode);
    }

    private static Instruction constant() {
        return ConstantInstruction.ofIntrinsic(Opcode.DCONST_1);
    }

    /** x[i]: aload 0, iload 1, daload. */
    private static final List<Instruction> ELEMENT = List.of(LoadInstruction.of(TypeKind.REFERENCE, 0),
            LoadInstruction.of(TypeKind.INT, 1), ArrayLoadInstruction.of(Opcode.DALOAD));

    private static Object element() {
        return ELEMENT;
    }
}
