package jenzyme.runtime.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMMetadataRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/** LLVM metadata of one context: strings, constants and nodes, and attaching them to instructions. No policy. */
public final class Metadata {

    private final LLVMContextRef context;

    public Metadata(LLVMContextRef context) {
        this.context = context;
    }

    /** The id of the metadata kind {@code name} ({@code tbaa}, {@code prof}, ...). */
    public int kind(String name) {
        return LLVMGetMDKindIDInContext(context, name, name.length());
    }

    public LLVMMetadataRef string(String text) {
        return LLVMMDStringInContext2(context, text, text.length());
    }

    /** A constant {@code value} of {@code type} as metadata. */
    public LLVMMetadataRef constant(LLVMTypeRef type, long value) {
        return LLVMValueAsMetadata(LLVMConstInt(type, value, 0));
    }

    public LLVMMetadataRef node(LLVMMetadataRef... operands) {
        return LLVMMDNodeInContext2(context, new PointerPointer<>(operands), operands.length);
    }

    public LLVMValueRef asValue(LLVMMetadataRef metadata) {
        return LLVMMetadataAsValue(context, metadata);
    }

    public void attach(LLVMValueRef instruction, int kind, LLVMValueRef node) {
        LLVMSetMetadata(instruction, kind, node);
    }
}
