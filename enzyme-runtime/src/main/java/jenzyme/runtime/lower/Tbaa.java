package jenzyme.runtime.lower;

import java.util.EnumMap;
import java.util.Map;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.llvm.IrBuilder;
import jenzyme.runtime.llvm.Metadata;
import org.bytedeco.llvm.LLVM.LLVMMetadataRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Clang-style TBAA access tags ("double", "float", "int", "long" under "omnipotent char") attached to every array
 * element and status-word access. Enzyme's type analysis reads these names to learn what opaque pointers point to;
 * without them it has to guess from use and may refuse a {@code ptr} argument.
 */
final class Tbaa {

    private final Metadata metadata;
    private final LLVMMetadataRef offsetZero;
    private final int kindId;
    private final Map<JavaType, LLVMValueRef> tags = new EnumMap<>(JavaType.class);

    Tbaa(IrBuilder ir) {
        this.metadata = new Metadata(ir.context());
        this.offsetZero = metadata.constant(ir.i64(), 0);
        this.kindId = metadata.kind("tbaa");
        LLVMMetadataRef root = metadata.node(metadata.string("Simple C/C++ TBAA"));
        LLVMMetadataRef omnipotentChar = metadata.node(metadata.string("omnipotent char"), root, offsetZero);
        tags.put(JavaType.DOUBLE, accessTag("double", omnipotentChar));
        tags.put(JavaType.FLOAT, accessTag("float", omnipotentChar));
        tags.put(JavaType.INT, accessTag("int", omnipotentChar));
        tags.put(JavaType.LONG, accessTag("long", omnipotentChar));
        // A two-dimensional array's row table holds row pointers: its entries are tagged as C's "any pointer".
        LLVMValueRef anyPointer = accessTag("any pointer", omnipotentChar);
        for (JavaType matrix : new JavaType[] {JavaType.DOUBLE_MATRIX, JavaType.FLOAT_MATRIX, JavaType.INT_MATRIX,
                JavaType.LONG_MATRIX}) {
            tags.put(matrix, anyPointer);
        }
    }

    /** Marks {@code access} (a load or store) as touching a value of {@code type} (a matrix type: its row table). */
    void attach(LLVMValueRef access, JavaType type) {
        LLVMValueRef tag = tags.get(type);
        if (tag == null) {
            throw new IllegalArgumentException(Messages.NO_TBAA_TYPE.format(type));
        }
        metadata.attach(access, kindId, tag);
    }

    private LLVMValueRef accessTag(String typeName, LLVMMetadataRef parent) {
        LLVMMetadataRef type = metadata.node(metadata.string(typeName), parent, offsetZero);
        return metadata.asValue(metadata.node(type, type, offsetZero));
    }
}
