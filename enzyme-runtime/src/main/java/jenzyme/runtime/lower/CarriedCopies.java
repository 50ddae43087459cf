package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.LLVMIntEQ;
import static org.bytedeco.llvm.global.LLVM.LLVMIntNE;

import java.util.HashMap;
import java.util.Map;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The code of a carried assignment {@code y = ynew} ({@link CarriedArrays} decides which assignments are carried and
 * what may see the arrays): ynew's elements copied into the array y holds, row by row for a matrix, after checking
 * their lengths match ({@link StatusCode#CARRIED_LENGTH}); a variable whose array others may see when the loop starts
 * is first given an array of its own.
 */
final class CarriedCopies {

    private final IrModule module;
    private final IrBuilder ir;
    private final FrameSlots slots;
    private final ExitPaths exits;
    private final Variables variables;
    /** The allocation cell of the array of its own each variable gets that may share its array when the loop starts. */
    private final Map<Integer, LLVMValueRef> ownArrays = new HashMap<>();

    CarriedCopies(IrModule module, FrameSlots slots, ExitPaths exits, Variables variables) {
        this.module = module;
        this.ir = module.ir();
        this.slots = slots;
        this.exits = exits;
        this.variables = variables;
    }

    /**
     * Copies {@code value} into the array variable {@code slot} holds; with {@code mayShare} (one-dimensional arrays
     * only) into an array of the variable's own.
     */
    void copy(int slot, JValue value, boolean mayShare, String name) {
        JValue held = slots.load(variables.keyOf(slot), ValueKind.ARRAY, name);
        exits.failIf(ir.icmp(LLVMIntNE, value.length(), held.length()), StatusCode.CARRIED_LENGTH, value.length(),
                held.length());
        if (value.isMatrix()) {
            copyRows(value, held);
            return;
        }
        JavaType type = value.arrayType() != null ? value.arrayType() : held.arrayType();
        if (mayShare) {
            held = ownArray(slot, held, type, name);
        }
        ArrayOps.copyElements(module, ArrayOps.elementOf(type), value, held.value(),
                slots.newInitialisedSlot(ir.i32(), ir.zero(ir.i32()), "carry.i"));
    }

    /**
     * {@code J = jacobian(y)} of a two-dimensional loop array into {@code held}, the matrix the variable keeps: each
     * row's elements copied into the row it holds, every row of the same length (else the failure
     * {@link StatusCode#CARRIED_LENGTH}, like a one-dimensional array of another length).
     */
    private void copyRows(JValue value, JValue held) {
        JavaType element = ArrayOps.elementOf(held.arrayType().row());
        LLVMValueRef elements = slots.newInitialisedSlot(ir.i32(), ir.zero(ir.i32()), "carry.i");
        CountedLoop.emit(ir, slots.newInitialisedSlot(ir.i32(), ir.zero(ir.i32()), "carry.row"), value.length(),
                "carry.rows", r -> {
                    JValue from = rowAt(value, r), to = rowAt(held, r);
                    exits.failIf(ir.icmp(LLVMIntNE, from.length(), to.length()), StatusCode.CARRIED_LENGTH,
                            from.length(), to.length());
                    ArrayOps.copyElements(module, element, from, to.value(), elements);
                });
    }

    /** Row {@code r} of {@code matrix}, which has it (no bounds check). */
    private JValue rowAt(JValue matrix, LLVMValueRef r) {
        LLVMValueRef wide = ir.zext(r, ir.i64());
        LLVMValueRef data = ir.load(ir.ptr(), ir.inBoundsGep(ir.ptr(), matrix.value(), wide), "carry.row");
        module.tbaa().attach(data, matrix.arrayType());
        LLVMValueRef length = ir.load(ir.i32(), ir.inBoundsGep(ir.i32(), matrix.rowLengths(), wide), "carry.row.len");
        module.tbaa().attach(length, JavaType.INT);
        return JValue.array(data, length, matrix.arrayType().row());
    }

    /**
     * Variable {@code slot} holding {@code held}, given an array of its own (zeroed, of held's length) unless it holds
     * it already: the JVM's {@code u = next} leaves u0's array alone from then on, and so does the copy into this one.
     * The test is at each carried assignment, but only the first allocates.
     */
    private JValue ownArray(int slot, JValue held, JavaType type, String name) {
        LLVMValueRef cell = ownArrays.computeIfAbsent(slot, s -> exits.newAllocationSlot(slots));
        LLVMValueRef function = ir.currentFunction();
        LLVMBasicBlockRef allocate = ir.appendBlock(function, "own." + name);
        LLVMBasicBlockRef owned = ir.appendBlock(function, "owned." + name);
        ir.condBr(ir.icmp(LLVMIntNE, held.value(), ir.load(ir.ptr(), cell, name + ".own")), allocate, owned);
        ir.positionAtEnd(allocate);
        LLVMValueRef own = module.zeroedAllocation(ir.mul(ir.zext(held.length(), ir.i64()),
                ir.constInt(ir.i64(), ArrayOps.byteSize(ArrayOps.elementOf(type)))));
        exits.failIf(ir.icmp(LLVMIntEQ, own, ir.zero(ir.ptr())), StatusCode.OUT_OF_MEMORY, held.length(), null);
        ir.store(own, cell);
        slots.store(variables.keyOf(slot), JValue.array(own, held.length(), type), name);
        ir.br(owned);
        ir.positionAtEnd(owned);
        return slots.load(variables.keyOf(slot), ValueKind.ARRAY, name);
    }
}
