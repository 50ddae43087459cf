package jenzyme.runtime.lower;

import java.util.List;
import jenzyme.runtime.llvm.IrBuilder;
import jenzyme.runtime.llvm.LlvmModule;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Stores the values of a thrown message ({@link JoinedMessage}) in the status block's message words
 * ({@link StatusCode#MESSAGE_WORDS}) through one small function, {@code jenzyme.thrown_value(status, word, i64 bits)},
 * whose calls Enzyme neither differentiates ({@code enzyme_inactive}) nor type-analyses ({@code enzyme_ta_norecur}).
 *
 * <p>Why a call: the worker tells Enzyme that the status block holds integers at every offset (its {@code i32*}
 * argument), so a double stored there, as a double or as its bits, is a type conflict and Enzyme's type analysis
 * exits (measured with this feature's first form, plain {@code store double} into words of their own: the worker
 * exited in {@code TypeAnalyzer::updateAnalysis} for every method whose message joined a double; ClampCalls met the
 * same with bits). Behind the call the bits are an {@code i64} argument only. The call is on the throw path, which
 * runs once.
 */
final class ThrownValues {

    /** The store's name. */
    static final String STORE = "jenzyme.thrown_value";

    private ThrownValues() {}

    /** Defines {@code void jenzyme.thrown_value(ptr, i32, i64)} in {@code module}, internal, never inlined. */
    static Callee define(IrModule module, LlvmModule llvm) {
        IrBuilder ir = module.ir();
        LLVMTypeRef type = ir.functionType(ir.voidType(), ir.ptr(), ir.i32(), ir.i64());
        return Callee.outOfLine(module, llvm, STORE, type, Callee.ArgumentMemory.WRITE, function -> {
            LLVMValueRef word = ir.inBoundsGep(ir.i32(), ir.param(function, 0),
                    ir.sext(ir.param(function, 1), ir.i64()));
            ir.setAlignment(ir.store(ir.param(function, 2), word), 4); // the block is an int[]: its words are 4-aligned
            ir.retVoid();
        });
    }

    /** Stores {@code values} (of descriptor letters {@code kinds}) as the message's words, in order. */
    static void store(IrModule module, LLVMValueRef status, String kinds, List<LLVMValueRef> values) {
        IrBuilder ir = module.ir();
        Callee store = module.thrownValueStore();
        for (int k = 0; k < values.size(); k++) {
            LLVMValueRef call = ir.call(store.type(), store.function(), status,
                    ir.constInt(ir.i32(), StatusCode.MESSAGE_WORDS + 2 * k), bits(ir, kinds.charAt(k), values.get(k)));
            ir.inactiveForAd(call);
            ir.untypedForAd(call);
        }
    }

    /** The 64 bits {@link JoinedMessage#format} reads back for a value of descriptor letter {@code kind}. */
    private static LLVMValueRef bits(IrBuilder ir, char kind, LLVMValueRef value) {
        return switch (kind) {
            case 'D' -> ir.bitcast(value, ir.i64());
            case 'F' -> ir.bitcast(ir.fpext(value, ir.f64()), ir.i64()); // exact: every float is a double
            case 'J' -> value;
            case 'C', 'Z' -> ir.zext(value, ir.i64());
            default -> ir.sext(value, ir.i64()); // int, short, byte
        };
    }
}
