package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import jenzyme.runtime.llvm.Diagnostics;
import jenzyme.runtime.llvm.HostTarget;
import jenzyme.runtime.llvm.IrBuilder;
import jenzyme.runtime.llvm.LlvmModules;
import jenzyme.runtime.llvm.LlvmNative;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The LLVM module being built by one {@link BytecodeLowering} run, with everything shared by the methods lowered into
 * it: types, TBAA tags, and declarations of intrinsics, libm functions, malloc/free and the interrupt flag.
 * Owns its LLVM context; closing it frees the module.
 */
final class IrModule implements AutoCloseable {

    private final LLVMContextRef context;
    private final LLVMModuleRef module;
    private final IrBuilder ir;
    private final Tbaa tbaa;
    private final Map<String, Callee> declarations = new HashMap<>();
    private LLVMValueRef interruptFlag;

    IrModule(String name) {
        LlvmNative.initialize();
        HostTarget host = HostTarget.get();
        this.context = LLVMContextCreate();
        Diagnostics.install(context);
        this.module = LLVMModuleCreateWithNameInContext(name, context);
        LLVMSetTarget(module, host.triple());
        LLVMSetDataLayout(module, host.dataLayout());
        this.ir = new IrBuilder(context);
        this.tbaa = new Tbaa(context);
    }

    IrBuilder ir() {
        return ir;
    }

    Tbaa tbaa() {
        return tbaa;
    }

    LLVMTypeRef type(ValueKind kind) {
        return switch (kind) {
            case INT -> ir.i32();
            case LONG -> ir.i64();
            case FLOAT -> ir.f32();
            case DOUBLE -> ir.f64();
            case ARRAY -> ir.ptr();
        };
    }

    /** The LLVM type of a scalar Java type as it crosses a function boundary ({@code boolean} is {@code i8}). */
    LLVMTypeRef boundaryType(JavaType type) {
        return switch (type) {
            case BOOLEAN -> ir.i8();
            case VOID -> ir.voidType();
            default -> type.isArray() ? ir.ptr() : type(ValueKind.of(type));
        };
    }

    /** The function type of a lowered method: status pointer first, arrays expanded to (ptr, i32). */
    LLVMTypeRef functionType(MethodSignature signature) {
        LLVMTypeRef[] params = new LLVMTypeRef[1 + signature.parameters().stream()
                .mapToInt(p -> p.llvmTypes().size()).sum()];
        int i = 0;
        params[i++] = ir.ptr();
        for (JavaType parameter : signature.parameters()) {
            params[i++] = boundaryType(parameter);
            if (parameter.isArray()) {
                params[i++] = ir.i32();
            }
        }
        return ir.functionType(boundaryType(signature.returnType()), params);
    }

    /** Defines a lowered method's function; internal ones can be inlined and dropped by the optimiser. */
    LLVMValueRef addFunction(String symbol, LLVMTypeRef type, boolean external) {
        LLVMValueRef function = LLVMAddFunction(module, symbol, type);
        LLVMSetLinkage(function, external ? LLVMExternalLinkage : LLVMInternalLinkage);
        addFunctionAttribute(function, "nounwind");
        return function;
    }

    /** An LLVM intrinsic such as {@code llvm.sin} overloaded on {@code types}. */
    Callee intrinsic(String name, LLVMTypeRef... types) {
        StringBuilder key = new StringBuilder(name);
        for (LLVMTypeRef type : types) {
            key.append('#').append(type.address());
        }
        return declarations.computeIfAbsent(key.toString(), k -> {
            int id = LLVMLookupIntrinsicID(name, name.length());
            if (id == 0) {
                throw new IllegalStateException("LLVM 19 has no intrinsic " + name);
            }
            PointerPointer<LLVMTypeRef> overloads = new PointerPointer<>(types);
            return new Callee(LLVMIntrinsicGetType(context, id, overloads, types.length),
                    LLVMGetIntrinsicDeclaration(module, id, overloads, types.length));
        });
    }

    /** A libm function {@code double name(double...)} that Enzyme knows the derivative of. */
    Callee libm(String name, int arity) {
        LLVMTypeRef[] params = new LLVMTypeRef[arity];
        java.util.Arrays.fill(params, ir.f64());
        return libm(name, ir.functionType(ir.f64(), params));
    }

    /** A libm function of the given type ({@code scalbn} takes an int). */
    Callee libm(String name, LLVMTypeRef type) {
        return declarations.computeIfAbsent("libm#" + name, k -> {
            LLVMValueRef function = LLVMAddFunction(module, name, type);
            addFunctionAttribute(function, "nounwind");
            addFunctionAttribute(function, "willreturn");
            // memory(none): errno is never read by lowered code, so the calls are pure for LLVM and Enzyme alike.
            LLVMAddAttributeAtIndex(function, LLVMAttributeFunctionIndex,
                    LLVMCreateEnumAttribute(context, LLVMGetEnumAttributeKindForName("memory", 6), 0));
            return new Callee(type, function);
        });
    }

    Callee malloc() {
        return declarations.computeIfAbsent("malloc", k -> {
            LLVMTypeRef type = ir.functionType(ir.ptr(), ir.i64());
            LLVMValueRef function = LLVMAddFunction(module, "malloc", type);
            addFunctionAttribute(function, "nounwind");
            LLVMAddAttributeAtIndex(function, LLVMAttributeReturnIndex, enumAttribute("noalias"));
            return new Callee(type, function);
        });
    }

    Callee free() {
        return declarations.computeIfAbsent("free", k -> {
            LLVMTypeRef type = ir.functionType(ir.voidType(), ir.ptr());
            LLVMValueRef function = LLVMAddFunction(module, "free", type);
            addFunctionAttribute(function, "nounwind");
            return new Callee(type, function);
        });
    }

    /** The external {@code i32} interrupt flag global (see {@link RuntimeSymbols#INTERRUPT_FLAG}). */
    LLVMValueRef interruptFlag() {
        if (interruptFlag == null) {
            interruptFlag = LLVMAddGlobal(module, ir.i32(), RuntimeSymbols.INTERRUPT_FLAG);
            LLVMSetLinkage(interruptFlag, LLVMExternalLinkage);
            LLVMSetAlignment(interruptFlag, 4);
        }
        return interruptFlag;
    }

    void addFunctionAttribute(LLVMValueRef function, String attribute) {
        LLVMAddAttributeAtIndex(function, LLVMAttributeFunctionIndex, enumAttribute(attribute));
    }

    void addParameterAttribute(LLVMValueRef function, int parameterIndex, String attribute) {
        LLVMAddAttributeAtIndex(function, parameterIndex + 1, enumAttribute(attribute));
    }

    private org.bytedeco.llvm.LLVM.LLVMAttributeRef enumAttribute(String name) {
        int kind = LLVMGetEnumAttributeKindForName(name, name.length());
        if (kind == 0) {
            throw new IllegalStateException("LLVM 19 has no attribute " + name);
        }
        return LLVMCreateEnumAttribute(context, kind, 0);
    }

    Optional<String> verify() {
        return LlvmModules.verify(module);
    }

    String irText() {
        return LlvmModules.irText(module);
    }

    byte[] bitcode() {
        return LlvmModules.writeBitcode(module);
    }

    @Override
    public void close() {
        ir.close();
        LLVMDisposeModule(module);
        LLVMContextDispose(context);
    }
}
