package jenzyme.runtime.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMAttributeRef;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMMemoryBufferRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMPassBuilderOptionsRef;
import org.bytedeco.llvm.LLVM.LLVMTargetMachineRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/** Whole-module operations of the LLVM C API: bitcode in and out, textual IR, verification, pass pipelines. */
public final class LlvmModules {

    private LlvmModules() {}

    public static void dispose(LLVMModuleRef module) {
        LLVMDisposeModule(module);
    }

    /** A plain context with {@link Diagnostics} installed; the caller disposes it ({@link #disposeContext}). */
    public static LLVMContextRef newContext() {
        LlvmNative.initialize();
        LLVMContextRef context = LLVMContextCreate();
        Diagnostics.install(context);
        return context;
    }

    public static void disposeContext(LLVMContextRef context) {
        LLVMContextDispose(context);
    }

    /**
     * Appends {@code suffix} to the name of every function and global the module defines with external linkage.
     *
     * @return original name → new name
     */
    public static Map<String, String> renameExternalDefinitions(LLVMModuleRef module, String suffix) {
        Map<String, String> renamed = new HashMap<>();
        for (LLVMValueRef value : definitions(module)) {
            if (LLVMGetLinkage(value) == LLVMExternalLinkage) {
                String name = LLVMGetValueName(value).getString();
                String unique = name + suffix;
                LLVMSetValueName2(value, unique, unique.length());
                renamed.put(name, unique);
            }
        }
        return renamed;
    }

    /**
     * Gives every weak or link-once definition of the module internal linkage. The lowering defines some helpers weak
     * in each module that needs one ({@code jenzyme.free_inactive}, {@code jenzyme_rule_value}: weak only to keep the
     * optimiser before Enzyme from seeing through them); in a JIT, where several modules live at once, the first
     * module's definition would serve all later ones, which then called freed code once it was released.
     */
    public static void internaliseWeakDefinitions(LLVMModuleRef module) {
        for (LLVMValueRef value : definitions(module)) {
            int linkage = LLVMGetLinkage(value);
            if (linkage == LLVMWeakAnyLinkage || linkage == LLVMWeakODRLinkage || linkage == LLVMLinkOnceAnyLinkage
                    || linkage == LLVMLinkOnceODRLinkage) {
                LLVMSetLinkage(value, LLVMInternalLinkage);
            }
        }
    }

    /** The functions and globals {@code module} defines (not those it only declares). */
    private static Set<LLVMValueRef> definitions(LLVMModuleRef module) {
        Set<LLVMValueRef> definitions = new LinkedHashSet<>();
        for (LLVMValueRef f = LLVMGetFirstFunction(module); f != null && !f.isNull(); f = LLVMGetNextFunction(f)) {
            definitions.add(f);
        }
        for (LLVMValueRef g = LLVMGetFirstGlobal(module); g != null && !g.isNull(); g = LLVMGetNextGlobal(g)) {
            definitions.add(g);
        }
        definitions.removeIf(value -> LLVMIsDeclaration(value) != 0);
        return definitions;
    }

    /** Renames the function or global {@code from} of {@code module} to {@code to}. */
    public static void rename(LLVMModuleRef module, String from, String to) {
        LLVMValueRef value = LLVMGetNamedFunction(module, from);
        if (value == null || value.isNull()) {
            value = LLVMGetNamedGlobal(module, from);
        }
        if (value == null || value.isNull()) {
            throw new LlvmFailure("no function or global " + from + " to rename");
        }
        LLVMSetValueName2(value, to, to.length());
    }

    /** A function's return and parameter types as IR text ({@code double}, {@code ptr}, ...). */
    public record Signature(String returnType, List<String> parameterTypes) {}

    /**
     * Attributes that change how a value is passed (a copy on the stack, a hidden result pointer, an extension the
     * caller does): a function forwarding its arguments with a plain call would pass them differently.
     */
    private static final List<String> PASSING_ATTRIBUTES = List.of("byval", "sret", "inalloca", "preallocated",
            "inreg", "zeroext", "signext", "nest", "swiftself", "swifterror", "swiftasync");

