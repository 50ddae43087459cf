package jenzyme.runtime.lower;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import jenzyme.runtime.error.Messages;
import java.util.Map;
import java.util.Optional;
import jenzyme.runtime.llvm.IrBuilder;
import jenzyme.runtime.llvm.LlvmModule;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The LLVM module being built by one {@link BytecodeLowering} run, with everything shared by the methods lowered into
 * it: types, TBAA tags, and declarations of intrinsics, libm functions, malloc/free and the interrupt flag.
 * Owns its LLVM context; closing it frees the module.
 */
final class IrModule implements AutoCloseable {

    private final String name;
    private final LlvmModule module;
    private final IrBuilder ir;
    private final Tbaa tbaa;
    private final Map<String, Callee> declarations = new HashMap<>();
    private final StaticFields statics;
    private LLVMValueRef interruptFlag;
    private final boolean unwindsFailures;
    private final boolean forwardOnly;
    private final java.util.Set<Integer> constantLoopArrays;
    private int loopArraySites;

    IrModule(String name, StaticFields statics) {
        this(name, statics, false, false, java.util.Set.of());
    }

    /**
     * @param unwindsFailures    whether failures unwind to the call's guard ({@link #unwindsFailures()})
     * @param forwardOnly        whether only forward mode differentiates the module (see {@link #freeRowLengths})
     * @param constantLoopArrays the loop allocation sites to allocate inactive ({@link #isConstantLoopArray})
     */
    IrModule(String name, StaticFields statics, boolean unwindsFailures, boolean forwardOnly,
             java.util.Set<Integer> constantLoopArrays) {
        this.name = name;
        this.statics = statics;
        this.unwindsFailures = unwindsFailures;
        this.forwardOnly = forwardOnly;
        this.constantLoopArrays = constantLoopArrays;
        this.module = new LlvmModule(name);
        this.ir = new IrBuilder(module.context());
        this.tbaa = new Tbaa(ir);
    }

    IrBuilder ir() {
        return ir;
    }

    /** This module's id of a source line that can raise ({@link FailureSites}). */
    int siteId(String ownerInternalName, String methodName, int line) {
        return FailureSites.idOf(name, ownerInternalName, methodName, line);
    }

    /** This module's id of an exception compiled code throws ({@link ThrownExceptions}). */
    int thrownId(ThrownExceptions.Thrown thrown) {
        return ThrownExceptions.idOf(name, thrown);
    }

    Tbaa tbaa() {
        return tbaa;
    }

    /** The static fields every function of this module takes as hidden trailing parameters. */
    StaticFields statics() {
        return statics;
    }

    LLVMTypeRef type(ValueKind kind) {
        return switch (kind) {
            case INT -> ir.i32();
            case LONG -> ir.i64();
            case FLOAT -> ir.f32();
            case DOUBLE -> ir.f64();
            case ARRAY -> ir.ptr();
            case RECORD -> throw new IllegalArgumentException(Messages.RECORD_HAS_NO_LLVM_TYPE.format());
        };
    }

    /** The LLVM type of a scalar Java type as it crosses a function boundary ({@code boolean} is {@code i8}). */
    LLVMTypeRef boundaryType(JavaType type) {
        return switch (type) {
            case BOOLEAN -> ir.i8();
            case VOID -> ir.voidType();
            case OBJECT_REF -> ir.ptr();
            default -> type.isArray() ? ir.ptr() : type(ValueKind.of(type));
        };
    }

    /** A result's LLVM type: a scalar's boundary type, or a record as a struct of its leaves' LLVM types. */
    LLVMTypeRef boundaryType(Shape shape) {
        if (shape instanceof JavaType type) {
            return boundaryType(type);
        }
        return ir.structType(shape.leaves().stream().flatMap(this::leafTypes).toArray(LLVMTypeRef[]::new));
    }

    private java.util.stream.Stream<LLVMTypeRef> leafTypes(JavaType leaf) {
        return leaf.isMatrix() ? java.util.stream.Stream.of(ir.ptr(), ir.ptr(), ir.i32())
                : leaf.isArray() ? java.util.stream.Stream.of(ir.ptr(), ir.i32()) : java.util.stream.Stream.of(boundaryType(leaf));
    }

