package jenzyme.runtime.lower;

import jenzyme.runtime.error.JavaWords;
import static org.bytedeco.llvm.global.LLVM.*;

import java.lang.classfile.CodeElement;
import java.lang.classfile.Instruction;
import java.lang.classfile.Label;
import java.lang.classfile.Opcode;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.classfile.instruction.ArrayLoadInstruction;
import java.lang.classfile.instruction.ArrayStoreInstruction;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.ConvertInstruction;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.IncrementInstruction;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.LabelTarget;
import java.lang.classfile.instruction.LoadInstruction;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.NewObjectInstruction;
import java.lang.classfile.instruction.NewMultiArrayInstruction;
import java.lang.classfile.instruction.NewPrimitiveArrayInstruction;
import java.lang.classfile.instruction.NopInstruction;
import java.lang.classfile.instruction.OperatorInstruction;
import java.lang.classfile.instruction.ReturnInstruction;
import java.lang.classfile.instruction.StackInstruction;
import java.lang.classfile.instruction.StoreInstruction;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.lang.classfile.instruction.TypeCheckInstruction;
import java.lang.constant.ConstantDesc;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Lowers one method body, instruction by instruction, by abstract interpretation of the JVM operand stack: stack
 * entries are LLVM SSA values while inside a basic block and go through stack slots across block boundaries (whose
 * shapes the StackMapTable gives). Locals live in allocas. Loops poll the interrupt flag (every chunk of iterations: {@link LoopShapes}). Anything
 * outside the subset becomes a {@link LoweringException} carrying the offset and source line of the instruction.
 */
final class MethodLowering {

    private final IrModule module;
    private final IrBuilder ir;
    private final ClassLibrary classes;
    private final LoweredFunctions functions;
    private final RuleCalls ruleCalls;
    private final LoweredFunction method;
    /** Whether loops poll every iteration or once per chunk (then they may vectorise). */
    private final LoopPolling polling;
    private final LLVMValueRef function;
    private final OperandStack stack = new OperandStack();
    private final Map<Integer, LLVMBasicBlockRef> blocks = new HashMap<>();
    /** Strip-mined loops (see {@link LoopShapes}) by header offset, and by the offset of their exit test. */
    private final Map<Integer, ChunkedLoop> chunks = new HashMap<>();
    private final Map<Integer, ChunkedLoop> chunkTests = new HashMap<>();
    /** While lowering a versioned loop's unchecked copy: its shape, its blocks and what it proves. */
    private LoopShape fastLoop;
    private final Map<Integer, LLVMBasicBlockRef> fastBlocks = new HashMap<>();
    private LoopVersion version;

    private CodePlan plan;
    private ThrowSites throwSites;
    private FrameSlots slots;
    private ExitPaths exits;
    private Arithmetic arithmetic;
    private ArrayOps arrays;
    private LoopAllocations loopArrays;
    private CarriedArrays carried;
    /** How the method returns an array, unless it is the entry (which fills the caller's result array). */
    private ArrayHandOver handOver;
    private ArrayLibrary library;
    private MathCalls math;
    private Boundary boundary;
    private RecordValues records;
    private LambdaValues lambdas;
    private StreamPipelines streams;
    /** The record shape each local slot last received (javac's scoped slots make program order reliable). */
    private final Map<Integer, RecordShape> recordLocals = new HashMap<>();
    /** Records under construction live across a jump (new R(c ? a : b)): no run-time value, so kept here. */
    private final Map<String, JValue> pendingAtJump = new HashMap<>();
    private boolean open;
    private int currentBlockStart = -1;
    private int bci;
    private int siteLine = Integer.MIN_VALUE;

    private MethodLowering(IrModule module, ClassLibrary classes, LoweredFunctions functions, RuleCalls ruleCalls,
                           LoweredFunction method, LoopPolling polling) {
        this.polling = polling;
        this.module = module;
        this.ir = module.ir();
        this.classes = classes;
        this.functions = functions;
        this.ruleCalls = ruleCalls;
        this.method = method;
        this.function = method.callee().function();
    }

    static void lower(IrModule module, ClassLibrary classes, LoweredFunctions functions, RuleCalls ruleCalls,
                      LoweredFunction method, LoopPolling polling) {
        new MethodLowering(module, classes, functions, ruleCalls, method, polling).run();
    }

