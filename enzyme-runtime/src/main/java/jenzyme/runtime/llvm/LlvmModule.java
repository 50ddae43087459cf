package jenzyme.runtime.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.Optional;
import jenzyme.runtime.error.Messages;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMAttributeRef;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMMetadataRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * One LLVM module being built, in a context of its own set up for the host (triple, data layout, the diagnostic
 * handler): functions, globals, intrinsic declarations and attributes. Mechanism only; the frontend's
 * {@code IrModule} decides what to declare. Closing it frees the module and its context.
 */
public final class LlvmModule implements AutoCloseable {

    private final LLVMContextRef context;
    private final LLVMModuleRef module;

    public LlvmModule(String name) {
        LlvmNative.initialize();
        HostTarget host = HostTarget.get();
        this.context = LLVMContextCreate();
        Diagnostics.install(context);
        this.module = LLVMModuleCreateWithNameInContext(name, context);
        LLVMSetTarget(module, host.triple());
        LLVMSetDataLayout(module, host.dataLayout());
    }

    public LLVMContextRef context() {
        return context;
    }

    /** A function with external or internal linkage. */
    public LLVMValueRef addFunction(String symbol, LLVMTypeRef type, boolean external) {
        LLVMValueRef function = LLVMAddFunction(module, symbol, type);
        LLVMSetLinkage(function, external ? LLVMExternalLinkage : LLVMInternalLinkage);
        return function;
    }

    /**
     * Makes a definition interposable ({@code weak}): the optimiser may neither inline it nor infer anything from its
     * body, while Enzyme still differentiates the body.
     */
    public void makeInterposable(LLVMValueRef function) {
        LLVMSetLinkage(function, LLVMWeakAnyLinkage);
    }

    /** A global defined outside the module (by the JIT's runtime symbols). */
    public LLVMValueRef addExternalGlobal(LLVMTypeRef type, String name, int alignment) {
        LLVMValueRef global = LLVMAddGlobal(module, type, name);
        LLVMSetLinkage(global, LLVMExternalLinkage);
        LLVMSetAlignment(global, alignment);
        return global;
    }

    /** The type of intrinsic {@code name} (e.g. {@code llvm.sin}) overloaded on {@code types}. */
    public LLVMTypeRef intrinsicType(String name, LLVMTypeRef... types) {
        return LLVMIntrinsicGetType(context, intrinsicId(name), new PointerPointer<>(types), types.length);
    }

    /** The declaration of intrinsic {@code name} overloaded on {@code types}, added to the module. */
    public LLVMValueRef intrinsicDeclaration(String name, LLVMTypeRef... types) {
        return LLVMGetIntrinsicDeclaration(module, intrinsicId(name), new PointerPointer<>(types), types.length);
    }

    public void addFunctionAttribute(LLVMValueRef function, String attribute) {
        LLVMAddAttributeAtIndex(function, LLVMAttributeFunctionIndex, attribute(attribute, 0));
    }

    /** An integer attribute such as {@code memory} (whose value 0 means {@code memory(none)}). */
    public void addFunctionAttribute(LLVMValueRef function, String attribute, long value) {
        LLVMAddAttributeAtIndex(function, LLVMAttributeFunctionIndex, attribute(attribute, value));
    }

    /**
     * Attaches {@code !kind !{ptr @target}} to {@code function}: how Enzyme finds a custom derivative
     * ({@code enzyme_derivative}, {@code enzyme_augment}, {@code enzyme_gradient}).
     */
    public void attachFunction(LLVMValueRef function, String kind, LLVMValueRef target) {
        LLVMMetadataRef node = LLVMMDNodeInContext2(context,
                new PointerPointer<>(new LLVMMetadataRef[] {LLVMValueAsMetadata(target)}), 1);
        LLVMGlobalSetMetadata(function, LLVMGetMDKindIDInContext(context, kind, kind.length()), node);
    }

    public void addReturnAttribute(LLVMValueRef function, String attribute) {
        LLVMAddAttributeAtIndex(function, LLVMAttributeReturnIndex, attribute(attribute, 0));
    }

    /** An attribute of parameter {@code parameterIndex} (0-based). */
    public void addParameterAttribute(LLVMValueRef function, int parameterIndex, String attribute) {
        LLVMAddAttributeAtIndex(function, parameterIndex + 1, attribute(attribute, 0));
    }

    public Optional<String> verify() {
        return LlvmModules.verify(module);
    }

    public String irText() {
        return LlvmModules.irText(module);
    }

    public boolean hasFunction(String symbol) {
        LLVMValueRef function = LLVMGetNamedFunction(module, symbol);
        return function != null && !function.isNull();
    }

    public byte[] bitcode() {
        return LlvmModules.writeBitcode(module);
    }

    @Override
    public void close() {
        LLVMDisposeModule(module);
        LLVMContextDispose(context);
    }

    private static int intrinsicId(String name) {
        int id = LLVMLookupIntrinsicID(name, name.length());
        if (id == 0) {
            throw new IllegalStateException(Messages.NO_INTRINSIC.format(name));
        }
        return id;
    }

    private LLVMAttributeRef attribute(String name, long value) {
        int kind = LLVMGetEnumAttributeKindForName(name, name.length());
        if (kind == 0) {
            throw new IllegalStateException(Messages.NO_ATTRIBUTE.format(name));
        }
        return LLVMCreateEnumAttribute(context, kind, value);
    }
}
