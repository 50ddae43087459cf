package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.List;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * A new array handed from a compiled callee to its caller ({@code double[] step(double[] y, double h)}): the
 * callee returns a copy of its result as (pointer, length), made at its exit before it frees every array of the call;
 * the caller remembers it in an allocation cell of its own, which frees it at the caller's exit, or — for a call
 * inside a loop — when the call runs again (an outer variable assigned it keeps a copy: {@link CarriedArrays}).
 *
 * <p>Why a copy, rather than handing over the callee's own array and freeing the others: that needs a run-time
 * test per array at the exit (is it the result?), and such conditional frees gave wrong reverse gradients (branch
 * lang-ownership-wip, before the worker's fix of nested-loop tapes, and not tried since); the copy is one pass over
 * the result. It also makes a callee returning one of its
 * parameters return a new array: Java would return the same one, which differs only if the caller then writes into
 * one and reads the other (identity comparison of arrays is refused anyway).
 */
final class ArrayHandOver {

    private final IrModule module;
    private final IrBuilder ir;
    private final JavaType arrayType;

    /** The counter of the copy loop. */
    private final LLVMValueRef counter;

    /** @param arrayType the callee's result type, {@code double[]}, {@code int[]}... */
    ArrayHandOver(IrModule module, JavaType arrayType, FrameSlots slots) {
        this.module = module;
        this.ir = module.ir();
        this.arrayType = arrayType;
        this.counter = slots.newInitialisedSlot(ir.i32(), ir.zero(ir.i32()), "handover.i");
    }

    /** {@code return a;}: the (pointer, length) struct the function returns. */
    LLVMValueRef result(JValue array) {
        LLVMValueRef struct = ir.undef(module.arrayResultType());
        return ir.insertValue(ir.insertValue(struct, array.value(), 0), array.length(), 1);
    }

    /**
     * At the callee's exit block, before it frees every allocation of the call: the result copied into a new array,
     * which the caller owns. After a failure the result slot holds (null, 0) and the copy is an empty array, which
     * the caller frees like any other.
     *
     * <p>Why no branch around the copy for the failure case: the returned pointer would then be a phi of null and
     * the fresh array, and Enzyme, which allocates this array's shadow only in the reverse sweep (the forward sweep
     * never writes it), cached that phi's shadow as null in the forward sweep and read through it in the reverse
     * sweep: a SIGSEGV in a caller's loop (QA6 R1, {@code LoopArrayLifetimeTest}).
     */
    void copyResult(LLVMValueRef function, LLVMValueRef resultSlot) {
        LLVMValueRef result = ir.load(module.arrayResultType(), resultSlot, "result");
        LLVMValueRef data = ir.extractValue(result, 0);
        LLVMValueRef length = ir.extractValue(result, 1);
        LLVMValueRef bytes = ir.mul(ir.zext(length, ir.i64()),
                ir.constInt(ir.i64(), ArrayOps.byteSize(ArrayOps.elementOf(arrayType))));
        Callee umax = module.intrinsic("llvm.umax", ir.i64());
        LLVMValueRef request = ir.call(umax.type(), umax.function(), bytes, ir.constInt(ir.i64(), 1));
        LLVMValueRef fresh = ir.call(module.malloc().type(), module.malloc().function(), request);
        // Out of memory: the caller sees the failure in the status block (its afterCall leaves) and a null result.
        LLVMValueRef failed = ir.icmp(LLVMIntEQ, fresh, ir.zero(ir.ptr()));
        LLVMValueRef status = ir.param(function, EntryPoint.STATUS_PARAMETER_INDEX);
        LLVMValueRef code = ir.load(ir.i32(), status, "status");
        module.tbaa().attach(code, JavaType.INT);
        module.tbaa().attach(ir.store(ir.select(failed, ir.constInt(ir.i32(), StatusCode.OUT_OF_MEMORY.code()), code),
                status), JavaType.INT);
        // Element by element (Enzyme cannot tell the type a memcpy moves here); nothing when malloc failed.
        LLVMValueRef copied = ir.select(failed, ir.zero(ir.i32()), length);
        ArrayOps.copyElements(module, ArrayOps.elementOf(arrayType), JValue.array(data, copied, arrayType), fresh,
                counter);
        ir.store(ir.insertValue(result, fresh, 0), resultSlot);
    }

    /**
     * At the call site, right after the callee returned {@code result} and before its status is checked: the array,
     * remembered in the caller's {@code cell}, so that the caller's exit frees it also when the callee failed (then
     * it is the empty copy). Inside a loop the cell still holds the previous run's array unless a local took it
     * over; no value lives across iterations on the operand stack, so it is dead and freed here.
     */
    static JValue adopt(IrModule module, LLVMValueRef result, LLVMValueRef cell, JavaType arrayType,
                        boolean insideLoop) {
        IrBuilder ir = module.ir();
        LLVMValueRef data = ir.extractValue(result, 0);
        if (insideLoop) {
            ir.call(module.free().type(), module.free().function(), ir.load(ir.ptr(), cell, "previous.result"));
        }
        ir.store(data, cell);
        return JValue.array(data, ir.extractValue(result, 1), arrayType);
    }
}