    private void run() {
        MethodRef ref = method.ref();
        CodeAttribute code = (CodeAttribute) method.model().code().orElseThrow(
                () -> new LoweringException(Messages.NO_BYTECODE.format(), ref.owner(), ref.name(), ref.descriptor(), -1, -1, null));
        try {
            plan = CodePlan.of(code);
            throwSites = ThrowSites.of(code);
            plan.exceptionHandlerConstruct().ifPresent(construct -> {
                bci = construct.getValue();
                throw Unsupported.construct(construct.getKey());
            });
            try (FrameSlots frame = new FrameSlots(module, ir.appendBlock(function, "entry"))) {
                slots = frame;
                lowerBody(code);
            }
        } catch (Unsupported unsupported) {
            if (unsupported.bci() >= 0) {
                bci = unsupported.bci();
            }
            throw new LoweringException(unsupported.problem(), ref.owner(), ref.name(), ref.descriptor(), bci,
                    plan == null ? -1 : plan.line(bci), null);
        }
    }

    private void lowerBody(CodeAttribute code) {
        Shape returnType = method.signature().returnType();
        exits = new ExitPaths(module, function, ir.param(function, 0), returnType == JavaType.VOID
                || method.fillsResultArray() ? null : method.signature().returnsArray() ? module.arrayResultType()
                : module.boundaryType(returnType), slots);
        if (method.signature().returnsArray() && !method.entry()) {
            handOver = new ArrayHandOver(module, (JavaType) returnType, slots);
            exits.handOverResult(handOver);
        }

        boundary = new Boundary(module);
        records = new RecordValues(classes, slots, method.signature());
        lambdas = new LambdaValues(classes);
        arithmetic = new Arithmetic(module, exits);
        arrays = new ArrayOps(module, exits, slots);
        loopArrays = new LoopAllocations(plan);
        carried = new CarriedArrays(module, slots, exits, plan, method.signature().parameterSlots());
        library = new ArrayLibrary(module, function, exits, arrays, slots);
        math = new MathCalls(module, arithmetic, exits);
        streams = new StreamPipelines(module, function, slots, exits, arithmetic, arrays, math, this::applyLambda);
        LLVMBasicBlockRef start = ir.appendBlock(function, "start");
        ir.positionAtEnd(start);
        open = true;
        storeParameters();
        records.initialiseFields();
        LoopShapes.of(code, plan, polling).forEach((header, shape) -> {
            ChunkedLoop chunk = new ChunkedLoop(module, slots, exits, function, shape);
            chunks.put(header, chunk);
            chunkTests.put(shape.branchBci(), chunk);
        });
        List<CodeElement> elements = code.elementList();
        int[] offsets = new int[elements.size()];
        for (int k = 0, offset = 0; k < elements.size(); k++) {
            offsets[k] = offset;
            offset += elements.get(k) instanceof Instruction instruction ? instruction.sizeInBytes() : 0;
        }
        for (int k = 0; k < elements.size(); k++) {
            if (elements.get(k) instanceof LabelTarget target && chunks.get(plan.bci(target.label())) instanceof
                    ChunkedLoop chunk && chunk.shape().versioned() && chunk.dispatch() == null) {
                lowerUncheckedCopy(chunk, elements, offsets, k);
            }
            lowerElement(elements.get(k), offsets[k]);
        }
        if (open) {
            throw Unsupported.malformed("code falls off the end of the method");
        }
        carried.finish();
        exits.finish();
        slots.finish(start);
    }

    private void lowerElement(CodeElement element, int offset) {
        if (element instanceof LabelTarget target) {
            enterLabel(plan.bci(target.label()));
        } else if (element instanceof Instruction instruction) {
            bci = offset;
            exits.insideLoop(plan.isInsideLoop(bci));
            int line = plan.line(bci);
            if (line != siteLine) {
                siteLine = line;
                exits.atSite(module.siteId(method.ref().owner(), method.ref().name(), line));
            }
            lowerInstruction(instruction);
            JValue fresh = arrays.takeLoopAllocation();
            if (fresh != null) {
                loopArrays.allocated(fresh, bci);
            }
        }
    }

