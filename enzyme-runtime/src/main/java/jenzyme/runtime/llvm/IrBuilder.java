package jenzyme.runtime.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The LLVM C instruction builder with Java-friendly signatures (varargs instead of pointer arrays, names last).
 * One method per C API call, no policy: what to emit is the frontend's business.
 */
public final class IrBuilder implements AutoCloseable {

    /** The empty name, as the overloads that take their array by pointer want it; never freed. */
    private static final BytePointer NO_NAME = new BytePointer("");

    private final LLVMContextRef context;
    private final LLVMBuilderRef builder;

    public IrBuilder(LLVMContextRef context) {
        this.context = context;
        this.builder = LLVMCreateBuilderInContext(context);
    }

    public LLVMContextRef context() {
        return context;
    }

    // ---- types and constants

    public LLVMTypeRef i1() { return LLVMInt1TypeInContext(context); }
    public LLVMTypeRef i8() { return LLVMInt8TypeInContext(context); }
    public LLVMTypeRef i16() { return LLVMInt16TypeInContext(context); }
    public LLVMTypeRef i32() { return LLVMInt32TypeInContext(context); }
    public LLVMTypeRef i64() { return LLVMInt64TypeInContext(context); }
    public LLVMTypeRef f32() { return LLVMFloatTypeInContext(context); }
    public LLVMTypeRef f64() { return LLVMDoubleTypeInContext(context); }
    public LLVMTypeRef ptr() { return LLVMPointerTypeInContext(context, 0); }
    public LLVMTypeRef voidType() { return LLVMVoidTypeInContext(context); }

    public LLVMTypeRef functionType(LLVMTypeRef result, LLVMTypeRef... params) {
        return LLVMFunctionType(result, new PointerPointer<>(params), params.length, 0);
    }

    /** A literal (unnamed) struct of {@code fields}: how a record crosses a function boundary as one value. */
    public LLVMTypeRef structType(LLVMTypeRef... fields) {
        return LLVMStructTypeInContext(context, new PointerPointer<>(fields), fields.length, 0);
    }

    /** {@code [length x element]}: how Enzyme's vector mode passes a scalar's lanes. */
    public LLVMTypeRef arrayType(LLVMTypeRef element, int length) {
        return LLVMArrayType2(element, length);
    }

    public LLVMValueRef insertValue(LLVMValueRef aggregate, LLVMValueRef element, int index) {
        return LLVMBuildInsertValue(builder, aggregate, element, index, "");
    }

    public LLVMValueRef extractValue(LLVMValueRef aggregate, int index) {
        return LLVMBuildExtractValue(builder, aggregate, index, "");
    }

    public LLVMValueRef undef(LLVMTypeRef type) {
        return LLVMGetUndef(type);
    }

    public LLVMTypeRef typeOf(LLVMValueRef value) {
        return LLVMTypeOf(value);
    }

    public LLVMValueRef constInt(LLVMTypeRef type, long value) {
        return LLVMConstInt(type, value, 1);
    }

    public LLVMValueRef constReal(LLVMTypeRef type, double value) {
        return LLVMConstReal(type, value);
    }

    public LLVMValueRef zero(LLVMTypeRef type) {
        return LLVMConstNull(type);
    }

    // ---- blocks

    public LLVMBasicBlockRef appendBlock(LLVMValueRef function, String name) {
        return LLVMAppendBasicBlockInContext(context, function, name);
    }

    public void positionAtEnd(LLVMBasicBlockRef block) {
        LLVMPositionBuilderAtEnd(builder, block);
    }

    public LLVMBasicBlockRef currentBlock() {
        return LLVMGetInsertBlock(builder);
    }

    /** Moves {@code block} after the last block of {@code function}. */
    public void moveToEnd(LLVMValueRef function, LLVMBasicBlockRef block) {
        LLVMMoveBasicBlockAfter(block, LLVMGetLastBasicBlock(function));
    }

    // ---- functions and instructions already built

    public LLVMValueRef param(LLVMValueRef function, int index) {
        return LLVMGetParam(function, index);
    }

    public int paramCount(LLVMValueRef function) {
        return LLVMCountParams(function);
    }

    /** The function the builder is inserting into. */
    public LLVMValueRef currentFunction() {
        return LLVMGetBasicBlockParent(currentBlock());
    }

    public void setName(LLVMValueRef value, String name) {
        LLVMSetValueName2(value, name, name.length());
    }

