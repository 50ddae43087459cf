package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.LLVMIntSLT;

import java.util.function.Consumer;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * {@code for (i = 0; i < count; i++) body(i)}: the one shape of the loops the lowering writes itself (array copies
 * and fills, row tables, freeing rows), as typed element loops rather than byte-wise memcpy, so that Enzyme sees
 * which values move. The counter lives in a frame slot, which mem2reg turns into a phi.
 */
final class CountedLoop {

    private CountedLoop() {
    }

    /** Emits the loop at the builder's position, which ends after it; {@code counter} is an i32 slot. */
    static void emit(IrBuilder ir, LLVMValueRef counter, LLVMValueRef count, String name,
                     Consumer<LLVMValueRef> body) {
        LLVMValueRef function = ir.currentFunction();
        LLVMBasicBlockRef test = ir.appendBlock(function, name + ".test");
        LLVMBasicBlockRef loop = ir.appendBlock(function, name + ".body");
        LLVMBasicBlockRef done = ir.appendBlock(function, name + ".done");
        ir.store(ir.zero(ir.i32()), counter);
        ir.br(test);
        ir.positionAtEnd(test);
        LLVMValueRef i = ir.load(ir.i32(), counter, "i");
        ir.condBr(ir.icmp(LLVMIntSLT, i, count), loop, done);
        ir.positionAtEnd(loop);
        body.accept(i);
        ir.store(ir.add(i, ir.constInt(ir.i32(), 1)), counter);
        ir.br(test);
        ir.positionAtEnd(done);
    }
}