    /**
     * A versioned loop ({@link LoopVersion}): its entry block, then its code lowered once without the bounds checks
     * the dispatch proves, then the dispatch; the caller lowers the same code again, checked, as every other loop.
     */
    private void lowerUncheckedCopy(ChunkedLoop chunk, List<CodeElement> elements, int[] offsets, int first) {
        LoopShape shape = chunk.shape();
        if (open) {
            spillFor(shape.header());
            ir.br(chunk.outsideEntry());
        }
        chunk.emitEntry();
        fastLoop = shape;
        version = new LoopVersion(module, slots, shape);
        arrays.provedBy(version);
        startCopy();
        for (int k = first; k < elements.size() && offsets[k] <= shape.end(); k++) {
            lowerElement(elements.get(k), offsets[k]);
        }
        if (open) {
            throw Unsupported.malformed("a loop that does not end with its backward jump");
        }
        ir.positionAtEnd(chunk.dispatch());
        LLVMBasicBlockRef unchecked = fastBlocks.get(shape.header());
        fastLoop = null;
        arrays.provedBy(null);
        LLVMValueRef chosen = version.chosen();
        if (shape.oneChunk()) {
            chosen = ir.and(chosen, ir.xor(version.hasTrips(shape.chunk() + 1), ir.constInt(ir.i1(), 1)));
        }
        ir.condBr(chosen, unchecked, blockAt(shape.header()));
        if (shape.plainWhenShort()) {
            LoopVersion proved = version;
            chunk.emitGate(() -> proved.hasTrips(LoopShapes.LONG_TRIPS), blockAt(shape.header()));
        }
        version = null;
        fastBlocks.clear();
        startCopy();
    }

    /** Before lowering code a second time: no block is open and the failure site is recorded again. */
    private void startCopy() {
        open = false;
        currentBlockStart = -1;
        siteLine = Integer.MIN_VALUE;
    }

    private void storeParameters() {
        MethodSignature signature = method.signature();
        int[] parameterSlots = signature.parameterSlots();
        List<LLVMValueRef> params = new ArrayList<>();
        for (int index = 1; index < ir.paramCount(function); index++) {
            params.add(ir.param(function, index));
        }
        int[] next = {0};
        for (int i = 0; i < parameterSlots.length; i++) {
            storeLocal(parameterSlots[i], boundary.gather(params, signature.parameters().get(i), next),
                    method.parameterNames().get(i));
        }
    }

    // ---- blocks and the operand stack across them

    private void enterLabel(int labelBci) {
        if (!plan.isBlockStart(labelBci) || labelBci == currentBlockStart) {
            return;
        }
        ChunkedLoop chunk = fastLoop == null ? chunks.get(labelBci) : null;
        LLVMBasicBlockRef block = blockAt(labelBci);
        if (open) {
            spillFor(labelBci);
            ir.br(chunk != null ? chunk.outsideEntry() : block);
        }
        if (chunk != null && chunk.emitEntry()) {
            ir.br(block);
        }
        ir.positionAtEnd(block);
        open = true;
        currentBlockStart = labelBci;
        if (plan.isLoopHeader(labelBci) && pollsEveryIteration(labelBci)) {
            // Polled on entry to the header rather than before each back-edge: every cycle still passes a poll.
            // Measured on Rosenbrock's reverse gradient (5.6 -> 2.6 us at n=1000): with the poll before the
            // back-edge, post-AD O3 paired the shadow updates a[i], a[i+1] into 16-byte loads/stores that overlap
            // across iterations (store-forwarding stalls); with the poll here they stay scalar.
            exits.pollInterrupt();
        }
        stack.clear();
        List<ValueKind> kinds = plan.entryStack(labelBci);
        for (int depth = 0; depth < kinds.size(); depth++) {
            if (kinds.get(depth) != ValueKind.RECORD) {
                stack.push(slots.load("stack" + depth, kinds.get(depth), "stack" + depth));
                continue;
            }
            String key = "stack" + depth;
            JValue pending = pendingAtJump.get(labelBci + ":" + depth);
            stack.push(pending != null ? pending : plan.entryStackClass(labelBci, depth)
                    .map(name -> slots.load(key, records.shape(name), key))
                    .orElseThrow(() -> Unsupported.malformed("an unconstructed object at a jump target")));
        }
    }

