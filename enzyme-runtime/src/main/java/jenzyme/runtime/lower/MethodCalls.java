package jenzyme.runtime.lower;

import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.InvokeInstruction;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import jenzyme.runtime.error.JavaWords;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The calls of one lowered method, for {@link MethodLowering}: each {@code invoke} goes to what lowers it — the array
 * library ({@link ArrayLibrary}), stream pipelines, {@code Math}, a record's accessor or constructor, a derivative
 * rule, a lambda's target, or another lowered method ({@link LoweredFunctions}), called with the status block, its
 * arguments flattened ({@link Boundary}) and the module's static fields, its failure checked after the call and a
 * new array it returns adopted ({@link ArrayHandOver}).
 */
final class MethodCalls {

    private final ControlFlow.Parts parts;
    private final IrBuilder ir;
    private final LoweredFunction method;
    private final LoweredFunctions functions;
    private final RuleCalls ruleCalls;
    private final LambdaValues lambdas;
    private final Boundary boundary;
    private final MathCalls math;
    private final ArrayLibrary library;
    private final StreamPipelines streams;
    /** LLVM parameters before the hidden static fields, which every call passes along. */
    private final int javaLlvmCount;
    /** The offset of the call being lowered. */
    private int bci;
    private final PassedArrays passed = new PassedArrays();

    MethodCalls(ControlFlow.Parts parts, LoweredFunction method, LoweredFunctions functions, RuleCalls ruleCalls,
                LambdaValues lambdas, Boundary boundary, Arithmetic arithmetic, int javaLlvmCount) {
        this.parts = parts;
        this.ir = parts.module().ir();
        this.method = method;
        this.functions = functions;
        this.ruleCalls = ruleCalls;
        this.lambdas = lambdas;
        this.boundary = boundary;
        this.javaLlvmCount = javaLlvmCount;
        this.math = new MathCalls(parts.module(), arithmetic, parts.exits());
        this.library = new ArrayLibrary(parts.module(), parts.function(), parts.exits(), parts.arrays(), parts.slots());
        this.streams = new StreamPipelines(parts.module(), parts.function(), parts.slots(), parts.exits(), arithmetic,
                parts.arrays(), math, this::applyLambda);
    }

    /** The {@code invoke} at {@code offset}: pops its arguments and pushes its result, if any. */
    void invoke(InvokeInstruction invoke, int offset) {
        bci = offset;
        OperandStack stack = parts.stack();
        String owner = invoke.owner().asInternalName();
        String name = invoke.name().stringValue();
        String descriptor = invoke.type().stringValue();
        int count = invoke.typeSymbol().parameterCount();
        if (ArrayLibrary.handles(owner, name, descriptor)) {
            int receiver = invoke.opcode() == Opcode.INVOKESTATIC ? 0 : 1; // clone() is called on the array
            JValue result = library.call(owner, name, descriptor, stack.popArguments(count + receiver),
                    parts.plan().isInsideLoop(bci));
            if (result != null) { // clone(), Arrays.copyOf: new arrays
                refuseInArrayRecordConstructor(JavaWords.method(owner, name, descriptor));
                stack.push(parts.carried().made(result));
            }
            return;
        }
        boolean hasReceiver = invoke.opcode() != Opcode.INVOKESTATIC;
        List<JValue> args = stack.popArguments(count + (hasReceiver ? 1 : 0));
        if (StreamPipelines.handles(owner, name)) {
            JValue result = streams.call(owner, name, descriptor, args);
            if (result != null) {
                stack.push(result);
            }
            return;
        }
        if (invoke.opcode() == Opcode.INVOKEINTERFACE) {
            call(lambdas.resolve(owner, name, descriptor, args));
            return;
        }
        call(new LambdaValues.Call(new MethodRef(owner, name, descriptor), args, !hasReceiver));
    }

    /** The arrays this method passes to the methods it calls. */
    PassedArrays passed() {
        return passed;
    }

