package jenzyme.runtime.sparse;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeModel;
import java.lang.classfile.Instruction;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.ArrayLoadInstruction;
import java.lang.classfile.instruction.ArrayStoreInstruction;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.ConvertInstruction;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.IncrementInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.LoadInstruction;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.NewPrimitiveArrayInstruction;
import java.lang.classfile.instruction.NopInstruction;
import java.lang.classfile.instruction.OperatorInstruction;
import java.lang.classfile.instruction.ReturnInstruction;
import java.lang.classfile.instruction.StackInstruction;
import java.lang.classfile.instruction.StoreInstruction;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.lang.classfile.instruction.ThrowInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import jenzyme.runtime.lower.ClassBytesSource;
import jenzyme.runtime.lower.MethodRef;
import jenzyme.runtime.sparse.TracedValue.Kind;

/**
 * Sparsity detection for Jacobians: which y[i] can depend on which x[j], for every value of x and of the other
 * floating-point arguments. The method's bytecode runs once on an abstract machine whose doubles carry the set of x
 * entries they depend on instead of a number. Integers stay numbers where they are the same at every call (constants,
 * loop counters, array lengths, the int arguments), so indices such as {@code (i + n - 2) % n} are exact. A branch on
 * anything else (a comparison of doubles, say) is not decided: both ways are traced and their patterns united, so a
 * branch not taken at this x still counts. The pattern is therefore structural and holds for every call with the same
 * array lengths, integer arguments and lambda sites ({@link SparsityPattern.Key}); a lambda's call runs the static
 * method it calls ({@link TracedLambda}).
 *
 * <p>Whatever it cannot follow exactly gives up ({@link Optional#empty()}, the caller stays dense): an index that
 * depends on doubles, objects, 2-D arrays, calls other than static methods of known classes, lambdas, {@code Math} and
 * methods with a derivative rule, try
 * blocks, more than {@value #MAX_PATHS} paths (a branch on doubles inside a loop doubles them every iteration) or
 * {@value #MAX_STEPS} instructions.
 */
public final class DependencyTracer {

    static final int MAX_STEPS = 1 << 20;
    static final int MAX_PATHS = 64;
    private static final int MAX_DEPTH = 64;

    private final ClassBytesSource classes;
    private final Set<MethodRef> ruled;
    private final Map<String, TracedCode> methods = new HashMap<>();
    private final BitSet[] rows;
    private final int input;
    private final int output;
    private final ArrayDeque<TracedPath> pending = new ArrayDeque<>();
    private int steps;
    private int paths = 1;

    /** Why tracing stopped; the Jacobian stays dense. */
    static final class Untraceable extends Exception {
        Untraceable(String why) {
            super(why, null, false, false);
        }
    }

    private DependencyTracer(ClassBytesSource classes, Set<MethodRef> ruled, int m, int input, int output) {
        this.classes = classes;
        this.ruled = ruled;
        this.rows = new BitSet[m];
        for (int i = 0; i < m; i++) {
            rows[i] = new BitSet();
        }
        this.input = input;
        this.output = output;
    }

    /**
     * The pattern of dy/dx for a static method called with {@code arguments} (as written, boxed), x being argument
     * {@code input} and y argument {@code output}, or the returned array when {@code output} is -1; m entries of y.
     * Calls of the methods in {@code ruled} (those with a derivative rule, {@code %autodiff rule}) are not traced:
     * their derivative is the rule's, whose result depends on every argument.
     */
    public static Optional<SparsityPattern> trace(ClassBytesSource classes, Set<MethodRef> ruled, String owner,
                                                  String name, String descriptor, Object[] arguments, int input,
                                                  int output, int m) {
        DependencyTracer tracer = new DependencyTracer(classes, ruled, m, input, output);
        try {
            tracer.run(owner, name, MethodTypeDesc.ofDescriptor(descriptor), arguments);
        } catch (Untraceable | RuntimeException e) { // a class file this machine misreads also falls back to dense
            return Optional.empty();
        }
        return Optional.of(SparsityPattern.of(((double[]) arguments[input]).length, tracer.rows));
    }