    /** Whether the loop at {@code header}, in the copy being lowered, polls at its header: it is not strip-mined. */
    private boolean pollsEveryIteration(int header) {
        ChunkedLoop chunk = chunks.get(header);
        return chunk == null || fastLoop == null && (chunk.shape().plainWhenShort() || chunk.shape().oneChunk());
    }

    private void spillFor(int targetBci) {
        List<ValueKind> expected = plan.entryStack(targetBci);
        List<ValueKind> actual = stack.kinds();
        if (!expected.equals(actual)) {
            throw Unsupported.malformed("operand stack " + actual + " at a jump to offset " + targetBci
                    + " whose frame expects " + expected);
        }
        List<JValue> values = stack.values();
        values.forEach(v -> loopArrays.mustStay(v, Messages.LOOP_ARRAY_ACROSS_JUMP));
        values.forEach(v -> carried.escapes(v, bci));
        for (int depth = 0; depth < values.size(); depth++) {
            if (values.get(depth).isUnconstructed()) {
                pendingAtJump.put(targetBci + ":" + depth, values.get(depth));
            } else {
                slots.store("stack" + depth, values.get(depth), "stack" + depth);
            }
        }
    }

    private LLVMBasicBlockRef blockAt(int targetBci) {
        boolean unchecked = fastLoop != null && fastLoop.contains(targetBci);
        return (unchecked ? fastBlocks : blocks).computeIfAbsent(targetBci,
                b -> ir.appendBlock(function, (unchecked ? "u" : "b") + b));
    }

    /** Where a jump from the current instruction goes: into a strip-mined loop from outside, to its entry block. */
    private LLVMBasicBlockRef jumpTarget(int targetBci) {
        ChunkedLoop chunk = chunks.get(targetBci);
        return chunk != null && !chunk.shape().contains(bci) ? chunk.outsideEntry() : blockAt(targetBci);
    }

    private void jumpTo(int targetBci) {
        spillFor(targetBci);
        ir.br(jumpTarget(targetBci));
        open = false;
    }

    private void branchIf(LLVMValueRef condition, int targetBci) {
        spillFor(targetBci);
        ChunkedLoop chunk = chunkTests.get(bci);
        if (chunk != null && !pollsEveryIteration(chunk.shape().header())) {
            if (version != null) {
                version.exitTest(condition, true);
            }
            if (chunk.shape().oneChunk()) {
                // The dispatch admitted the whole trip (at most one chunk): no budget, and no nest of loops.
                LLVMBasicBlockRef next = ir.appendBlock(function, "u" + bci + ".next");
                ir.condBr(condition, blockAt(targetBci), next);
                ir.positionAtEnd(next);
                return;
            }
            chunk.exitTest(function, ir.xor(condition, ir.constInt(ir.i1(), 1)), blockAt(targetBci),
                    fastLoop != null ? "u" : "b");
            return;
        }
        LLVMBasicBlockRef next = ir.appendBlock(function, "b" + bci + ".next");
        ir.condBr(condition, jumpTarget(targetBci), next);
        ir.positionAtEnd(next);
    }

    // ---- instructions