    /**
     * The function type of a lowered method: status pointer first, records as their leaves, arrays as (ptr, i32). The
     * entry's array result is a further (ptr, i32) parameter, the caller's result array, and it returns void; any
     * other method returns a new array as a (ptr, i32) struct ({@link ArrayHandOver}). The module's static fields
     * come last.
     */
    LLVMTypeRef functionType(MethodSignature signature, boolean entry) {
        java.util.List<LLVMTypeRef> params = new java.util.ArrayList<>();
        params.add(ir.ptr());
        signature.leaves(entry).forEach(leaf -> leafTypes(leaf).forEach(params::add));
        boolean resultArray = entry && signature.entryFillsResult();
        if (resultArray) {
            params.add(ir.ptr());
            params.add(ir.i32());
        }
        statics.known().forEach(field -> leafTypes(field.type()).forEach(params::add));
        return ir.functionType(resultArray ? ir.voidType() : signature.returnsArray()
                ? arrayResultType((JavaType) signature.returnType()) : boundaryType(signature.returnType()),
                params.toArray(LLVMTypeRef[]::new));
    }

    /**
     * How a method other than the entry returns an array: its data pointer and length; a two-dimensional one as its
     * row table, row-length table and row count, the leaves it is passed as.
     */
    LLVMTypeRef arrayResultType(JavaType arrayType) {
        return ir.structType(leafTypes(arrayType).toArray(LLVMTypeRef[]::new));
    }

    /** Defines a lowered method's function; internal ones can be inlined and dropped by the optimiser. */
    LLVMValueRef addFunction(String symbol, LLVMTypeRef type, boolean external) {
        LLVMValueRef function = module.addFunction(symbol, type, external);
        addFunctionAttribute(function, "nounwind");
        return function;
    }

