package jenzyme.runtime.lower;

import java.lang.classfile.Instruction;
import java.lang.classfile.TypeKind;
import java.lang.classfile.instruction.ArrayLoadInstruction;
import java.lang.classfile.instruction.ArrayStoreInstruction;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.ConvertInstruction;
import java.lang.classfile.instruction.IncrementInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.LoadInstruction;
import java.lang.classfile.instruction.NopInstruction;
import java.lang.classfile.instruction.OperatorInstruction;
import java.lang.classfile.instruction.StoreInstruction;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Whether a loop carries a floating-point recurrence: a {@code double} or {@code float} local that an iteration
 * reads before it stores it (in code order), other than as an accumulator {@code s = s + e}, {@code s = e + s},
 * {@code s = s - e} or {@code s = s * e} with {@code e} not reading {@code s} — an ODE step's {@code x = x + dt * v}.
 * A gradient's reverse sweep runs such a loop's adjoint one iteration after the other, so it never vectorises,
 * and the copy without bounds checks ({@link LoopVersion}) only saves a poll and a check per iteration, next to
 * the whole loop body once more for Enzyme, the worker's O3 and the JIT. Measured on the 30-line RK4 method of
 * {@code ./bench --latency} (old and new alternating in one JVM, load 10-12): 1900 → 1212 lines of compiled IR,
 * the worker's CPU for ten such requests 1450-1590 → 832-924 ms, the calling thread's CPU (lowering, JIT,
 * binding) 125 → 84 ms per {@code %autodiff}; ./bench's
 * ODE RK4 gradient 1449 → 763 lines, its time at 1000 steps the same within noise and its gradient bit for bit.
 * Accumulators keep the copy: their adjoint is a broadcast, which vectorises
 * (Rosenbrock, LogReg, Transcendental).
 *
 * <p>Only what is recognised counts: code this cannot follow (stack shuffles, a branch inside the update) is taken
 * for an accumulator, so such a loop keeps its copy as before.
 */
final class LoopRecurrences {

    private LoopRecurrences() {
    }

    /** @param body the loop's instructions from its header to its backward jump, in code order */
    static boolean carriesRecurrence(List<Instruction> body) {
        Set<Integer> storedInLoop = new HashSet<>();
        for (Instruction instruction : body) {
            if (instruction instanceof StoreInstruction store && isFloating(store.typeKind())) {
                storedInLoop.add(store.slot());
            }
        }
        Set<Integer> storedSoFar = new HashSet<>();
        for (int j = 0; j < body.size(); j++) {
            switch (body.get(j)) {
                case StoreInstruction store -> storedSoFar.add(store.slot());
                case LoadInstruction load when isFloating(load.typeKind()) && storedInLoop.contains(load.slot())
                        && !storedSoFar.contains(load.slot()) -> {
                    if (!isAccumulated(body, j, load.slot())) {
                        return true;
                    }
                }
                default -> { }
            }
        }
        return false;
    }

    /** Whether the value loaded at {@code j} is consumed by an add, subtract or multiply stored back into its slot. */
    private static boolean isAccumulated(List<Instruction> body, int j, int slot) {
        int depth = 1; // values on the stack from the load on; the loaded one is the lowest
        for (int k = j + 1; k < body.size(); k++) {
            Instruction instruction = body.get(k);
            int[] effect = stackEffect(instruction);
            if (effect == null) {
                return true; // cannot follow: not shown to be a recurrence
            }
            if (instruction instanceof LoadInstruction load && load.slot() == slot) {
                return false; // s read twice in its own update
            }
            if (depth - effect[0] <= 0) {
                return isUpdate(instruction, depth) && k + 1 < body.size()
                        && body.get(k + 1) instanceof StoreInstruction store && store.slot() == slot;
            }
            depth += effect[1] - effect[0];
        }
        return true;
    }

    /** Add and multiply take the loaded value on either side, subtract only as the minuend ({@code depth} 2). */
    private static boolean isUpdate(Instruction instruction, int depth) {
        if (!(instruction instanceof OperatorInstruction operator)) {
            return false;
        }
        return switch (operator.opcode()) {
            case DADD, FADD, DMUL, FMUL -> true;
            case DSUB, FSUB -> depth == 2;
            default -> false;
        };
    }

    /** {values popped, values pushed}, or null for an instruction this does not follow. */
    private static int[] stackEffect(Instruction instruction) {
        return switch (instruction) {
            case LoadInstruction i -> new int[] {0, 1};
            case ConstantInstruction i -> new int[] {0, 1};
            case StoreInstruction i -> new int[] {1, 0};
            case IncrementInstruction i -> new int[] {0, 0};
            case NopInstruction i -> new int[] {0, 0};
            case ConvertInstruction i -> new int[] {1, 1};
            case ArrayLoadInstruction i -> new int[] {2, 1};
            case ArrayStoreInstruction i -> new int[] {3, 0};
            case OperatorInstruction operator -> switch (operator.opcode()) {
                case INEG, LNEG, FNEG, DNEG, ARRAYLENGTH -> new int[] {1, 1};
                default -> new int[] {2, 1};
            };
            case InvokeInstruction invoke when invoke.opcode() == java.lang.classfile.Opcode.INVOKESTATIC ->
                    new int[] {invoke.typeSymbol().parameterCount(),
                            invoke.typeSymbol().returnType().descriptorString().equals("V") ? 0 : 1};
            default -> null;
        };
    }

    private static boolean isFloating(TypeKind kind) {
        return kind == TypeKind.DOUBLE || kind == TypeKind.FLOAT;
    }
}
