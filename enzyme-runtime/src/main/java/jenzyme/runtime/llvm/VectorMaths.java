package jenzyme.runtime.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * {@code --fast-math}'s vector maths: each call of a math function that glibc's vector maths library (libmvec)
 * implements is given the library's 2- and (with AVX2) 4-lane variants as its {@code vector-function-abi-variant},
 * so that LLVM's loop vectoriser calls them on 2 or 4 elements at once. This is what LLVM's
 * {@code -vector-library=LIBMVEC-X86} attaches, for more functions: LLVM 19's table has sin, cos, tan, pow, exp and
 * log, not log1p, expm1, atan, tanh and the others that Debian 12's glibc 2.36 exports. It works on innermost loops
 * only (LLVM vectorises nothing else), in the primal and in a gradient's forward sweep (Enzyme keeps the call's
 * attributes). Strict code never gets the variants: libmvec's results are within 4 ulp, not libm's bits
 * (docs/DERIVATIVES.md). No AVX-512 variants: LLVM prefers 256-bit vectors on the CPUs that have them.
 */
public final class VectorMaths {

    private static final String LIBRARY = "libmvec.so.1";
    private static final String ATTRIBUTE = "vector-function-abi-variant";

    /** The callees lowered code uses ({@code jenzyme.runtime.lower.MathCalls}) → libmvec's name and arity. */
    private static final Map<String, Mapped> FUNCTIONS = Map.ofEntries(
            Map.entry("llvm.exp.f64", new Mapped("exp", 1)), Map.entry("llvm.log.f64", new Mapped("log", 1)),
            Map.entry("llvm.log10.f64", new Mapped("log10", 1)), Map.entry("llvm.sin.f64", new Mapped("sin", 1)),
            Map.entry("llvm.cos.f64", new Mapped("cos", 1)), Map.entry("llvm.pow.f64", new Mapped("pow", 2)),
            Map.entry("tan", new Mapped("tan", 1)), Map.entry("asin", new Mapped("asin", 1)),
            Map.entry("acos", new Mapped("acos", 1)), Map.entry("atan", new Mapped("atan", 1)),
            Map.entry("atan2", new Mapped("atan2", 2)), Map.entry("sinh", new Mapped("sinh", 1)),
            Map.entry("cosh", new Mapped("cosh", 1)), Map.entry("tanh", new Mapped("tanh", 1)),
            Map.entry("hypot", new Mapped("hypot", 2)), Map.entry("expm1", new Mapped("expm1", 1)),
            Map.entry("log1p", new Mapped("log1p", 1)), Map.entry("cbrt", new Mapped("cbrt", 1)));

    private record Mapped(String name, int arity) {}

    /** A vector variant: its ISA letter in the vector function ABI ({@code b} SSE, {@code d} AVX2) and lanes. */
    private record Variant(char isa, int lanes) {}

    private static volatile Boolean loaded;

    private final LLVMModuleRef module;
    private final LLVMContextRef context;
    private final List<Variant> variants;
    private final List<LLVMValueRef> declared = new ArrayList<>();

    private VectorMaths(LLVMModuleRef module, List<Variant> variants) {
        this.module = module;
        this.context = LLVMGetModuleContext(module);
        this.variants = variants;
    }

    /**
     * Loads libmvec into this process once, globally, so that the JIT's process symbols resolve the vector
     * functions; whether it is there. Every JIT calls this, as the code it compiles may come from another process.
     */
    public static boolean loadLibrary() {
        Boolean done = loaded;
        if (done == null) {
            synchronized (VectorMaths.class) {
                if (loaded == null) {
                    LlvmNative.initialize();
                    loaded = HostTarget.get().triple().startsWith("x86_64") && LLVMLoadLibraryPermanently(LIBRARY) == 0;
                }
                done = loaded;
            }
        }
        return done;
    }

    /** The mapping for {@code module}, or null when this process has no libmvec (then calls stay scalar). */
    static VectorMaths forModule(LLVMModuleRef module) {
        if (!loadLibrary()) {
            return null;
        }
        List<Variant> variants = new ArrayList<>(List.of(new Variant('b', 2)));
        if (HostTarget.get().hasFeature("avx2")) {
            variants.add(new Variant('d', 4));
        }
        return new VectorMaths(module, variants);
    }

    /** Gives {@code instruction} its vector variants if it calls a mapped function. */
    void offer(LLVMValueRef instruction) {
        LLVMValueRef call = LLVMIsACallInst(instruction);
        LLVMValueRef callee = call == null || call.isNull() ? null : LLVMGetCalledValue(call);
        String scalar = callee == null || callee.isNull() ? "" : LLVMGetValueName(callee).getString();
        Mapped mapped = FUNCTIONS.get(scalar);
        if (mapped == null) {
            return;
        }
        List<String> mappings = new ArrayList<>();
        for (Variant variant : variants) {
            String parameters = "v".repeat(mapped.arity());
            String vector = "_ZGV" + variant.isa() + "N" + variant.lanes() + parameters + "_" + mapped.name();
            declare(vector, variant.lanes(), mapped.arity());
            mappings.add("_ZGV_LLVM_N" + variant.lanes() + parameters + "_" + scalar + "(" + vector + ")");
        }
        String value = String.join(",", mappings);
        LLVMAddCallSiteAttribute(instruction, LLVMAttributeFunctionIndex,
                LLVMCreateStringAttribute(context, ATTRIBUTE, ATTRIBUTE.length(), value, value.length()));
    }

    /**
     * Keeps the declared vector functions through the optimisations before the vectoriser (which would delete
     * unused declarations), as {@code llvm.compiler.used} — as LLVM's own mapping pass does. Lowered modules have
     * no such list of their own.
     */
    void finish() {
        if (declared.isEmpty()) {
            return;
        }
        LLVMTypeRef pointer = LLVMPointerTypeInContext(context, 0);
        LLVMValueRef used = LLVMAddGlobal(module, LLVMArrayType2(pointer, declared.size()), "llvm.compiler.used");
        LLVMSetInitializer(used, LLVMConstArray2(pointer, new PointerPointer<>(declared.toArray(LLVMValueRef[]::new)),
                declared.size()));
        LLVMSetLinkage(used, LLVMAppendingLinkage);
        LLVMSetSection(used, "llvm.metadata");
    }

    private void declare(String name, int lanes, int arity) {
        LLVMValueRef existing = LLVMGetNamedFunction(module, name);
        if (existing != null && !existing.isNull()) {
            return;
        }
        LLVMTypeRef vector = LLVMVectorType(LLVMDoubleTypeInContext(context), lanes);
        LLVMTypeRef[] parameters = new LLVMTypeRef[arity];
        java.util.Arrays.fill(parameters, vector);
        declared.add(LLVMAddFunction(module, name, LLVMFunctionType(vector, new PointerPointer<>(parameters), arity,
                0)));
    }
}