    private void lowerInstruction(Instruction instruction) {
        currentBlockStart = -1;
        if (!open) {
            // Only reachable code follows a jump in javac output; keep any other code well formed but unreachable.
            ir.positionAtEnd(ir.appendBlock(function, "dead" + bci));
            open = true;
            stack.clear();
        }
        if (throwSites.covers(bci)) {
            // throw new X("constant"): one failure at its new; the binding creates the exception.
            throwSites.startingAt(bci).ifPresent(thrown -> {
                exits.raise(StatusCode.THROWN, ir.constInt(ir.i32(), module.thrownId(thrown)));
                open = false;
            });
            return;
        }
        if (!(instruction instanceof InvokeInstruction call && ruleCalls.covers(call, method.ref()))) {
            SubsetRules.refusal(instruction, classes).ifPresent(construct -> {
                throw Unsupported.refused(construct);
            });
        }
        switch (instruction) {
            case LoadInstruction load -> stack.push(carried.loaded(load.slot(),
                    loopArrays.loaded(load.slot(), loadLocal(load)), bci));
            case StoreInstruction store -> {
                JValue value = stack.pop();
                String name = plan.localName(store.slot());
                if (loopArrays.stored(store.slot(), value, bci)) {
                    carried.carry(store.slot(), value, bci, name);
                } else {
                    carried.stored(store.slot(), value, bci);
                    storeLocal(store.slot(), value, name);
                }
            }
            case IncrementInstruction increment -> {
                String name = plan.localName(increment.slot());
                JValue value = slots.load(localKey(increment.slot()), ValueKind.INT, name);
                slots.store(localKey(increment.slot()), JValue.scalar(ValueKind.INT,
                        ir.add(value.value(), ir.constInt(ir.i32(), increment.constant()))), name);
            }
            case ConstantInstruction constant -> stack.push(constant.opcode() == Opcode.ACONST_NULL
                    ? constant(null) : constant(constant.constantValue()));
            case OperatorInstruction operator -> operator(operator.opcode());
            case ConvertInstruction convert -> stack.push(arithmetic.convert(convert.fromType(), convert.toType(), stack.pop()));
            case StackInstruction stackInstruction -> stack.apply(stackInstruction.opcode());
            case BranchInstruction branch -> branch(branch);
            case TableSwitchInstruction table -> switchOn(table.defaultTarget(), table.cases());
            case LookupSwitchInstruction lookup -> switchOn(lookup.defaultTarget(), lookup.cases());
            case ReturnInstruction ret -> {
                if (method.fillsResultArray() && method.signature().returnsDoubles()) {
                    List<LLVMValueRef> leaves = new ArrayList<>();
                    boundary.flatten(stack.pop(), method.signature().returnType(), leaves);
                    arrays.leavesToResult(leaves, resultArray());
                    exits.returnValue(null);
                } else if (method.fillsResultArray()) {
                    arrays.copyToResult(stack.pop(), resultArray());
                    exits.returnValue(null);
                } else if (handOver != null) {
                    exits.returnValue(handOver.result(stack.pop()));
                } else {
                    Shape returnType = method.signature().returnType();
                    JValue result = records.underConstruction() != null ? records.constructed()
                            : ret.opcode() == Opcode.RETURN ? null : stack.pop();
                    exits.returnValue(result == null ? null : boundary.toResult(result, returnType));
                }
                open = false;
            }
            case ArrayLoadInstruction load -> {
                JValue index = stack.pop();
                stack.push(arrays.load(stack.pop(), index, load.typeKind()));
            }
            case ArrayStoreInstruction store -> {
                JValue value = stack.pop();
                JValue index = stack.pop();
                arrays.store(stack.pop(), index, value, store.typeKind());
            }
            case NewPrimitiveArrayInstruction newArray -> {
                refuseInReturnedRecord("new " + newArray.typeKind().upperBound().displayName() + "[]");
                stack.push(carried.made(arrays.newArray(stack.pop(), newArray.typeKind(), plan.isInsideLoop(bci))));
            }
            case NewMultiArrayInstruction newArray -> {
                JValue columns = stack.pop();
                stack.push(arrays.newMatrix(stack.pop(), columns, SubsetRules.newMatrixType(newArray).orElseThrow(),
                        plan.isInsideLoop(bci)));
            }
            case NewObjectInstruction newObject -> stack.push(records.allocate(newObject.className().asInternalName()));
            case FieldInstruction field when field.opcode() == Opcode.GETSTATIC -> stack.push(module.statics().read(
                    module, function, javaLlvmCount(), SubsetRules.staticField(field).orElseThrow()));
            case FieldInstruction field -> records.field(field, stack);
            case InvokeInstruction invoke -> invoke(invoke);
            case InvokeDynamicInstruction dynamic -> stack.push(lambdas.create(dynamic, stack));
            case TypeCheckInstruction cast when SubsetRules.isArrayCast(cast) -> {
                JValue array = stack.pop(); // a.clone()'s Object, cast back to a's type
                stack.push(carried.recast(array, loopArrays.recast(array, JValue.array(array.value(),
                        array.length(), JavaType.of(cast.type().asSymbol()).orElseThrow()))));
            }
            case NopInstruction nop -> { }
            // Fields, objects, lambdas, throw, monitors, type checks: refused above by SubsetRules.
            default -> throw Unsupported.construct(Messages.BYTECODE_INSTRUCTION,
                    SubsetRules.opcodeName(instruction.opcode()));
        }
    }

