package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.EnumMap;
import java.util.Map;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMMetadataRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Clang-style TBAA access tags ("double", "float", "int", "long" under "omnipotent char") attached to every array
 * element and status-word access. Enzyme's type analysis reads these names to learn what opaque pointers point to;
 * without them it has to guess from use and may refuse a {@code ptr} argument.
 */
final class Tbaa {

    private final LLVMContextRef context;
    private final int kindId;
    private final Map<JavaType, LLVMValueRef> tags = new EnumMap<>(JavaType.class);

    Tbaa(LLVMContextRef context) {
        this.context = context;
        this.kindId = LLVMGetMDKindIDInContext(context, "tbaa", 4);
        LLVMMetadataRef root = node(string("Simple C/C++ TBAA"));
        LLVMMetadataRef omnipotentChar = node(string("omnipotent char"), root, offsetZero());
        tags.put(JavaType.DOUBLE, accessTag("double", omnipotentChar));
        tags.put(JavaType.FLOAT, accessTag("float", omnipotentChar));
        tags.put(JavaType.INT, accessTag("int", omnipotentChar));
        tags.put(JavaType.LONG, accessTag("long", omnipotentChar));
    }

    /** Marks {@code access} (a load or store) as touching a value of {@code type}. */
    void attach(LLVMValueRef access, JavaType type) {
        LLVMValueRef tag = tags.get(type);
        if (tag == null) {
            throw new IllegalArgumentException("expected double, float, int or long, got " + type);
        }
        LLVMSetMetadata(access, kindId, tag);
    }

    private LLVMValueRef accessTag(String typeName, LLVMMetadataRef parent) {
        LLVMMetadataRef type = node(string(typeName), parent, offsetZero());
        return LLVMMetadataAsValue(context, node(type, type, offsetZero()));
    }

    private LLVMMetadataRef string(String text) {
        return LLVMMDStringInContext2(context, text, text.length());
    }

    private LLVMMetadataRef offsetZero() {
        return LLVMValueAsMetadata(LLVMConstInt(LLVMInt64TypeInContext(context), 0, 0));
    }

    private LLVMMetadataRef node(LLVMMetadataRef... operands) {
        return LLVMMDNodeInContext2(context, new PointerPointer<>(operands), operands.length);
    }
}