    private void run(String owner, String name, MethodTypeDesc type, Object[] arguments) throws Untraceable {
        TracedValue[] locals = new TracedValue[code(owner, name, type).maxLocals];
        TracedArray y = null;
        int slot = 0;
        for (int p = 0; p < arguments.length; p++) {
            TracedValue value = isLambda(arguments[p]) ? TracedValue.lambda(TracedLambda.of(arguments[p], classes))
                    : TracedValue.argument(type.parameterType(p), arguments[p], p == input);
            y = p == output ? value.array() : y;
            locals[slot] = value;
            slot += value.kind().wide() ? 2 : 1;
        }
        pending.push(new TracedPath(new TracedFrame(code(owner, name, type), locals), y));
        while (!pending.isEmpty()) {
            follow(pending.pop());
        }
    }

    /** Runs one path to its end, queueing the other way of every undecided branch. */
    private void follow(TracedPath path) throws Untraceable {
        while (true) {
            if (++steps > MAX_STEPS) {
                throw new Untraceable("more than " + MAX_STEPS + " instructions");
            }
            TracedFrame frame = path.frames.peek();
            Instruction instruction = frame.code.instructions.get(frame.pc++);
            if (!execute(path, frame, instruction)) {
                return;
            }
        }
    }

    /** One instruction; false when the path has ended (returned from the method, or thrown). */
    private boolean execute(TracedPath path, TracedFrame frame, Instruction instruction) throws Untraceable {
        switch (instruction) {
            case LoadInstruction load -> frame.push(frame.locals[load.slot()]);
            case StoreInstruction store -> frame.locals[store.slot()] = frame.pop();
            case IncrementInstruction inc -> {
                TracedValue v = frame.locals[inc.slot()];
                frame.locals[inc.slot()] = v.isKnown() ? TracedValue.known(Kind.INT, v.known().intValue()
                        + inc.constant()) : v;
            }
            case ConstantInstruction constant -> frame.push(TracedValue.constant(constant.constantValue()));
            case OperatorInstruction operator -> {
                return operate(frame, operator.opcode());
            }
            case ConvertInstruction convert -> {
                TracedValue v = frame.pop();
                Kind to = Operations.kind(convert.toType());
                frame.push(v.isKnown() ? TracedValue.known(to, Operations.convert(v.known(), convert.toType()))
                        : TracedValue.varying(to, v.deps()));
            }
            case StackInstruction stack -> frame.shuffle(stack.opcode());
            case BranchInstruction branch -> branch(path, frame, branch);
            case TableSwitchInstruction table -> switchOn(path, frame, table.cases(), table.defaultTarget());
            case LookupSwitchInstruction lookup -> switchOn(path, frame, lookup.cases(), lookup.defaultTarget());
            case ArrayLoadInstruction load -> {
                int index = index(frame.pop());
                TracedArray array = frame.pop().array();
                if (array == null || index < 0 || index >= array.elements.length) {
                    return false; // the call throws there: no Jacobian from this path
                }
                frame.push(array.elements[index]);
            }
            case ArrayStoreInstruction store -> {
                TracedValue value = frame.pop();
                int index = index(frame.pop());
                TracedArray array = frame.pop().array();
                if (array == null || index < 0 || index >= array.elements.length) {
                    return false;
                }
                array.elements[index] = value.isKnown() && value.kind() == Kind.INT
                        ? TracedValue.known(Kind.INT, Operations.narrow(value.known().intValue(), store.typeKind()))
                        : value;
            }
            case NewPrimitiveArrayInstruction create -> {
                int length = index(frame.pop());
                if (length < 0) {
                    return false;
                }
                TracedValue[] elements = new TracedValue[length];
                java.util.Arrays.fill(elements, TracedValue.zero(create.typeKind().upperBound()));
                frame.push(TracedValue.reference(new TracedArray(elements)));
            }
            case InvokeInstruction invoke -> invoke(path, frame, invoke);
            case ReturnInstruction ret -> {
                return ret(path, ret);
            }
            case FieldInstruction field when field.opcode() == Opcode.GETSTATIC
                    && Kind.of(field.typeSymbol()) != Kind.REF ->
                    frame.push(TracedValue.varying(Kind.of(field.typeSymbol()), TracedValue.NONE));
            case ThrowInstruction ignored -> {
                return false;
            }
            case NopInstruction ignored -> { }
            default -> throw new Untraceable(instruction.opcode().name());
        }
        return true;
    }

