package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.LLVMIntEQ;
import static org.bytedeco.llvm.global.LLVM.LLVMIntNE;

import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import jenzyme.runtime.error.JavaWords;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Calls of methods that have a {@link DerivativeRule}: each goes through a shim {@code double @<primal>.rule(double
 * x1, ..., double xk)} carrying Enzyme's custom-derivative metadata ({@code enzyme_derivative} → the forward glue,
 * {@code enzyme_augment} → the shim itself (no tape), {@code enzyme_gradient} → the reverse glue), so Enzyme calls the
 * rule wherever the method is called and never looks into the shim.
 *
 * <p>Why a shim of doubles only, and not the lowered method with its status pointer: Enzyme hands a custom derivative
 * the activity of each argument, and the status pointer is a constant one; in forward mode Enzyme can adapt a rule to
 * constant double or integer arguments but not to a constant pointer (it then silently differentiates the body). So
 * the shim keeps a status block of its own on the stack, passes it to the compiled methods it calls, and on a failure
 * hands it to the runtime hook {@link RuntimeSymbols#RULE_FAILED} (an upcall: the binding raises the exception after
 * the call). The static fields every lowered function takes are passed as zero: rule methods may not read any (checked
 * on their bytecode, callees included). Shims, glue and hook are external symbols so that the optimiser before Enzyme
 * neither inlines the shim nor drops the glue only the metadata refers to.
 */
final class RuleCalls {

    private final IrModule module;
    private final IrBuilder ir;
    private final LoweredFunctions functions;
    private final ClassLibrary classes;
    private final DerivativeRules rules;
    private final Map<MethodRef, Optional<Callee>> shims = new HashMap<>();
    private final Set<MethodRef> jvmCalls = new LinkedHashSet<>();
    private Callee passThrough;

    RuleCalls(IrModule module, LoweredFunctions functions, ClassLibrary classes, DerivativeRules rules) {
        this.module = module;
        this.ir = module.ir();
        this.functions = functions;
        this.classes = classes;
        this.rules = rules;
    }

    /** The JVM methods the module calls back (upcalls the JIT must provide). */
    List<MethodRef> jvmCalls() {
        return List.copyOf(jvmCalls);
    }

    /**
     * Whether {@code invoke}, in {@code caller}, calls a method with a rule or is a JVM call of a rule method (so no
     * subset rule about its class applies).
     */
    boolean covers(InvokeInstruction invoke, MethodRef caller) {
        if (invoke.opcode() != Opcode.INVOKESTATIC) {
            return false;
        }
        MethodRef callee = new MethodRef(invoke.owner().asInternalName(), invoke.name().stringValue(),
                invoke.type().stringValue());
        return rules.find(callee).isPresent() || callsBackFrom(caller, callee);
    }

    /**
     * Whether {@code caller} calls {@code callee} back in the JVM: a rule's forward or reverse method may call a
     * library method of doubles (Hipparchus {@code Gamma.digamma} in the rule of {@code Gamma.logGamma}) without a
     * rule of its own, because Enzyme never differentiates a rule method; it gets the value as primal code would.
     */
    private boolean callsBackFrom(MethodRef caller, MethodRef callee) {
        return rules.isRuleMethod(caller) && !classes.has(callee.owner()) && !MathCalls.handles(callee.owner())
                && DerivativeRule.fitsPrimal(callee.descriptor());
    }

    /**
     * Emits the call of {@code method} (in {@code caller}) with {@code args} through its rule's shim, or back into
     * the JVM ({@link #callsBackFrom}), at the builder's position; empty if the call is an ordinary one (no rule, or
     * a compiled method whose rule lacks this sweep's derivative: Enzyme then differentiates its body).
     */
    Optional<JValue> call(MethodRef caller, MethodRef method, List<JValue> args) {
        if (callsBackFrom(caller, method)) {
            return Optional.of(JValue.scalar(ValueKind.DOUBLE, upcall(method,
                    args.stream().map(JValue::value).toList())));
        }
        Optional<DerivativeRule> rule = rules.find(method);
        if (rule.isEmpty()) {
            return Optional.empty();
        }
        Optional<Callee> shim = shims.get(method);
        if (shim == null) {
            LLVMBasicBlockRef at = ir.currentBlock();
            shim = shim(rule.get());
            ir.positionAtEnd(at);
            shims.put(method, shim);
        }
        return shim.map(callee -> {
            LLVMValueRef value = ir.call(callee.type(), callee.function(),
                    args.stream().map(JValue::value).toArray(LLVMValueRef[]::new));
            if (rules.sweep() == DerivativeRules.Sweep.REVERSE) {
                Callee pass = passThrough();
                value = ir.call(pass.type(), pass.function(), value);
            }
            return JValue.scalar(ValueKind.DOUBLE, value);
        });
    }