    /** A numeric constant (SubsetRules refused the others before). */
    private JValue constant(ConstantDesc value) {
        return switch (value) {
            case Integer i -> JValue.scalar(ValueKind.INT, ir.constInt(ir.i32(), i));
            case Long l -> JValue.scalar(ValueKind.LONG, ir.constInt(ir.i64(), l));
            case Float f -> JValue.scalar(ValueKind.FLOAT, ir.constReal(ir.f32(), f));
            case Double d -> JValue.scalar(ValueKind.DOUBLE, ir.constReal(ir.f64(), d));
            default -> throw Unsupported.construct(Messages.CONSTANT, value);
        };
    }

    private void operator(Opcode opcode) {
        switch (opcode) {
            case ARRAYLENGTH -> stack.push(JValue.scalar(ValueKind.INT, stack.pop().length()));
            case INEG, LNEG, FNEG, DNEG -> stack.push(arithmetic.negate(stack.pop()));
            default -> {
                JValue b = stack.pop();
                JValue a = stack.pop();
                stack.push(arithmetic.binary(opcode, a, b));
            }
        }
    }

    private void branch(BranchInstruction branch) {
        Opcode opcode = branch.opcode();
        int target = plan.bci(branch.target());
        switch (opcode) {
            case GOTO, GOTO_W -> jumpTo(target);
            case IFEQ, IFNE, IFLT, IFGE, IFGT, IFLE ->
                    branchIf(arithmetic.branchCondition(opcode, stack.pop().value(), null), target);
            case IF_ICMPEQ, IF_ICMPNE, IF_ICMPLT, IF_ICMPGE, IF_ICMPGT, IF_ICMPLE -> {
                JValue b = stack.pop();
                JValue a = stack.pop();
                branchIf(arithmetic.branchCondition(opcode, a.value(), b.value()), target);
            }
            default -> throw Unsupported.construct(Messages.BYTECODE_INSTRUCTION, SubsetRules.opcodeName(opcode));
        }
    }

    private void switchOn(Label defaultTarget, List<SwitchCase> cases) {
        LLVMValueRef key = stack.pop().value();
        int defaultBci = plan.bci(defaultTarget);
        spillFor(defaultBci);
        for (SwitchCase c : cases) {
            spillFor(plan.bci(c.target()));
        }
        LLVMValueRef instruction = ir.switchOn(key, jumpTarget(defaultBci), cases.size());
        for (SwitchCase c : cases) {
            ir.addCase(instruction, ir.constInt(ir.i32(), c.caseValue()), jumpTarget(plan.bci(c.target())));
        }
        open = false;
    }

