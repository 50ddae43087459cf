package jenzyme.runtime.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMUseRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Read-only questions about IR already built, for analyses of the lowering that walk def-use chains (no policy here:
 * {@code lower.ScratchArrays} decides what the answers mean). Opcodes are the C API's {@code LLVM...} constants.
 */
public final class IrQueries {

    private IrQueries() {}

    /** The instructions using {@code value} (constant expressions and other non-instruction users left out). */
    public static List<LLVMValueRef> users(LLVMValueRef value) {
        List<LLVMValueRef> users = new ArrayList<>();
        for (LLVMUseRef use = LLVMGetFirstUse(value); use != null && !use.isNull(); use = LLVMGetNextUse(use)) {
            LLVMValueRef user = LLVMGetUser(use);
            if (!isNull(LLVMIsAInstruction(user))) {
                users.add(user);
            }
        }
        return users;
    }

    public static int opcode(LLVMValueRef instruction) {
        return LLVMGetInstructionOpcode(instruction);
    }

    public static LLVMValueRef operand(LLVMValueRef instruction, int index) {
        return LLVMGetOperand(instruction, index);
    }

    public static LLVMValueRef parameter(LLVMValueRef function, int index) {
        return LLVMGetParam(function, index);
    }

    public static String name(LLVMValueRef value) {
        return LLVMGetValueName(value).getString();
    }

    /** The function whose body holds {@code instruction}. */
    public static LLVMValueRef functionOf(LLVMValueRef instruction) {
        return LLVMGetBasicBlockParent(LLVMGetInstructionParent(instruction));
    }

    /** The function {@code call} calls when it has a body in this module, else null (a declaration, an intrinsic). */
    public static LLVMValueRef definedCallee(LLVMValueRef call) {
        LLVMValueRef callee = LLVMGetCalledValue(call);
        return isNull(LLVMIsAFunction(callee)) || LLVMCountBasicBlocks(callee) == 0 ? null : callee;
    }

    public static int argumentCount(LLVMValueRef call) {
        return LLVMGetNumArgOperands(call);
    }

    public static boolean isFloating(LLVMValueRef value) {
        int kind = LLVMGetTypeKind(LLVMTypeOf(value));
        return kind == LLVMDoubleTypeKind || kind == LLVMFloatTypeKind;
    }

    public static boolean isPointer(LLVMValueRef value) {
        return LLVMGetTypeKind(LLVMTypeOf(value)) == LLVMPointerTypeKind;
    }

    /** A struct or array value (records are lowered as such aggregates). */
    public static boolean isAggregate(LLVMValueRef value) {
        int kind = LLVMGetTypeKind(LLVMTypeOf(value));
        return kind == LLVMStructTypeKind || kind == LLVMArrayTypeKind;
    }

    public static boolean isFloatingConstant(LLVMValueRef value) {
        return !isNull(LLVMIsAConstantFP(value));
    }

    public static boolean isAlloca(LLVMValueRef value) {
        return !isNull(LLVMIsAAllocaInst(value));
    }

    public static boolean isGep(LLVMValueRef value) {
        return !isNull(LLVMIsAGetElementPtrInst(value));
    }

    public static boolean isLoad(LLVMValueRef value) {
        return !isNull(LLVMIsALoadInst(value));
    }

    /** Attaches {@code !kind !{i32 value}} to {@code instruction}. */
    public static void tag(IrBuilder ir, LLVMValueRef instruction, String kind, int value) {
        Metadata metadata = new Metadata(ir.context());
        metadata.attach(instruction, metadata.kind(kind), metadata.asValue(metadata.node(metadata.constant(ir.i32(),
                value))));
    }

    /** The value {@link #tag} attached to {@code instruction} under {@code kind}, if any. */
    public static OptionalLong tagOf(LLVMValueRef instruction, String kind) {
        Metadata metadata = new Metadata(LLVMGetTypeContext(LLVMTypeOf(instruction)));
        LLVMValueRef node = LLVMGetMetadata(instruction, metadata.kind(kind));
        if (isNull(node) || LLVMGetMDNodeNumOperands(node) != 1) {
            return OptionalLong.empty();
        }
        PointerPointer<LLVMValueRef> operands = new PointerPointer<>(1);
        LLVMGetMDNodeOperands(node, operands);
        return OptionalLong.of(LLVMConstIntGetSExtValue(operands.get(LLVMValueRef.class, 0)));
    }

    private static boolean isNull(LLVMValueRef value) {
        return value == null || value.isNull();
    }
}