    /**
     * {@code double @jenzyme_rule_value(double v)}, returning v, defined weak so that nothing before Enzyme sees
     * through it. Why: where the caller needs a rule's result only for its own result ({@code return cube(x) + x}),
     * Enzyme would move the call into a combined forward-and-reverse sub-derivative, a path of its custom-gradient
     * code that asserts (EnzymeLogic.cpp: {@code !key.returnUsed}) and aborted the worker; a user of the result that
     * is an ordinary call keeps Enzyme on the augmented-forward/gradient path. Costs one call per rule call.
     */
    private Callee passThrough() {
        if (passThrough == null) {
            LLVMBasicBlockRef at = ir.currentBlock();
            LLVMTypeRef type = ir.functionType(ir.f64(), ir.f64());
            LLVMValueRef function = module.addFunction(RuntimeSymbols.RULE_VALUE, type, true);
            module.makeInterposable(function);
            ir.positionAtEnd(ir.appendBlock(function, "entry"));
            ir.ret(ir.param(function, 0));
            ir.positionAtEnd(at);
            passThrough = new Callee(type, function);
        }
        return passThrough;
    }

    private Optional<Callee> shim(DerivativeRule rule) {
        Optional<MethodRef> needed = switch (rules.sweep()) {
            case PRIMAL, SECOND_ORDER -> Optional.empty();
            case FORWARD -> rule.forward();
            case REVERSE -> rule.reverse();
        };
        if (needed.isEmpty() && rule.inJvm() && rules.sweep() != DerivativeRules.Sweep.PRIMAL) {
            throw Unsupported.construct(Messages.RULE_NO_DERIVATIVE, rule.primal().asWritten(), switch (rules.sweep()) {
                case FORWARD -> "forward=<method>";
                case REVERSE -> "reverse=<method>";
                default -> Messages.RULE_SECOND_ORDER.format();
            });
        }
        if (needed.isEmpty() && !rule.inJvm()) {
            return Optional.empty();
        }
        for (MethodRef compiled : compiledMethods(rule)) {
            refuseStaticReads(compiled, rule.primal(), new HashSet<>());
        }
        int k = rule.arity();
        LLVMTypeRef[] doubles = new LLVMTypeRef[k];
        java.util.Arrays.fill(doubles, ir.f64());
        LLVMTypeRef type = ir.functionType(ir.f64(), doubles);
        String base = SymbolNames.of(rule.primal()) + ".rule";
        LLVMValueRef shim = module.addFunction(base, type, true);
        module.addFunctionAttribute(shim, "noinline");
        ir.positionAtEnd(ir.appendBlock(shim, "entry"));
        LLVMValueRef status = newStatus();
        ir.ret(value(rule, status, params(shim, 0, k)));
        if (rules.sweep() == DerivativeRules.Sweep.FORWARD) {
            module.attachFunction(shim, "enzyme_derivative", forwardGlue(rule, base, needed.get()));
        } else if (rules.sweep() == DerivativeRules.Sweep.REVERSE) {
            module.attachFunction(shim, "enzyme_augment", shim);
            module.attachFunction(shim, "enzyme_gradient", reverseGlue(rule, base, needed.get()));
        }
        return Optional.of(new Callee(type, shim));
    }