    /** An object of a class the JVM made for a lambda site (what a functional-interface parameter is passed). */
    private static boolean isLambda(Object argument) {
        return argument != null && argument.getClass().isHidden();
    }

    private static int index(TracedValue value) throws Untraceable {
        if (!value.isKnown()) {
            throw new Untraceable("an index or length computed from floating-point values");
        }
        return value.known().intValue();
    }

    private boolean operate(TracedFrame frame, Opcode op) {
        if (op == Opcode.ARRAYLENGTH) {
            TracedArray array = frame.pop().array();
            if (array == null) {
                return false;
            }
            frame.push(TracedValue.known(Kind.INT, array.elements.length));
            return true;
        }
        boolean unary = op == Opcode.INEG || op == Opcode.LNEG || op == Opcode.DNEG || op == Opcode.FNEG;
        TracedValue b = unary ? null : frame.pop();
        TracedValue a = frame.pop();
        if (b != null && b.isKnown() && Operations.dividesByZero(op, b.known())) {
            return false;
        }
        Kind kind = Operations.resultKind(op);
        if (a.isKnown() && (b == null || b.isKnown())) {
            frame.push(TracedValue.known(kind, Operations.apply(op, a.known(), b == null ? null : b.known())));
        } else {
            frame.push(TracedValue.varying(kind, b == null ? a.deps() : TracedValue.union(a.deps(), b.deps())));
        }
        return true;
    }

    private void branch(TracedPath path, TracedFrame frame, BranchInstruction branch) throws Untraceable {
        Opcode op = branch.opcode();
        Boolean taken = switch (op) {
            case GOTO, GOTO_W -> true;
            case IFNULL, IFNONNULL -> frame.pop().isNull() == (op == Opcode.IFNULL);
            case IF_ACMPEQ, IF_ACMPNE -> {
                TracedValue b = frame.pop();
                TracedValue a = frame.pop();
                yield (a.array() == b.array() && a.lambda() == b.lambda()) == (op == Opcode.IF_ACMPEQ);
            }
            case IFEQ, IFNE, IFLT, IFGE, IFGT, IFLE -> {
                TracedValue v = frame.pop();
                yield v.isKnown() ? Operations.holds(op, v.known().intValue(), 0) : null;
            }
            default -> {
                TracedValue b = frame.pop();
                TracedValue a = frame.pop();
                yield a.isKnown() && b.isKnown() ? Operations.holds(op, a.known().intValue(), b.known().intValue())
                        : null;
            }
        };
        if (taken == null) {
            fork(path, branch.target());
        } else if (taken) {
            frame.pc = frame.code.target(branch.target());
        }
    }

    private void switchOn(TracedPath path, TracedFrame frame, List<SwitchCase> cases, Label otherwise)
            throws Untraceable {
        TracedValue key = frame.pop();
        if (key.isKnown()) {
            Label target = otherwise;
            for (SwitchCase c : cases) {
                target = c.caseValue() == key.known().intValue() ? c.target() : target;
            }
            frame.pc = frame.code.target(target);
            return;
        }
        Set<Label> targets = new LinkedHashSet<>();
        cases.forEach(c -> targets.add(c.target()));
        targets.remove(otherwise);
        for (Label target : targets) {
            fork(path, target);
        }
        frame.pc = frame.code.target(otherwise);
    }

    /** Queues a copy of the path that continues at {@code target}; this one falls through. */
    private void fork(TracedPath path, Label target) throws Untraceable {
        if (++paths > MAX_PATHS) {
            throw new Untraceable("more than " + MAX_PATHS + " paths");
        }
        TracedPath other = path.copy();
        TracedFrame top = other.frames.peek();
        top.pc = top.code.target(target);
        pending.push(other);
    }

