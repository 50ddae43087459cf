package jenzyme.runtime.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.error.Messages;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * A module rewrite for the JIT (stage 3): makes every allocation of compiled code fail cleanly. Compiled code allocates natively in
 * two places: {@code new T[n]} (the frontend checks malloc's result) and Enzyme's tapes, which the reverse pass
 * {@code malloc}s and {@code realloc}s per loop iteration without any check — a failed tape realloc used to be a
 * write through NULL that killed the kernel. Before a module is compiled, its {@code malloc/calloc/realloc/free}
 * are renamed to the checked allocator of {@code checked-allocation.ll} (one runtime module per JIT), and each
 * exported function of a module that allocates gets a guard: it {@code _setjmp}s into a record on its own stack,
 * calls the original, and if an allocation failed (the native memory budget or malloc itself) the allocator frees
 * all of the call's blocks and {@code longjmp}s back; the guard writes the given failure code into the call's
 * status block (its first parameter, the frontend's convention for every entry point) and the binding
 * throws OutOfMemoryError. The interrupt polls the Enzyme worker adds to reverse sweeps unwind to the same guard
 * ({@link #INTERRUPT_UNWIND}), which then writes the INTERRUPTED code, and so does every failure of a reverse-mode
 * module ({@link #FAIL_UNWIND}, the status already written), so such modules are guarded too. Modules that
 * neither allocate nor poll a reverse sweep (straight-line code, %jit loops) are left alone.
 *
 * <p>Measured and dropped: checking each tape pointer in the worker after Enzyme (the reverse pass would still run on
 * with a partial tape, and its earlier blocks leak); only {@code setjmp} leaves every frame at once.
 */
public final class AllocationGuards {

    /** Bytes of a guard record; offsets are documented in checked-allocation.ll. */
    private static final int RECORD_BYTES = 560;
    private static final String[] ALLOCATORS = {"malloc", "calloc", "realloc"};
    /** Allocators neither our frontend nor Enzyme emits; a module using one (clang output) is left as it is. */
    private static final String[] OTHER_ALLOCATORS = {"aligned_alloc", "posix_memalign", "memalign", "valloc",
            "pvalloc", "strdup", "strndup", "_Znwm", "_Znam", "_ZnwmSt11align_val_t"};

    /** The runtime function reverse-sweep polls call (worker/src/reverse_polls.rs names it too). */
    private static final String INTERRUPT_UNWIND = "jenzyme.interrupt_unwind";
    /** Where failures of reverse-mode modules go ({@code RuntimeSymbols.FAIL_UNWIND} names it too). */
    private static final String FAIL_UNWIND = "jenzyme.fail_unwind";

    private AllocationGuards() {}

    /**
     * The checked allocator's IR, to be added to a JIT once, before any module that uses it.
     *
     * @param failureCode the status code a guard writes when an allocation failed
     * @param interruptedCode the status code a guard writes when a reverse sweep's poll unwound
     * @param statusBytes the size of a status block, which a failure that unwinds copies to its guard's
     */
    public static String runtimeIr(int failureCode, int interruptedCode, int statusBytes) {
        try (InputStream in = AllocationGuards.class.getResourceAsStream("checked-allocation.ll")) {
            if (in == null) {
                throw new IllegalStateException(Messages.ALLOCATOR_IR_MISSING.format());
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .replace("@@NATIVE_MEMORY@@", Integer.toString(failureCode))
                    .replace("@@INTERRUPTED@@", Integer.toString(interruptedCode))
                    .replace("@@STATUS_BYTES@@", Integer.toString(statusBytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Renames {@code module}'s allocation functions to the checked ones and, if it allocates, guards every exported
     * function whose first parameter is a pointer (the status block).
     */
    public static void apply(LLVMModuleRef module) {
        for (String other : OTHER_ALLOCATORS) {
            LLVMValueRef function = LLVMGetNamedFunction(module, other);
            if (function != null && !function.isNull()) {
                return; // its blocks have no header: jenzyme.free must never see them, so nothing is renamed
            }
        }
        boolean allocates = false;
        for (String name : ALLOCATORS) {
            allocates |= retarget(module, name);
        }
        retarget(module, "free");
        if (!allocates && !isUsed(module, INTERRUPT_UNWIND) && !isUsed(module, FAIL_UNWIND)) {
            return;
        }
        List<LLVMValueRef> entries = new ArrayList<>();
        for (LLVMValueRef f = LLVMGetFirstFunction(module); f != null && !f.isNull(); f = LLVMGetNextFunction(f)) {
            if (LLVMIsDeclaration(f) == 0 && LLVMGetLinkage(f) == LLVMExternalLinkage && takesStatusFirst(f)) {
                entries.add(f);
            }
        }
        LLVMContextRef context = LLVMGetModuleContext(module);
        try (IrBuilder ir = new IrBuilder(context)) {
            Runtime runtime = new Runtime(module, ir);
            for (LLVMValueRef entry : entries) {
                guard(module, ir, runtime, entry);
            }
        }
    }

    private static boolean isUsed(LLVMModuleRef module, String name) {
        LLVMValueRef function = LLVMGetNamedFunction(module, name);
        return function != null && !function.isNull() && LLVMGetFirstUse(function) != null
                && !LLVMGetFirstUse(function).isNull();
    }

    private static boolean retarget(LLVMModuleRef module, String name) {
        LLVMValueRef function = LLVMGetNamedFunction(module, name);
        if (function == null || function.isNull() || LLVMIsDeclaration(function) == 0) {
            return false;
        }
        String checked = "jenzyme." + name;
        LLVMSetValueName2(function, checked, checked.length());
        return LLVMGetFirstUse(function) != null && !LLVMGetFirstUse(function).isNull();
    }

    private static boolean takesStatusFirst(LLVMValueRef function) {
        LLVMTypeRef type = LLVMGlobalGetValueType(function);
        if (LLVMCountParamTypes(type) == 0) {
            return false;
        }
        return LLVMGetTypeKind(LLVMTypeOf(LLVMGetParam(function, 0))) == LLVMPointerTypeKind;
    }

    /** {@code entry} becomes an internal, never-inlined body; a guard takes its name, signature and linkage. */
    private static void guard(LLVMModuleRef module, IrBuilder ir, Runtime runtime, LLVMValueRef entry) {
        String name = LLVMGetValueName(entry).getString();
        String body = name + ".unguarded";
        LLVMSetValueName2(entry, body, body.length());
        LLVMSetLinkage(entry, LLVMInternalLinkage);
        LLVMAddAttributeAtIndex(entry, LLVMAttributeFunctionIndex, runtime.attribute("noinline"));
        LLVMTypeRef type = LLVMGlobalGetValueType(entry);
        LLVMValueRef guard = LLVMAddFunction(module, name, type);
        int paramCount = LLVMCountParams(entry);
        LLVMValueRef[] params = new LLVMValueRef[paramCount];
        for (int i = 0; i < paramCount; i++) {
            params[i] = LLVMGetParam(guard, i);
        }
        LLVMBasicBlockRef start = ir.appendBlock(guard, "start");
        LLVMBasicBlockRef call = ir.appendBlock(guard, "call");
        LLVMBasicBlockRef failed = ir.appendBlock(guard, "allocation_failed");
        ir.positionAtEnd(start);
        LLVMValueRef record = ir.alloca(LLVMArrayType2(ir.i8(), RECORD_BYTES), "guard");
        LLVMSetAlignment(record, 16);
        ir.call(runtime.push.type(), runtime.push.function(), record, params[0]);
        LLVMValueRef jumped = ir.call(runtime.setjmp.type(), runtime.setjmp.function(), record);
        LLVMAddCallSiteAttribute(jumped, LLVMAttributeFunctionIndex, runtime.attribute("returns_twice"));
        ir.condBr(ir.icmp(LLVMIntEQ, jumped, ir.zero(ir.i32())), call, failed);

        ir.positionAtEnd(call);
        LLVMValueRef result = ir.call(type, entry, params);
        ir.call(runtime.pop.type(), runtime.pop.function(), record);
        boolean isVoid = LLVMGetTypeKind(LLVMGetReturnType(type)) == LLVMVoidTypeKind;
        if (isVoid) {
            ir.retVoid();
        } else {
            ir.ret(result);
        }

        ir.positionAtEnd(failed);
        ir.call(runtime.failed.type(), runtime.failed.function(), record, jumped);
        if (isVoid) {
            ir.retVoid();
        } else {
            ir.ret(LLVMGetPoison(LLVMGetReturnType(type))); // the binding reads the status block, not the result
        }
    }

    private record Declared(LLVMTypeRef type, LLVMValueRef function) {}

    /** Declarations of the allocator's guard functions and {@code _setjmp} in one module. */
    private static final class Runtime {
        final Declared push;
        final Declared pop;
        final Declared failed;
        final Declared setjmp;
        private final LLVMContextRef context;

        Runtime(LLVMModuleRef module, IrBuilder ir) {
            this.context = ir.context();
            push = declare(module, "jenzyme.guard_push", ir.functionType(ir.voidType(), ir.ptr(), ir.ptr()));
            pop = declare(module, "jenzyme.guard_pop", ir.functionType(ir.voidType(), ir.ptr()));
            failed = declare(module, "jenzyme.guard_failed", ir.functionType(ir.voidType(), ir.ptr(), ir.i32()));
            setjmp = declare(module, "_setjmp", ir.functionType(ir.i32(), ir.ptr()));
            LLVMAddAttributeAtIndex(setjmp.function(), LLVMAttributeFunctionIndex, attribute("returns_twice"));
        }

        private static Declared declare(LLVMModuleRef module, String name, LLVMTypeRef type) {
            LLVMValueRef existing = LLVMGetNamedFunction(module, name);
            LLVMValueRef function = existing != null && !existing.isNull() ? existing : LLVMAddFunction(module, name, type);
            return new Declared(type, function);
        }

        org.bytedeco.llvm.LLVM.LLVMAttributeRef attribute(String name) {
            return LLVMCreateEnumAttribute(context, LLVMGetEnumAttributeKindForName(name, name.length()), 0);
        }
    }
}