    /** {@code {double, T} fwd(double x1, T dx1, ..., double xk, T dxk)}, T = double or [width x double]. */
    private LLVMValueRef forwardGlue(DerivativeRule rule, String base, MethodRef forward) {
        int k = rule.arity();
        int width = rules.width();
        LLVMTypeRef lane = width == 1 ? ir.f64() : ir.arrayType(ir.f64(), width);
        LLVMTypeRef[] params = new LLVMTypeRef[2 * k];
        for (int i = 0; i < k; i++) {
            params[2 * i] = ir.f64();
            params[2 * i + 1] = lane;
        }
        LLVMTypeRef result = ir.structType(ir.f64(), lane);
        LLVMValueRef glue = module.addFunction(base + ".fwd", ir.functionType(result, params), true);
        ir.positionAtEnd(ir.appendBlock(glue, "entry"));
        LLVMValueRef status = newStatus();
        List<LLVMValueRef> xs = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            xs.add(ir.param(glue, 2 * i));
        }
        LLVMValueRef value = value(rule, status, xs);
        LLVMValueRef tangent = ir.undef(lane);
        for (int w = 0; w < width; w++) {
            List<LLVMValueRef> args = new ArrayList<>(xs);
            for (int i = 0; i < k; i++) {
                LLVMValueRef dx = ir.param(glue, 2 * i + 1);
                args.add(width == 1 ? dx : ir.extractValue(dx, w));
            }
            LLVMValueRef t = compiledCall(forward, status, args);
            tangent = width == 1 ? t : ir.insertValue(tangent, t, w);
        }
        ir.ret(ir.insertValue(ir.insertValue(ir.undef(result), value, 0), tangent, 1));
        return glue;
    }

    /** {@code {double x k} rev(double x1, ..., double xk, double dy)}: the adjoint of each argument. */
    private LLVMValueRef reverseGlue(DerivativeRule rule, String base, MethodRef reverse) {
        int k = rule.arity();
        LLVMTypeRef[] params = new LLVMTypeRef[k + 1];
        LLVMTypeRef[] fields = new LLVMTypeRef[k];
        java.util.Arrays.fill(params, ir.f64());
        java.util.Arrays.fill(fields, ir.f64());
        LLVMTypeRef result = ir.structType(fields);
        LLVMValueRef glue = module.addFunction(base + ".rev", ir.functionType(result, params), true);
        ir.positionAtEnd(ir.appendBlock(glue, "entry"));
        LLVMValueRef status = newStatus();
        List<LLVMValueRef> args = params(glue, 0, k + 1);
        LLVMValueRef out = ir.undef(result);
        if (rule.scalarReverse()) {
            out = ir.insertValue(out, compiledCall(reverse, status, args), 0);
        } else {
            // The rule hands over a new double[] (ArrayHandOver): k partials are read from it, then it is freed.
            // After a failure the array is an empty copy: only a call that succeeded can have the wrong length.
            LLVMValueRef handed = uncheckedCall(reverse, status, args);
            LLVMValueRef succeeded = ir.icmp(LLVMIntEQ, ir.load(ir.i32(), status, "rule.status"), ir.zero(ir.i32()));
            reportIfFailed(status);
            LLVMValueRef data = ir.extractValue(handed, 0);
            LLVMValueRef length = ir.extractValue(handed, 1);
            LLVMValueRef kept = ir.icmp(LLVMIntEQ, length, ir.constInt(ir.i32(), k));
            LLVMValueRef wrong = ir.and(succeeded, ir.xor(kept, ir.constInt(ir.i1(), 1)));
            module.tbaa().attach(ir.store(ir.select(wrong, ir.constInt(ir.i32(), StatusCode.RESULT_LENGTH.code()),
                    ir.zero(ir.i32())), status), JavaType.INT);
            module.tbaa().attach(ir.store(length, ir.inBoundsGep(ir.i32(), status, ir.constInt(ir.i64(), 1))),
                    JavaType.INT);
            module.tbaa().attach(ir.store(ir.constInt(ir.i32(), k), ir.inBoundsGep(ir.i32(), status,
                    ir.constInt(ir.i64(), 2))), JavaType.INT);
            reportIfFailed(status);
            // A wrong length (or a failure) reads zeros instead, after the hook reported it.
            LLVMTypeRef array = ir.arrayType(ir.f64(), k);
            LLVMValueRef zeros = ir.alloca(array, "no.partials");
            ir.store(ir.zero(array), zeros);
            LLVMValueRef partials = ir.select(kept, data, zeros);
            for (int i = 0; i < k; i++) {
                LLVMValueRef slot = ir.inBoundsGep(ir.f64(), partials, ir.constInt(ir.i64(), i));
                out = ir.insertValue(out, ir.load(ir.f64(), slot, "partial"), i);
            }
            ir.call(module.free().type(), module.free().function(), data);
        }
        ir.ret(out);
        return glue;
    }

    /** The primal's value: its compiled body, or the JVM through an upcall. */
    private LLVMValueRef value(DerivativeRule rule, LLVMValueRef status, List<LLVMValueRef> xs) {
        return rule.inJvm() ? upcall(rule.primal(), xs) : compiledCall(rule.primal(), status, xs);
    }

    /** A call of the JVM method {@code method} of doubles, through its FFM upcall. */
    private LLVMValueRef upcall(MethodRef method, List<LLVMValueRef> xs) {
        jvmCalls.add(method);
        LLVMTypeRef[] doubles = new LLVMTypeRef[xs.size()];
        java.util.Arrays.fill(doubles, ir.f64());
        Callee upcall = module.runtimeFunction(RuntimeSymbols.jvmCall(method), ir.functionType(ir.f64(), doubles));
        return ir.call(upcall.type(), upcall.function(), xs.toArray(LLVMValueRef[]::new));
    }

    /** A call of a lowered method with this glue's status block, then the failure hook if it failed. */
    private LLVMValueRef compiledCall(MethodRef method, LLVMValueRef status, List<LLVMValueRef> args) {
        LLVMValueRef result = uncheckedCall(method, status, args);
        reportIfFailed(status);
        return result;
    }

    /** {@link #compiledCall} without reading the status block: the caller reports the failure. */
    private LLVMValueRef uncheckedCall(MethodRef method, LLVMValueRef status, List<LLVMValueRef> args) {
        Callee callee = functions.require(method).callee();
        List<LLVMValueRef> all = new ArrayList<>();
        all.add(status);
        all.addAll(args);
        for (StaticField field : module.statics().known()) {
            field.type().llvmTypes().forEach(t -> all.add(ir.zero(t.equals("ptr") ? ir.ptr() : llvmType(t))));
        }
        return ir.call(callee.type(), callee.function(), all.toArray(LLVMValueRef[]::new));
    }

    /** Calls the failure hook if the status block holds a failure, then clears it. */
    private void reportIfFailed(LLVMValueRef status) {
        LLVMValueRef failed = ir.icmp(LLVMIntNE, ir.load(ir.i32(), status, "rule.status"), ir.zero(ir.i32()));
        LLVMValueRef function = ir.currentFunction();
        LLVMBasicBlockRef report = ir.appendBlock(function, "rule.failed");
        LLVMBasicBlockRef next = ir.appendBlock(function, "rule.ok");
        ir.condBr(failed, report, next);
        ir.positionAtEnd(report);
        Callee hook = module.runtimeFunction(RuntimeSymbols.RULE_FAILED, ir.functionType(ir.voidType(), ir.ptr()));
        ir.call(hook.type(), hook.function(), status);
        ir.store(ir.zero(statusType()), status);
        ir.br(next);
        ir.positionAtEnd(next);
    }

    private LLVMTypeRef llvmType(String name) {
        return switch (name) {
            case "double" -> ir.f64();
            case "float" -> ir.f32();
            case "i64" -> ir.i64();
            case "i8" -> ir.i8();
            default -> ir.i32();
        };
    }

    private LLVMTypeRef statusType() {
        return ir.arrayType(ir.i32(), StatusCode.BLOCK_INTS);
    }

    private LLVMValueRef newStatus() {
        LLVMValueRef status = ir.alloca(statusType(), "rule.status");
        ir.store(ir.zero(statusType()), status);
        return status;
    }

    private List<LLVMValueRef> params(LLVMValueRef function, int from, int to) {
        List<LLVMValueRef> params = new ArrayList<>();
        for (int i = from; i < to; i++) {
            params.add(ir.param(function, i));
        }
        return params;
    }

    private static List<MethodRef> compiledMethods(DerivativeRule rule) {
        List<MethodRef> methods = new ArrayList<>();
        if (!rule.inJvm()) {
            methods.add(rule.primal());
        }
        rule.forward().ifPresent(methods::add);
        rule.reverse().ifPresent(methods::add);
        return methods;
    }

    /** Refuses a rule method (or a static method it calls) that reads a static field: the glue passes none. */
    private void refuseStaticReads(MethodRef method, MethodRef primal, Set<MethodRef> seen) {
        if (!seen.add(method) || !classes.has(method.owner())) {
            return;
        }
        classes.method(method).code().ifPresent(code -> code.forEach(element -> {
            if (element instanceof FieldInstruction field && field.opcode() == Opcode.GETSTATIC) {
                throw Unsupported.construct(Messages.RULE_READS_FIELD, method.asWritten(), primal.asWritten(),
                        JavaWords.owner(field.owner().asInternalName()) + "." + field.name().stringValue());
            }
            if (element instanceof InvokeInstruction invoke && invoke.opcode() == Opcode.INVOKESTATIC) {
                refuseStaticReads(new MethodRef(invoke.owner().asInternalName(), invoke.name().stringValue(),
                        invoke.type().stringValue()), primal, seen);
            }
        }));
    }
}