    private void invoke(InvokeInstruction invoke) {
        String owner = invoke.owner().asInternalName();
        String name = invoke.name().stringValue();
        String descriptor = invoke.type().stringValue();
        int count = invoke.typeSymbol().parameterCount();
        if (ArrayLibrary.handles(owner, name, descriptor)) {
            int receiver = invoke.opcode() == Opcode.INVOKESTATIC ? 0 : 1; // clone() is called on the array
            JValue result = library.call(owner, name, descriptor, stack.popArguments(count + receiver),
                    plan.isInsideLoop(bci));
            if (result != null) {
                stack.push(carried.made(result)); // clone(), Arrays.copyOf: new arrays
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

    /** A lambda's method applied to {@code args} (stream pipelines call it from their loops): its result. */
    private JValue applyLambda(JValue lambda, List<JValue> args) {
        call(lambdas.resolveApplication(lambda, args));
        return stack.pop();
    }

    /** Lowers the call and pushes its result (or replaces the record a constructor call constructed). */
    private void call(LambdaValues.Call call) {
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
        if (name.equals("<init>")) {
            args.forEach(a -> loopArrays.mustStay(a, Messages.LOOP_ARRAY_IN_RECORD));
            args.forEach(a -> carried.escapes(a, bci));
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
        if (hasReceiver && placeholder == null) {
            java.util.Optional<JValue> component = records.accessor(owner, name, descriptor, args.getFirst());
            if (component.isPresent()) {
                stack.push(component.get());
                return;
            }
        }
        if (!hasReceiver) {
            java.util.Optional<JValue> ruled = ruleCalls.call(method.ref(), new MethodRef(owner, name, descriptor),
                    args);
            if (ruled.isPresent()) {
                stack.push(ruled.get());
                return;
            }
        }
        JavaType.of(java.lang.constant.MethodTypeDesc.ofDescriptor(descriptor).returnType())
                .filter(JavaType::isMatrix).ifPresent(matrix -> {
                    // Refused here, at the caller's line, rather than as the callee's signature inside the caller.
                    throw Unsupported.construct(Messages.CALLING_MATRIX_RESULT,
                            JavaWords.method(owner, name, descriptor), matrix.javaName());
                });
        LoweredFunction callee = functions.require(new MethodRef(owner, name, descriptor),
                lambdas.specialise(descriptor, args, hasReceiver && placeholder == null));
        if (callee.fillsResultArray()) {
            throw Unsupported.construct(Messages.CALLING_ARRAY_RESULT, JavaWords.method(owner, name, descriptor));
        }
        LLVMValueRef resultCell = null;
        if (callee.signature().returnsArray()) {
            refuseInReturnedRecord(JavaWords.method(owner, name, descriptor));
            resultCell = exits.newAllocationSlot(slots);
        }
        List<LLVMValueRef> llvmArgs = new ArrayList<>();
        llvmArgs.add(ir.param(function, 0));
        for (int i = 0; i < args.size(); i++) {
            boundary.flatten(args.get(i), callee.signature().parameters().get(i), llvmArgs);
        }
        module.statics().passAlong(module, function, javaLlvmCount(), llvmArgs);
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
        JValue returnedArray = resultCell == null ? null
                : ArrayHandOver.adopt(module, result, resultCell, (JavaType) returnType, plan.isInsideLoop(bci));
        exits.afterCall(depth);
        if (returnedArray != null) {
            if (plan.isInsideLoop(bci)) {
                loopArrays.allocated(returnedArray, bci);
            }
            stack.push(carried.made(returnedArray));
        } else if (placeholder != null) {
            stack.replaceAll(placeholder, boundary.result(result, returnType));
        } else if (returnType != JavaType.VOID) {
            stack.push(boundary.result(result, returnType));
        }
    }

    /** Refuses {@code what} (an allocation or a call) in a method returning a record that holds arrays. */
    private void refuseInReturnedRecord(String what) {
        if (method.signature().returnType() instanceof RecordShape returned
                && returned.leaves().stream().anyMatch(JavaType::isArray)) {
            throw Unsupported.construct(Messages.ARRAY_IN_RETURNED_RECORD, what, method.ref().asWritten());
        }
    }

    // ---- locals: records by the shape last stored in the slot

    private JValue loadLocal(LoadInstruction load) {
        String name = plan.localName(load.slot());
        if (load.typeKind() == java.lang.classfile.TypeKind.REFERENCE) {
            if (load.slot() == 0 && records.underConstruction() != null) {
                return records.underConstruction();
            }
            RecordShape shape = recordLocals.get(load.slot());
            if (shape != null) {
                return slots.load(localKey(load.slot()), shape, name);
            }
        }
        return slots.load(localKey(load.slot()), ValueKind.of(load.typeKind()), name);
    }

    private void storeLocal(int slot, JValue value, String name) {
        if (value.kind() == ValueKind.RECORD) {
            recordLocals.put(slot, value.shape());
        } else if (value.kind() == ValueKind.ARRAY) {
            recordLocals.remove(slot);
        }
        slots.store(localKey(slot), value, name);
    }

    /** The caller's result array of a method returning double[]: its last two LLVM parameters. */
    private JValue resultArray() {
        int end = javaLlvmCount(); // the result array comes before the static fields
        return JValue.array(ir.param(function, end - 2), ir.param(function, end - 1),
                method.signature().returnsDoubles() ? JavaType.DOUBLE_ARRAY : (JavaType) method.signature().returnType());
    }

    // ---- small helpers

    /** LLVM parameters before the hidden static fields: the status pointer and the Java parameters. */
    private int javaLlvmCount() {
        return 1 + method.signature().leaves().stream().mapToInt(p -> p.llvmTypes().size()).sum()
                + (method.fillsResultArray() ? 2 : 0); // the result array's (ptr, i32)
    }

    private static String localKey(int slot) {
        return "local" + slot;
    }
}