    /**
     * The signature of the function {@code name} defines, or empty if another function could not forward a call to
     * it with a plain call of the same types: not a function, varargs, or a parameter or result passed specially
     * ({@link #PASSING_ATTRIBUTES}).
     */
    public static Optional<Signature> signature(LLVMModuleRef module, String name) {
        LLVMValueRef function = LLVMGetNamedFunction(module, name);
        if (function == null || function.isNull()) {
            return Optional.empty();
        }
        LLVMTypeRef type = LLVMGlobalGetValueType(function);
        if (LLVMIsFunctionVarArg(type) != 0 || passesSpecially(function, LLVMCountParamTypes(type))) {
            return Optional.empty();
        }
        int count = LLVMCountParamTypes(type);
        PointerPointer<LLVMTypeRef> parameters = new PointerPointer<>(Math.max(count, 1));
        LLVMGetParamTypes(type, parameters);
        List<String> types = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            types.add(typeText(parameters.get(LLVMTypeRef.class, i)));
        }
        return Optional.of(new Signature(typeText(LLVMGetReturnType(type)), types));
    }

    /** Whether the result (index 0) or a parameter (1..count) of {@code function} has a passing attribute. */
    private static boolean passesSpecially(LLVMValueRef function, int count) {
        for (String attribute : PASSING_ATTRIBUTES) {
            int kind = LLVMGetEnumAttributeKindForName(attribute, attribute.length());
            for (int index = 0; index <= count; index++) {
                LLVMAttributeRef found = LLVMGetEnumAttributeAtIndex(function, index, kind);
                if (found != null && !found.isNull()) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String typeText(LLVMTypeRef type) {
        return LlvmNative.takeMessage(LLVMPrintTypeToString(type));
    }

    /** Whether {@code module} defines a global variable that is not constant (state its code may change). */
    public static boolean definesMutableGlobals(LLVMModuleRef module) {
        for (LLVMValueRef g = LLVMGetFirstGlobal(module); g != null && !g.isNull(); g = LLVMGetNextGlobal(g)) {
            if (LLVMIsDeclaration(g) == 0 && LLVMIsGlobalConstant(g) == 0) {
                return true;
            }
        }
        return false;
    }

    /** Whether a function of {@code module} has an {@code alloca} in a block other than its entry block. */
    public static boolean allocatesOutsideEntryBlocks(LLVMModuleRef module) {
        for (LLVMValueRef f = LLVMGetFirstFunction(module); f != null && !f.isNull(); f = LLVMGetNextFunction(f)) {
            LLVMBasicBlockRef entry = LLVMGetFirstBasicBlock(f);
            if (entry == null || entry.isNull()) {
                continue; // a declaration
            }
            for (LLVMBasicBlockRef b = LLVMGetNextBasicBlock(entry); b != null && !b.isNull(); b = LLVMGetNextBasicBlock(b)) {
                for (LLVMValueRef i = LLVMGetFirstInstruction(b); i != null && !i.isNull(); i = LLVMGetNextInstruction(i)) {
                    if (LLVMGetInstructionOpcode(i) == LLVMAlloca) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** Frees an object file {@link #emitObject} made that was not handed to a JIT. */
    public static void disposeObject(LLVMMemoryBufferRef object) {
        LLVMDisposeMemoryBuffer(object);
    }

    /** Generates {@code module}'s code with {@code machine} as a relocatable object file; the caller owns it. */
    public static LLVMMemoryBufferRef emitObject(LLVMModuleRef module, LLVMTargetMachineRef machine) {
        BytePointer message = new BytePointer((BytePointer) null);
        LLVMMemoryBufferRef object = new LLVMMemoryBufferRef();
        if (LLVMTargetMachineEmitToMemoryBuffer(machine, module, LLVMObjectFile, message, object) != 0) {
            throw new LlvmFailure("code generation failed: " + LlvmNative.takeMessage(message));
        }
        return object;
    }

    /** Runs {@code pipeline} (e.g. {@code default<O3>}) tuned for the host CPU. */
    public static void runPassesForHost(LLVMModuleRef module, String pipeline) {
        LLVMTargetMachineRef machine = HostTarget.get().createTargetMachine();
        try {
            runPasses(module, pipeline, machine);
        } finally {
            LLVMDisposeTargetMachine(machine);
        }
    }

    public static byte[] writeBitcode(LLVMModuleRef module) {
        LLVMMemoryBufferRef buffer = LLVMWriteBitcodeToMemoryBuffer(module);
        try {
            long size = LLVMGetBufferSize(buffer);
            byte[] bytes = new byte[Math.toIntExact(size)];
            LLVMGetBufferStart(buffer).capacity(size).get(bytes);
            return bytes;
        } finally {
            LLVMDisposeMemoryBuffer(buffer);
        }
    }

    /**
     * Parses bitcode into {@code context}; the caller owns the returned module. Uses the variant that returns the
     * error message: LLVMParseBitcodeInContext2 reports through the context, whose default handler exits the process.
     */
    public static LLVMModuleRef parseBitcode(LLVMContextRef context, byte[] bitcode, String name) {
        BytePointer data = new BytePointer(bitcode);
        LLVMMemoryBufferRef buffer = LLVMCreateMemoryBufferWithMemoryRangeCopy(data, bitcode.length, new BytePointer(name));
        BytePointer message = new BytePointer((BytePointer) null);
        try {
            LLVMModuleRef module = new LLVMModuleRef();
            if (LLVMParseBitcodeInContext(context, buffer, module, message) != 0 || module.isNull()) {
                throw new LlvmFailure("not valid LLVM bitcode (" + bitcode.length + " bytes, module " + name + "): "
                        + LlvmNative.takeMessage(message));
            }
            return module;
        } finally {
            LLVMDisposeMemoryBuffer(buffer);
            data.close();
        }
    }

    /** Parses textual IR into {@code context}; the caller owns the returned module. */
    public static LLVMModuleRef parseIr(LLVMContextRef context, String text, String name) {
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        BytePointer data = new BytePointer(bytes);
        // LLVMParseIRInContext takes ownership of the buffer.
        LLVMMemoryBufferRef buffer = LLVMCreateMemoryBufferWithMemoryRangeCopy(data, bytes.length, new BytePointer(name));
        BytePointer message = new BytePointer((BytePointer) null);
        try {
            LLVMModuleRef module = new LLVMModuleRef();
            if (LLVMParseIRInContext(context, buffer, module, message) != 0 || module.isNull()) {
                throw new LlvmFailure("not valid LLVM IR (module " + name + "): " + LlvmNative.takeMessage(message));
            }
            return module;
        } finally {
            data.close();
        }
    }

    /** The IR text of a module given as bitcode (parsed into a context of its own, freed afterwards). */
    public static String irTextOf(byte[] bitcode, String name) {
        LlvmNative.initialize();
        LLVMContextRef context = LLVMContextCreate();
        try {
            Diagnostics.install(context);
            LLVMModuleRef module = parseBitcode(context, bitcode, name);
            try {
                return irText(module);
            } finally {
                LLVMDisposeModule(module);
            }
        } finally {
            LLVMContextDispose(context);
        }
    }

    public static String irText(LLVMModuleRef module) {
        return LlvmNative.takeMessage(LLVMPrintModuleToString(module));
    }

    /** The verifier's report, or empty if the module is well formed. */
    public static Optional<String> verify(LLVMModuleRef module) {
        BytePointer message = new BytePointer((BytePointer) null);
        int broken = LLVMVerifyModule(module, LLVMReturnStatusAction, message);
        String text = LlvmNative.takeMessage(message);
        return broken != 0 ? Optional.of(text == null ? "module is broken" : text.strip()) : Optional.empty();
    }

    /** Runs a new-pass-manager pipeline such as {@code "default<O3>"} over {@code module} in place. */
    public static void runPasses(LLVMModuleRef module, String pipeline, LLVMTargetMachineRef machine) {
        LLVMPassBuilderOptionsRef options = LLVMCreatePassBuilderOptions();
        try {
            LlvmNative.check(LLVMRunPasses(module, pipeline, machine, options), "pass pipeline " + pipeline);
        } finally {
            LLVMDisposePassBuilderOptions(options);
        }
    }
}
