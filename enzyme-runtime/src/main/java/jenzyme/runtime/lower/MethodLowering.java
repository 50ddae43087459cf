package jenzyme.runtime.lower;

import java.lang.classfile.CodeElement;
import java.lang.classfile.Instruction;
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
import java.lang.classfile.instruction.NewReferenceArrayInstruction;
import java.lang.classfile.instruction.NopInstruction;
import java.lang.classfile.instruction.OperatorInstruction;
import java.lang.classfile.instruction.ReturnInstruction;
import java.lang.classfile.instruction.StackInstruction;
import java.lang.classfile.instruction.StoreInstruction;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.lang.classfile.instruction.TypeCheckInstruction;
import java.lang.constant.ConstantDesc;
import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Lowers one method body, instruction by instruction, by abstract interpretation of the JVM operand stack: stack
 * entries are LLVM SSA values while inside a basic block and go through stack slots across block boundaries (whose
 * shapes the StackMapTable gives). Locals live in allocas. The blocks, jumps and loops are {@link ControlFlow}'s
 * (loops poll the interrupt flag, every chunk of iterations: {@link LoopShapes}), the calls {@link MethodCalls}'.
 * Anything outside the subset becomes a {@link LoweringException} carrying the offset and source line of the
 * instruction.
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
    /** Where the arrays it returns come from (then set with handOver). */
    private ReturnedArrays.Returns returns;
    private Boundary boundary;
    private RecordValues records;
    private WrittenObjects written;
    private LambdaValues lambdas;
    private ControlFlow flow;
    private MethodCalls calls;
    private Locals locals;
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
        } catch (WrittenObjects.Discovered written) {
            throw written.at(ref, bci, plan.line(bci));
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
                || method.fillsResultArray() ? null : method.signature().returnsArray()
                ? module.arrayResultType((JavaType) returnType) : module.boundaryType(returnType), slots);
        if (method.handsOverArrays()) {
            handOver = new ArrayHandOver(module, returnType, slots);
            if (!method.signature().returnsArray() || functions.returned().of(method).kind() == ReturnedArrays.Kind.NEW) {
                exits.handOverResult(handOver); // a returned parameter is the caller's own argument: no copy
            }
        }

        boundary = new Boundary(module);
        written = new WrittenObjects(module, slots, boundary);
        records = new RecordValues(classes, slots, method.signature(), written);
        lambdas = new LambdaValues(classes);
        arithmetic = new Arithmetic(module, exits);
        arrays = new ArrayOps(module, exits, slots);
        loopArrays = new LoopAllocations(plan);
        Variables variables = new Variables(plan);
        carried = new CarriedArrays(module, slots, exits, plan, variables, method.signature().parameterSlots());
        returns = handOver == null || !method.signature().returnsArray() ? null
                : new ReturnedArrays.Returns(method, carried);
        ControlFlow.Parts parts = new ControlFlow.Parts(module, function, plan, stack, slots, exits, arrays, loopArrays,
                carried, records);
        calls = new MethodCalls(parts, method, functions, ruleCalls, lambdas, boundary, arithmetic, javaLlvmCount());
        locals = new Locals(slots, plan, variables, loopArrays, carried, records);
        LLVMBasicBlockRef start = ir.appendBlock(function, "start");
        ir.positionAtEnd(start);
        storeParameters();
        records.initialiseFields();
        flow = new ControlFlow(parts, code, polling);
        List<CodeElement> elements = code.elementList();
        int[] offsets = new int[elements.size()];
        for (int k = 0, offset = 0; k < elements.size(); k++) {
            offsets[k] = offset;
            offset += elements.get(k) instanceof Instruction instruction ? instruction.sizeInBytes() : 0;
        }
        for (int k = 0; k < elements.size(); k++) {
            if (elements.get(k) instanceof LabelTarget target
                    && flow.uncheckedCopyDue(plan.bci(target.label())) instanceof ChunkedLoop chunk) {
                int first = k;
                flow.lowerUncheckedCopy(chunk, () -> {
                    siteLine = Integer.MIN_VALUE; // the copy records its failure sites again
                    for (int j = first; j < elements.size() && offsets[j] <= chunk.shape().end(); j++) {
                        lowerElement(elements.get(j), offsets[j]);
                    }
                });
                siteLine = Integer.MIN_VALUE;
            }
            lowerElement(elements.get(k), offsets[k]);
        }
        if (flow.isOpen()) {
            throw Unsupported.malformed("code falls off the end of the method");
        }
        carried.finish();
        if (returns != null) {
            returns.finish(functions.returned());
        }
        functions.lowered(new ConstantArrays.Method(method.symbol(), method.ref(), method.parameterNames(),
                SharedArray.of(method, carried, plan), calls.passed().calls(method, carried)));
        exits.finish();
        slots.finish(start);
    }

    private void lowerElement(CodeElement element, int offset) {
        if (element instanceof LabelTarget target) {
            flow.enterLabel(plan.bci(target.label()));
        } else if (element instanceof Instruction instruction) {
            bci = offset;
            exits.insideLoop(plan.isInsideLoop(bci));
            int line = plan.line(bci);
            if (line != siteLine) {
                Interruption.poll(); // per source line: cheap, and a long straight-line method stops promptly
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

    private void storeParameters() {
        MethodSignature signature = method.signature();
        int[] parameterSlots = signature.parameterSlots();
        List<LLVMValueRef> params = new ArrayList<>();
        for (int index = 1; index < ir.paramCount(function); index++) {
            params.add(ir.param(function, index));
        }
        int[] next = {0};
        for (int i = 0; i < parameterSlots.length; i++) {
            Shape shape = signature.parameters().get(i);
            // the entry takes an object from the JVM whose class is written by its ObjectLayout
            JValue value = method.entry() && ObjectLayout.isCopied(shape)
                    ? ParameterObjects.copyIn(module, written, exits, (RecordShape) shape, params, next)
                    : boundary.gather(params, shape, next);
            locals.storeParameter(parameterSlots[i], value, method.parameterNames().get(i));
        }
    }

    // ---- instructions

    private void lowerInstruction(Instruction instruction) {
        flow.startInstruction(bci);
        if (throwSites.covers(bci)) {
            // throw new X(message): one failure, at the new or (a joined message) after its values; the binding
            // creates the exception.
            throwSites.refusalAt(bci).ifPresent(refusal -> {
                throw Unsupported.refused(refusal);
            });
            throwSites.raisedAt(bci).ifPresent(this::raise);
            return;
        }
        if (!(instruction instanceof InvokeInstruction call && ruleCalls.covers(call, method.ref()))) {
            SubsetRules.refusal(instruction, classes).ifPresent(construct -> {
                throw Unsupported.refused(construct);
            });
        }
        switch (instruction) {
            case LoadInstruction load -> stack.push(locals.load(load.slot(), load.typeKind(), bci));
            case StoreInstruction store -> locals.store(store.slot(), stack.pop(), bci);
            case IncrementInstruction increment -> {
                String name = plan.localName(increment.slot());
                JValue value = slots.load(Variables.key(increment.slot()), ValueKind.INT, name);
                slots.store(Variables.key(increment.slot()), JValue.scalar(ValueKind.INT,
                        ir.add(value.value(), ir.constInt(ir.i32(), increment.constant()))), name);
            }
            case ConstantInstruction constant -> stack.push(constant.opcode() == Opcode.ACONST_NULL
                    ? constant(null) : constant(constant.constantValue()));
            case OperatorInstruction operator -> operator(operator.opcode());
            case ConvertInstruction convert -> stack.push(arithmetic.convert(convert.fromType(), convert.toType(), stack.pop()));
            case StackInstruction stackInstruction -> stack.apply(stackInstruction.opcode());
            case BranchInstruction branch -> flow.branch(branch, arithmetic);
            case TableSwitchInstruction table -> flow.switchOn(table.defaultTarget(), table.cases());
            case LookupSwitchInstruction lookup -> flow.switchOn(lookup.defaultTarget(), lookup.cases());
            case ReturnInstruction ret -> {
                if (method.fillsResultArray() && method.signature().returnsDoubles()) {
                    List<LLVMValueRef> leaves = new ArrayList<>();
                    boundary.flatten(stack.pop(), method.signature().returnType(), leaves);
                    arrays.leavesToResult(leaves, resultArray());
                    exits.returnValue(null);
                } else if (method.fillsResultArray()) {
                    arrays.copyToResult(stack.pop(), resultArray());
                    exits.returnValue(null);
                } else if (handOver != null && method.signature().returnsArray()) {
                    JValue array = stack.pop();
                    returns.returning(array);
                    exits.returnValue(handOver.result(array));
                } else {
                    Shape returnType = method.signature().returnType();
                    JValue result = records.underConstruction() != null ? records.constructed()
                            : ret.opcode() == Opcode.RETURN ? null : stack.pop();
                    exits.returnValue(result == null ? null : boundary.toResult(result, returnType));
                }
                flow.ended();
            }
            case ArrayLoadInstruction load -> {
                JValue index = stack.pop();
                JValue array = stack.pop();
                stack.push(carried.row(array, loopArrays.row(array, arrays.load(array, index, load.typeKind()))));
            }
            case ArrayStoreInstruction store -> {
                JValue value = stack.pop();
                JValue index = stack.pop();
                arrays.store(stack.pop(), index, value, store.typeKind(), carried.isNew(value), plan.line(bci));
            }
            case NewPrimitiveArrayInstruction newArray -> {
                calls.refuseInArrayRecordConstructor("new " + newArray.typeKind().upperBound().displayName() + "[]");
                stack.push(carried.made(arrays.newArray(stack.pop(), newArray.typeKind(), plan.isInsideLoop(bci))));
            }
            case NewMultiArrayInstruction newArray -> {
                JValue columns = stack.pop();
                stack.push(carried.made(arrays.newMatrix(stack.pop(), columns,
                        SubsetRules.newMatrixType(newArray).orElseThrow(), plan.isInsideLoop(bci))));
            }
            case NewReferenceArrayInstruction newRows -> {
                // SubsetRules let only rows through: new double[][]{{a, b}, {c, d}} starts with new double[2][]
                JavaType rowType = JavaType.of(newRows.componentType().asSymbol()).orElseThrow();
                if (!plan.isRowLiteral(bci)) {
                    throw Unsupported.construct(Messages.NEW_OBJECT_ARRAY, rowType.javaName());
                }
                stack.push(carried.made(arrays.newRows(stack.pop(), rowType.matrixOfRows(), plan.isInsideLoop(bci))));
            }
            case NewObjectInstruction newObject -> stack.push(records.allocate(newObject.className().asInternalName()));
            case FieldInstruction field when field.opcode() == Opcode.GETSTATIC -> stack.push(carried.readStatic(
                    module.statics().read(module, function, javaLlvmCount(), SubsetRules.staticField(field)
                            .orElseThrow()), field.name().stringValue()));
            case FieldInstruction field -> records.field(field, stack);
            case InvokeInstruction invoke -> calls.invoke(invoke, bci);
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

    /** Raises {@code thrown}, taking a joined message's values off the stack (pushed first, popped last). */
    private void raise(ThrownExceptions.Thrown thrown) {
        LLVMValueRef id = ir.constInt(ir.i32(), module.thrownId(thrown));
        if (thrown.joined() == null) {
            exits.raise(StatusCode.THROWN, id);
        } else {
            String kinds = thrown.joined().kinds();
            LLVMValueRef[] values = new LLVMValueRef[kinds.length()];
            for (int k = values.length - 1; k >= 0; k--) {
                values[k] = stack.pop().value();
            }
            exits.raiseJoined(id, kinds, List.of(values));
        }
        flow.ended();
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

    /** The caller's result array of a method returning double[]: its last two LLVM parameters. */
    private JValue resultArray() {
        int end = javaLlvmCount(); // the result array comes before the static fields
        return JValue.array(ir.param(function, end - 2), ir.param(function, end - 1),
                method.signature().returnsDoubles() ? JavaType.DOUBLE_ARRAY : (JavaType) method.signature().returnType());
    }

    // ---- small helpers

    /** LLVM parameters before the hidden static fields: the status pointer and the Java parameters. */
    private int javaLlvmCount() {
        return 1 + method.signature().leaves(method.entry()).stream().mapToInt(p -> p.llvmTypes().size()).sum()
                + (method.fillsResultArray() ? 2 : 0); // the result array's (ptr, i32)
    }

}