    /** An LLVM intrinsic such as {@code llvm.sin} overloaded on {@code types}. */
    Callee intrinsic(String name, LLVMTypeRef... types) {
        StringBuilder key = new StringBuilder(name);
        for (LLVMTypeRef type : types) {
            key.append('#').append(type.address());
        }
        return declarations.computeIfAbsent(key.toString(), k ->
                new Callee(module.intrinsicType(name, types), module.intrinsicDeclaration(name, types)));
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
            LLVMValueRef function = module.addFunction(name, type, true);
            addFunctionAttribute(function, "nounwind");
            addFunctionAttribute(function, "willreturn");
            // memory(none): errno is never read by lowered code, so the calls are pure for LLVM and Enzyme alike.
            module.addFunctionAttribute(function, "memory", 0);
            return new Callee(type, function);
        });
    }

    Callee malloc() {
        return declarations.computeIfAbsent("malloc", k -> {
            LLVMTypeRef type = ir.functionType(ir.ptr(), ir.i64());
            LLVMValueRef function = module.addFunction("malloc", type, true);
            addFunctionAttribute(function, "nounwind");
            module.addReturnAttribute(function, "noalias");
            return new Callee(type, function);
        });
    }

    /**
     * A zeroed allocation of {@code bytes} (at least one: calloc of nothing may return null, and null means out of
     * memory), as {@code calloc(1, bytes)}. Why calloc and not malloc + memset: Enzyme gives a calloc a calloc'd
     * shadow, while for malloc + memset it left the shadow of an array written in an inner loop and passed to a callee
     * unzeroed until the memset's reverse, and the callee's reverse accumulated adjoints into that garbage
     * (docs/JAVA-SUBSET.md's RK4 solver, QA6 R1: 1e242 in its reverse Jacobian; {@code LoopArrayLifetimeTest}).
     */
    LLVMValueRef zeroedAllocation(LLVMValueRef bytes) {
        Callee umax = intrinsic("llvm.umax", ir.i64());
        LLVMValueRef request = ir.call(umax.type(), umax.function(), bytes, ir.constInt(ir.i64(), 1));
        Callee calloc = declarations.computeIfAbsent("calloc", k -> {
            LLVMTypeRef type = ir.functionType(ir.ptr(), ir.i64(), ir.i64());
            LLVMValueRef function = module.addFunction("calloc", type, true);
            addFunctionAttribute(function, "nounwind");
            module.addReturnAttribute(function, "noalias");
            return new Callee(type, function);
        });
        return ir.call(calloc.type(), calloc.function(), ir.constInt(ir.i64(), 1), request);
    }

    Callee free() {
        return declarations.computeIfAbsent("free", k -> {
            LLVMTypeRef type = ir.functionType(ir.voidType(), ir.ptr());
            LLVMValueRef function = module.addFunction("free", type, true);
            addFunctionAttribute(function, "nounwind");
            return new Callee(type, function);
        });
    }

    /** A matrix's row-length table was just allocated by the call {@code allocation}: see {@link #freeRowLengths}. */
    void rowLengthsAllocated(LLVMValueRef allocation) {
        if (forwardOnly) {
            ir.inactiveForAd(allocation);
        }
    }

    /**
     * The next allocation site inside a loop (an array or a matrix), numbered in lowering order across the module: the
     * number its cells are named by ({@link ConstantLoopArrays}), the same in every lowering of the same method.
     */
    int loopArraySite() {
        return loopArraySites++;
    }

    /**
     * Whether the loop allocation site {@code site} holds no derivative, as Enzyme found in an earlier attempt
     * ({@link ConstantLoopArrays}): in a forward-mode module it is then allocated inactive and freed through
     * {@link #freeUntracked}, as the row-length table is, for the same reason (its cell's phis across two loops).
     */
    boolean isConstantLoopArray(int site) {
        return forwardOnly && constantLoopArrays.contains(site);
    }

    /**
     * Frees a matrix's row-length table. In a module only forward mode differentiates, the table's allocation is
     * marked inactive for Enzyme ({@link #rowLengthsAllocated}) and freed out of its sight, through {@code void
     * jenzyme.free_inactive(ptr)}: a weak function calling free (nothing before Enzyme sees through it), its call
     * marked inactive. Why: a table made in a loop inside a loop reaches its frees (the next iteration's, the exit's)
     * through phis, and Enzyme, which proved the allocation inactive only from its uses, took those phis for active:
     * forward mode refused the nested Newton solve as "mixed activity" on the exit paths' cell (MixedActivityTest).
     * Marked, the allocation is inactive from its origin, and so is every phi of it. But Enzyme's forward mode deletes
     * the free of an inactive pointer it cannot trace to one allocation ("freeing without malloc"): with the mark and
     * plain free, the derivative's IR freed no table (a leak of 32 B per matrix): hence the weak function. (Without
     * the mark, 5*10^5 forward calls of a one-loop matrix kept malloc flat on the code before this change.)
     * Reverse-mode modules keep plain free: there Enzyme must see the free, to keep the table for its reverse sweep
     * (with the weak free a callee's matrix crashed the reverse sweep).
     */
    void freeRowLengths(LLVMValueRef table) {
        if (forwardOnly) {
            freeUntracked(table);
        } else {
            ir.call(free().type(), free().function(), table);
        }
    }

    /** Frees {@code memory}, allocated inactive in a forward-mode module, through the weak {@code jenzyme.free_inactive}. */
    void freeUntracked(LLVMValueRef memory) {
        Callee libcFree = free(); // declared first: a map is not changed inside its computeIfAbsent
        Callee untracked = declarations.computeIfAbsent("free_inactive", k -> {
            LLVMBasicBlockRef at = ir.currentBlock();
            LLVMTypeRef type = ir.functionType(ir.voidType(), ir.ptr());
            LLVMValueRef function = module.addFunction(RuntimeSymbols.FREE_INACTIVE, type, true);
            module.makeInterposable(function);
            addFunctionAttribute(function, "nounwind");
            ir.positionAtEnd(ir.appendBlock(function, "entry"));
            ir.call(libcFree.type(), libcFree.function(), ir.param(function, 0));
            ir.retVoid();
            ir.positionAtEnd(at);
            return new Callee(type, function);
        });
        ir.inactiveForAd(ir.call(untracked.type(), untracked.function(), memory));
    }

    /**
     * A function the JIT provides at run time ({@link RuntimeSymbols}: an upcall into the JVM, the rule-failure
     * hook), declared once per module.
     */
    Callee runtimeFunction(String name, LLVMTypeRef type) {
        return declarations.computeIfAbsent("runtime#" + name, k -> {
            LLVMValueRef function = module.addFunction(name, type, true);
            addFunctionAttribute(function, "nounwind");
            return new Callee(type, function);
        });
    }

    void makeInterposable(LLVMValueRef function) {
        module.makeInterposable(function);
    }

    /** Points Enzyme from {@code function} to {@code target} through function metadata {@code kind}. */
    void attachFunction(LLVMValueRef function, String kind, LLVMValueRef target) {
        module.attachFunction(function, kind, target);
    }

    /**
     * Whether a failure (an exception, an interrupt) unwinds at once to the call's guard instead of returning
     * through every caller: for reverse-mode derivatives ({@link UnwindingFailures}).
     */
    boolean unwindsFailures() {
        return unwindsFailures;
    }

    /**
     * {@code void jenzyme.fail_unwind(ptr status)} ({@link RuntimeSymbols#FAIL_UNWIND}): not noreturn before Enzyme
     * (the path after it must look like one that returns, see {@link UnwindingFailures}); the worker marks it so
     * after Enzyme, once it has taken the {@code willreturn} Enzyme puts on the calls it clones off every call of it
     * (worker/src/failure_checks.rs: with it, O3 deleted every {@code throw} of a gradient as undefined behaviour).
     * nofree: Enzyme asks it of every call whose tape values it keeps; nothing is freed before the unwinder leaves,
     * and after it the call's frames are gone.
     */
    Callee failUnwind() {
        return declarations.computeIfAbsent("fail_unwind", k -> {
            LLVMTypeRef type = ir.functionType(ir.voidType(), ir.ptr());
            LLVMValueRef function = module.addFunction(RuntimeSymbols.FAIL_UNWIND, type, true);
            addFunctionAttribute(function, "cold");
            addFunctionAttribute(function, "nounwind");
            addFunctionAttribute(function, "nofree");
            return new Callee(type, function);
        });
    }

    /** {@link ThrownValues}' store of a thrown message's values, defined on first use. */
    Callee thrownValueStore() {
        return declarations.computeIfAbsent("thrown_value", k -> ThrownValues.define(this, module));
    }

    /** {@link UnwindingFailures#define}'s check, defined once per module. */
    Callee failureCheck() {
        failUnwind(); // declared first: the check calls it, and a map is not changed inside its computeIfAbsent
        return declarations.computeIfAbsent("failure_check", k -> UnwindingFailures.define(this, module));
    }

    /** The external {@code i32} interrupt flag global (see {@link RuntimeSymbols#INTERRUPT_FLAG}). */
    LLVMValueRef interruptFlag() {
        if (interruptFlag == null) {
            interruptFlag = module.addExternalGlobal(ir.i32(), RuntimeSymbols.INTERRUPT_FLAG, 4);
        }
        return interruptFlag;
    }

    void addFunctionAttribute(LLVMValueRef function, String attribute) {
        module.addFunctionAttribute(function, attribute);
    }

    void addParameterAttribute(LLVMValueRef function, int parameterIndex, String attribute) {
        module.addParameterAttribute(function, parameterIndex, attribute);
    }

    Optional<String> verify() {
        return module.verify();
    }

    String irText() {
        return module.irText();
    }

    /** Whether the module has a function (declared or defined) called {@code symbol}. */
    boolean defines(String symbol) {
        return module.hasFunction(symbol);
    }

    byte[] bitcode() {
        return module.bitcode();
    }

    @Override
    public void close() {
        ir.close();
        module.close();
    }
}