    public void setAlignment(LLVMValueRef loadStoreOrGlobal, int bytes) {
        LLVMSetAlignment(loadStoreOrGlobal, bytes);
    }

    public void setVolatile(LLVMValueRef loadOrStore) {
        LLVMSetVolatile(loadOrStore, 1);
    }

    public void addCase(LLVMValueRef switchInstruction, LLVMValueRef value, LLVMBasicBlockRef target) {
        LLVMAddCase(switchInstruction, value, target);
    }

    /** Marks a call {@code notail}: the optimiser may not turn it into a tail call (or a loop). */
    public void noTail(LLVMValueRef call) {
        LLVMSetTailCallKind(call, LLVMTailCallKindNoTail);
    }

    /**
     * Marks a call inactive for Enzyme (the call-site string attribute {@code enzyme_inactive}): its result is a
     * constant of differentiation, whatever its arguments are.
     */
    public void inactiveForAd(LLVMValueRef call) {
        markCall(call, "enzyme_inactive");
    }

    /** Keeps Enzyme's type analysis out of {@code call}: what the callee does with its arguments types nothing here. */
    public void untypedForAd(LLVMValueRef call) {
        markCall(call, "enzyme_ta_norecur");
    }

    private void markCall(LLVMValueRef call, String name) {
        LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex,
                LLVMCreateStringAttribute(context, name, name.length(), "", 0));
    }

    // ---- arithmetic

    public LLVMValueRef add(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildAdd(builder, a, b, ""); }
    public LLVMValueRef sub(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildSub(builder, a, b, ""); }
    public LLVMValueRef mul(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildMul(builder, a, b, ""); }
    public LLVMValueRef sdiv(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildSDiv(builder, a, b, ""); }
    public LLVMValueRef srem(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildSRem(builder, a, b, ""); }
    public LLVMValueRef and(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildAnd(builder, a, b, ""); }
    public LLVMValueRef or(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildOr(builder, a, b, ""); }
    public LLVMValueRef xor(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildXor(builder, a, b, ""); }
    public LLVMValueRef shl(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildShl(builder, a, b, ""); }
    public LLVMValueRef ashr(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildAShr(builder, a, b, ""); }
    public LLVMValueRef lshr(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildLShr(builder, a, b, ""); }
    public LLVMValueRef neg(LLVMValueRef a) { return LLVMBuildNeg(builder, a, ""); }
    public LLVMValueRef fadd(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFAdd(builder, a, b, ""); }
    public LLVMValueRef fsub(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFSub(builder, a, b, ""); }
    public LLVMValueRef fmul(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFMul(builder, a, b, ""); }
    public LLVMValueRef fdiv(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFDiv(builder, a, b, ""); }
    public LLVMValueRef frem(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFRem(builder, a, b, ""); }
    public LLVMValueRef fneg(LLVMValueRef a) { return LLVMBuildFNeg(builder, a, ""); }

    public LLVMValueRef icmp(int predicate, LLVMValueRef a, LLVMValueRef b) {
        return LLVMBuildICmp(builder, predicate, a, b, "");
    }

    public LLVMValueRef fcmp(int predicate, LLVMValueRef a, LLVMValueRef b) {
        return LLVMBuildFCmp(builder, predicate, a, b, "");
    }

    public LLVMValueRef select(LLVMValueRef condition, LLVMValueRef ifTrue, LLVMValueRef ifFalse) {
        return LLVMBuildSelect(builder, condition, ifTrue, ifFalse, "");
    }

    // ---- conversions

    public LLVMValueRef sext(LLVMValueRef v, LLVMTypeRef to) { return LLVMBuildSExt(builder, v, to, ""); }
    public LLVMValueRef zext(LLVMValueRef v, LLVMTypeRef to) { return LLVMBuildZExt(builder, v, to, ""); }
    public LLVMValueRef trunc(LLVMValueRef v, LLVMTypeRef to) { return LLVMBuildTrunc(builder, v, to, ""); }
    public LLVMValueRef sitofp(LLVMValueRef v, LLVMTypeRef to) { return LLVMBuildSIToFP(builder, v, to, ""); }
    public LLVMValueRef fptrunc(LLVMValueRef v, LLVMTypeRef to) { return LLVMBuildFPTrunc(builder, v, to, ""); }
    public LLVMValueRef fptosi(LLVMValueRef v, LLVMTypeRef to) { return LLVMBuildFPToSI(builder, v, to, ""); }
    /** The value of a floating-point constant, empty for a value computed at run time. */
    public java.util.OptionalDouble constantReal(LLVMValueRef value) {
        return LLVMIsAConstantFP(value) == null ? java.util.OptionalDouble.empty()
                : java.util.OptionalDouble.of(LLVMConstRealGetDouble(value, new int[1]));
    }

    /** Same bits, another type (only for values that never flow back into floating-point arithmetic). */
    public LLVMValueRef bitcast(LLVMValueRef v, LLVMTypeRef to) { return LLVMBuildBitCast(builder, v, to, ""); }
    public LLVMValueRef fpext(LLVMValueRef v, LLVMTypeRef to) { return LLVMBuildFPExt(builder, v, to, ""); }

    // ---- reading instructions back (the lowering's loop versioning matches index expressions)

    /** The instruction's opcode ({@code LLVMAdd}, {@code LLVMLoad}, ...), or 0 for a constant or an argument. */
    public int opcode(LLVMValueRef value) {
        LLVMValueRef instruction = LLVMIsAInstruction(value);
        return instruction == null || instruction.isNull() ? 0 : LLVMGetInstructionOpcode(value);
    }

    public LLVMValueRef operand(LLVMValueRef user, int index) { return LLVMGetOperand(user, index); }

    /** Whether {@code value} is an integer constant or a function parameter: the same everywhere in a call. */
    public boolean isConstantIntOrArgument(LLVMValueRef value) {
        LLVMValueRef constant = LLVMIsAConstantInt(value), argument = LLVMIsAArgument(value);
        return constant != null && !constant.isNull() || argument != null && !argument.isNull();
    }

    /** The predicate of an {@code icmp} instruction ({@code LLVMIntSLT}, ...), or -1 for anything else. */
    public int icmpPredicate(LLVMValueRef value) {
        LLVMValueRef compare = LLVMIsAICmpInst(value);
        return compare == null || compare.isNull() ? -1 : LLVMGetICmpPredicate(value);
    }

    // ---- memory

    public LLVMValueRef alloca(LLVMTypeRef type, String name) {
        return LLVMBuildAlloca(builder, type, name);
    }

    public LLVMValueRef load(LLVMTypeRef type, LLVMValueRef pointer, String name) {
        return LLVMBuildLoad2(builder, type, pointer, name);
    }

    public LLVMValueRef store(LLVMValueRef value, LLVMValueRef pointer) {
        return LLVMBuildStore(builder, value, pointer);
    }

    /** The address of field {@code index} of the struct of type {@code structType} at {@code pointer}. */
    public LLVMValueRef structGep(LLVMTypeRef structType, LLVMValueRef pointer, int index, String name) {
        return LLVMBuildStructGEP2(builder, structType, pointer, index, name);
    }

    /** The type of field {@code index} of {@code structType}. */
    public LLVMTypeRef fieldType(LLVMTypeRef structType, int index) {
        return LLVMStructGetTypeAtIndex(structType, index);
    }

    public LLVMValueRef inBoundsGep(LLVMTypeRef elementType, LLVMValueRef pointer, LLVMValueRef index) {
        // The index by pointer (@ByPtrPtr: a one-element array on the native stack): a PointerPointer per array
        // access (native allocation, deallocator registration) was 2.4% of the early lowerings of a 30-line method.
        return LLVMBuildInBoundsGEP2(builder, elementType, pointer, index, 1, NO_NAME);
    }

    // ---- control flow and calls

    public LLVMValueRef call(LLVMTypeRef functionType, LLVMValueRef function, LLVMValueRef... args) {
        return LLVMBuildCall2(builder, functionType, function, new PointerPointer<>(args), args.length, "");
    }

    public LLVMValueRef br(LLVMBasicBlockRef target) {
        return LLVMBuildBr(builder, target);
    }

    public LLVMValueRef condBr(LLVMValueRef condition, LLVMBasicBlockRef ifTrue, LLVMBasicBlockRef ifFalse) {
        return LLVMBuildCondBr(builder, condition, ifTrue, ifFalse);
    }

    public LLVMValueRef switchOn(LLVMValueRef value, LLVMBasicBlockRef otherwise, int caseCount) {
        return LLVMBuildSwitch(builder, value, otherwise, caseCount);
    }

    public LLVMValueRef ret(LLVMValueRef value) {
        return LLVMBuildRet(builder, value);
    }

    public LLVMValueRef retVoid() {
        return LLVMBuildRetVoid(builder);
    }

    @Override
    public void close() {
        LLVMDisposeBuilder(builder);
    }
}