    private void invoke(TracedPath path, TracedFrame frame, InvokeInstruction invoke) throws Untraceable {
        String owner = invoke.owner().asInternalName();
        String name = invoke.name().stringValue();
        MethodTypeDesc type = invoke.typeSymbol();
        boolean onLambda = invoke.opcode() == Opcode.INVOKEINTERFACE;
        if (invoke.opcode() != Opcode.INVOKESTATIC && !onLambda) {
            throw new Untraceable("a call of " + owner + "." + name);
        }
        TracedValue[] arguments = new TracedValue[type.parameterCount()];
        for (int p = arguments.length - 1; p >= 0; p--) {
            arguments[p] = frame.pop();
        }
        if (onLambda) { // the lambda's method, with what it captured before the call's arguments
            TracedLambda lambda = frame.pop().lambda();
            if (lambda == null) {
                throw new Untraceable("a call of " + owner + "." + name);
            }
            type = lambda.target(name, type);
            owner = lambda.impl().owner();
            name = lambda.impl().name();
            TracedValue[] withCaptured = java.util.Arrays.copyOf(lambda.captured(), type.parameterCount());
            System.arraycopy(arguments, 0, withCaptured, lambda.captured().length, arguments.length);
            arguments = withCaptured;
        }
        if (ruled.contains(new MethodRef(owner, name, type.descriptorString()))) {
            BitSet deps = TracedValue.NONE;
            for (TracedValue argument : arguments) {
                deps = TracedValue.union(deps, argument.deps());
            }
            frame.push(TracedValue.varying(Kind.of(type.returnType()), deps));
            return;
        }
        if (owner.equals("java/lang/Math") || owner.equals("java/lang/StrictMath")) {
            TracedValue result = MathCalls.call(name, type, arguments);
            if (result == null) {
                throw new Untraceable("Math." + name);
            }
            frame.push(result);
            return;
        }
        if (path.frames.size() >= MAX_DEPTH) {
            throw new Untraceable("calls nested deeper than " + MAX_DEPTH);
        }
        TracedCode callee = code(owner, name, type);
        TracedValue[] locals = new TracedValue[callee.maxLocals];
        int slot = 0;
        for (TracedValue argument : arguments) {
            locals[slot] = argument;
            slot += argument.kind().wide() ? 2 : 1;
        }
        path.frames.push(new TracedFrame(callee, locals));
    }

    /** Returns to the caller; the entry method's return ends the path and adds its y to the pattern. */
    private boolean ret(TracedPath path, ReturnInstruction ret) {
        TracedValue value = ret.opcode() == Opcode.RETURN ? null : path.frames.peek().pop();
        path.frames.pop();
        if (!path.frames.isEmpty()) {
            if (value != null) {
                path.frames.peek().push(value);
            }
            return true;
        }
        TracedArray y = output < 0 ? value.array() : path.y;
        for (int i = 0; y != null && i < Math.min(rows.length, y.elements.length); i++) {
            rows[i].or(y.elements[i].deps());
        }
        return false;
    }

    private TracedCode code(String owner, String name, MethodTypeDesc type) throws Untraceable {
        String key = owner + "." + name + type.descriptorString();
        TracedCode known = methods.get(key);
        if (known != null) {
            return known;
        }
        byte[] bytes = classes.bytesOf(owner).orElseThrow(() -> new Untraceable("no class file of " + owner));
        ClassModel model = ClassFile.of().parse(bytes);
        MethodModel method = model.methods().stream()
                .filter(m -> m.methodName().equalsString(name) && m.methodTypeSymbol().equals(type))
                .findFirst().orElseThrow(() -> new Untraceable("no method " + key));
        CodeModel code = method.code().orElseThrow(() -> new Untraceable("no code in " + key));
        if (!code.exceptionHandlers().isEmpty()) {
            throw new Untraceable("a try block in " + key);
        }
        TracedCode traced = new TracedCode(code);
        methods.put(key, traced);
        return traced;
    }
}