    /** A lambda's method applied to {@code args} (stream pipelines call it from their loops): its result. */
    private JValue applyLambda(JValue lambda, List<JValue> args) {
        call(lambdas.resolveApplication(lambda, args));
        return parts.stack().pop();
    }

    /** Lowers the call and pushes its result (or replaces the record a constructor call constructed). */
    private void call(LambdaValues.Call call) {
        OperandStack stack = parts.stack();
        RecordValues records = parts.records();
        String owner = call.method().owner();
        String name = call.method().name();
        String descriptor = call.method().descriptor();
        List<JValue> args = new ArrayList<>(call.args());
        boolean hasReceiver = !call.isStatic();
        if (MathCalls.handles(owner)) {
            stack.push(math.call(owner, name, descriptor, args));
            return;
        }
        JValue placeholder = null;
        boolean keepsArguments = false;
        if (name.equals("<init>")) {
            keepsArguments = !owner.startsWith("java/") && records.keepsArguments(owner, descriptor);
            for (JValue a : args) { // a record keeping its arguments takes loop arrays (below), not objects or rows
                if (!keepsArguments || a.isObjectRef() || parts.loopArrays().isRow(a)) {
                    parts.loopArrays().mustStay(a, Messages.LOOP_ARRAY_IN_RECORD);
                }
            }
            args.forEach(a -> parts.carried().escapes(a, bci));
            placeholder = args.removeFirst();
            if (owner.equals("java/lang/Record") || owner.equals("java/lang/Object")) {
                if (placeholder != records.underConstruction()) {
                    throw Unsupported.construct(Messages.NEW_OBJECT, JavaWords.owner(owner));
                }
                return; // a value class's super(): nothing to do
            }
            if (!placeholder.isUnconstructed()) {
                throw Unsupported.malformed("a constructor called on a constructed record");
            }
        }
        if (records.underConstruction() != null && args.contains(records.underConstruction())) {
            // Its fields live in this constructor's frame until it returns them (RecordValues).
            throw Unsupported.construct(Messages.OBJECT_UNDER_CONSTRUCTION_PASSED,
                    records.underConstruction().shape().javaName());
        }
        if (hasReceiver && placeholder == null) {
            Optional<JValue> component = records.accessor(owner, name, descriptor, args.getFirst());
            if (component.isPresent()) {
                stack.push(component.get());
                return;
            }
        }
        if (!hasReceiver) {
            Optional<JValue> ruled = ruleCalls.call(method.ref(), new MethodRef(owner, name, descriptor), args);
            if (ruled.isPresent()) {
                stack.push(ruled.get());
                return;
            }
        }
        LoweredFunction callee = functions.require(new MethodRef(owner, name, descriptor),
                lambdas.specialise(descriptor, args, hasReceiver && placeholder == null));
        if (callee.fillsResultArray()) {
            throw Unsupported.construct(Messages.CALLING_ARRAY_RESULT, JavaWords.method(owner, name, descriptor));
        }
        if (callee.entry()) { // it takes an object from the JVM as the double[] of its fields (ParameterObjects)
            callee.signature().parameters().stream().filter(p -> p instanceof RecordShape r && r.isWritten())
                    .findFirst().ifPresent(copied -> {
                        throw Unsupported.construct(Messages.CALLING_COPIED_ENTRY,
                                JavaWords.method(owner, name, descriptor), "a " + copied.javaName());
                    });
        }
        ReturnedArrays.Returned returned = functions.returned().of(callee);
        if (callee.signature().returnsArray() || callee.handsOverArrays()) {
            refuseInArrayRecordConstructor(JavaWords.method(owner, name, descriptor));
            if (returned.kind() == ReturnedArrays.Kind.OTHER) {
                throw Unsupported.construct(Messages.CALLING_RETURNS_SHARED, JavaWords.method(owner, name, descriptor),
                        returned.why(), returned.hint());
            }
        }
        passed.passed(callee, args, parts.carried());
        LLVMValueRef function = parts.function();
        ExitPaths exits = parts.exits();
        List<LLVMValueRef> llvmArgs = new ArrayList<>();
        llvmArgs.add(ir.param(function, 0));
        for (int i = 0; i < args.size(); i++) {
            boundary.flatten(args.get(i), callee.signature().parameters().get(i), llvmArgs);
        }
        parts.module().statics().passAlong(parts.module(), function, javaLlvmCount, llvmArgs);
        if (callee == method) {
            // Recursion without loops (fib(60)) has no loop header to poll at: poll before each self-call.
            exits.pollInterrupt();
        }
        ExitPaths.CallFrame depth = exits.beforeCall();
        LLVMValueRef result = ir.call(callee.callee().type(), callee.callee().function(),
                llvmArgs.toArray(LLVMValueRef[]::new));
        // Java has no tail calls: a self-call turned into a loop would neither overflow like the JVM's nor poll.
        ir.noTail(result);
        Shape returnType = callee.signature().returnType();
        boolean insideLoop = parts.plan().isInsideLoop(bci);
        boolean handsOver = callee.handsOverArrays() && returned.kind() == ReturnedArrays.Kind.NEW;
        JValue returnedArray = !handsOver ? null : callee.signature().returnsArray()
                ? ArrayHandOver.adopt(parts.module(), exits, parts.slots(), result, (JavaType) returnType, insideLoop)
                : ArrayHandOver.adoptRecord(parts.module(), exits, parts.slots(), boundary.result(result, returnType),
                        insideLoop); // a record's arrays, each handed over
        exits.afterCall(depth);
        if (returned.kind() == ReturnedArrays.Kind.PARAMETER) {
            stack.push(args.get(returned.parameter())); // the JVM's same array: the argument itself
        } else if (returned.kind() == ReturnedArrays.Kind.BORROWED && callee.signature().returnsArray()) {
            // the argument it chose
            stack.push(parts.carried().chosen(args, parts.loopArrays().chosen(args,
                    ArrayHandOver.borrowed(ir, result, (JavaType) returnType))));
        } else if (returnedArray != null) {
            for (JValue array : returnedArray.arrays()) {
                if (insideLoop) {
                    parts.loopArrays().allocated(array, bci);
                }
                parts.carried().made(array);
            }
            stack.push(returnedArray);
        } else if (placeholder != null) {
            JValue constructed = records.constructed(placeholder, boundary.result(result, returnType));
            if (constructed.isObjectRef() && insideLoop) {
                parts.loopArrays().allocated(constructed, bci); // its block is reused by the next iteration
            }
            if (keepsArguments) { // each component is its argument: what is known of the argument holds for it
                for (int i = 0; i < args.size(); i++) {
                    List<JValue> given = args.get(i).arrays(), kept = constructed.components().get(i).arrays();
                    for (int k = 0; k < given.size(); k++) {
                        parts.loopArrays().inherit(given.get(k), kept.get(k));
                        parts.carried().inherit(given.get(k), kept.get(k));
                    }
                }
            }
            stack.replaceAll(placeholder, constructed);
        } else if (returnType != JavaType.VOID) {
            stack.push(boundary.result(result, returnType));
        }
    }

    /**
     * Refuses {@code what} (an allocation or a call returning arrays) in a constructor of a record or object that
     * holds arrays: a constructor keeps the arrays it is given, so an array it made would be freed under the record.
     */
    void refuseInArrayRecordConstructor(String what) {
        if (method.signature().kind() == MethodSignature.Kind.CONSTRUCTOR
                && method.signature().returnType() instanceof RecordShape built
                && built.leaves().stream().anyMatch(JavaType::isArray)) {
            throw Unsupported.construct(Messages.ARRAY_IN_RECORD_CONSTRUCTOR, what, method.ref().asWritten());
        }
    }
}
