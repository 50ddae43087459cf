package jenzyme.runtime.lower;

import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.error.JavaWords;
import jenzyme.runtime.error.Messages;

/**
 * Lambdas and method references inside compiled code. A lambda is a value ({@link ClassLibrary#lambdaShape}): its
 * captured values, with the method it calls known at compile time. Calling its interface method is a direct call of
 * that method with the captured values first; passing it to a method lowers a copy of that method specialised on
 * the lambda (its descriptor names the lambda's shape instead of the interface), so a solver called with two
 * right-hand sides becomes two functions, each with its right-hand side inlinable and differentiable like any call.
 */
final class LambdaValues {

    /** A call after the lambda (or a record behind an interface) is resolved: the method and all its arguments. */
    record Call(MethodRef method, List<JValue> args, boolean isStatic) {}

    private final ClassLibrary classes;

    LambdaValues(ClassLibrary classes) {
        this.classes = classes;
    }

    /** Whether the lambda site names code compiled code can call (notebook code or Math); else the refusal. */
    static String refusal(InvokeDynamicInstruction dynamic, ClassLibrary classes) {
        if (dynamic.name().stringValue().startsWith("makeConcat")) {
            return Messages.STRING_CONCATENATION.format();
        }
        var target = LambdaTarget.of(dynamic);
        if (target.isEmpty()) {
            return Messages.LAMBDA.format();
        }
        MethodRef impl = target.get().impl();
        if (impl.name().equals("<init>")) {
            return Messages.LAMBDA_CONSTRUCTOR.format(JavaWords.owner(impl.owner()));
        }
        boolean callable = classes.has(impl.owner()) || MathCalls.handles(impl.owner());
        return callable ? null : Messages.LAMBDA_FOREIGN_TARGET.format(impl.asWritten(),
                JavaWords.owner(target.get().iface()));
    }

    /** The lambda value {@code dynamic} creates from the captured values on {@code stack}. */
    JValue create(InvokeDynamicInstruction dynamic, OperandStack stack) {
        LambdaTarget target = LambdaTarget.of(dynamic).orElseThrow(() -> Unsupported.construct(Messages.LAMBDA));
        MethodTypeDesc type = dynamic.typeSymbol();
        List<JValue> captured = stack.popArguments(type.parameterCount());
        List<Shape> shapes = new ArrayList<>();
        for (int i = 0; i < captured.size(); i++) {
            ClassDesc declared = type.parameterType(i);
            JValue value = captured.get(i);
            shapes.add(JavaType.of(declared).map(Shape.class::cast).orElseGet(() -> {
                if (value.kind() != ValueKind.RECORD || value.isUnconstructed()) {
                    throw Unsupported.type("captured", declared.descriptorString());
                }
                return value.shape();
            }));
        }
        return JValue.record(classes.lambdaShape(target, shapes), captured);
    }

    /**
     * The call {@code invokeinterface owner.name descriptor} on {@code args.getFirst()} becomes: the lambda's method
     * with its captured values before the arguments, or for a record or object behind an interface its own method.
     */
    Call resolve(String owner, String name, String descriptor, List<JValue> args) {
        JValue receiver = args.getFirst();
        String written = JavaWords.method(owner, name, descriptor);
        if (receiver.kind() != ValueKind.RECORD || receiver.isUnconstructed()) {
            throw Unsupported.construct(Messages.LAMBDA_UNKNOWN_RECEIVER, written);
        }
        var target = classes.lambdaTarget(receiver.shape().internalName());
        if (target.isEmpty() && receiver.shape().isFunctional()) {
            throw Unsupported.construct(Messages.LAMBDA_PARAMETER, written);
        }
        if (target.isEmpty()) {
            return new Call(new MethodRef(receiver.shape().internalName(), name, descriptor), args, false);
        }
        LambdaTarget lambda = target.get();
        if (!lambda.samName().equals(name)) {
            throw Unsupported.construct(Messages.LAMBDA_OTHER_METHOD, written);
        }
        MethodTypeDesc sam = MethodTypeDesc.ofDescriptor(lambda.samDescriptor());
        MethodTypeDesc impl = MethodTypeDesc.ofDescriptor(lambda.impl().descriptor());
        int captured = receiver.components().size() - (lambda.implStatic() ? 0 : 1);
        boolean exact = erasureOf(sam, MethodTypeDesc.ofDescriptor(descriptor)) && impl.returnType().equals(sam.returnType())
                && captured >= 0 && impl.parameterCount() == captured + sam.parameterCount()
                && impl.parameterList().subList(captured, impl.parameterCount()).equals(sam.parameterList());
        if (!exact) {
            throw Unsupported.construct(Messages.LAMBDA_TYPES, lambda.impl().asWritten(),
                    JavaWords.owner(lambda.iface()));
        }
        List<JValue> all = new ArrayList<>(receiver.components());
        all.addAll(args.subList(1, args.size()));
        return new Call(lambda.impl(), all, lambda.implStatic());
    }

    /** {@code lambda} applied to {@code args}, as its interface method would be called. */
    Call resolveApplication(JValue lambda, List<JValue> args) {
        LambdaTarget target = classes.lambdaTarget(lambda.shape().internalName()).orElseThrow(
                () -> Unsupported.malformed("a stream operation's argument is not a lambda"));
        List<JValue> all = new ArrayList<>(List.of(lambda));
        all.addAll(args);
        return resolve(target.iface(), target.samName(), target.samDescriptor(), all);
    }

    /**
     * Whether {@code called} (the interface method's descriptor at the call) is {@code sam} or its erasure: a
     * generic interface over arrays or records ({@code ToDoubleFunction<double[]>}) takes {@code Object} where the
     * lambda takes the array, which is the same value here. Boxed numbers ({@code Function<Double, Double>}) differ.
     */
    private static boolean erasureOf(MethodTypeDesc sam, MethodTypeDesc called) {
        if (sam.parameterCount() != called.parameterCount() || !sam.returnType().equals(called.returnType())) {
            return false;
        }
        for (int i = 0; i < sam.parameterCount(); i++) {
            ClassDesc declared = sam.parameterType(i);
            boolean erased = called.parameterType(i).descriptorString().equals("Ljava/lang/Object;")
                    && !declared.isPrimitive() && !declared.descriptorString().startsWith("Ljava/lang/");
            if (!declared.equals(called.parameterType(i)) && !erased) {
                return false;
            }
        }
        return true;
    }

    /**
     * The descriptor of the copy of a method taking {@code args} specialised on the lambdas among them: each
     * parameter that receives a lambda is typed as that lambda's shape (other descriptors stay as they are).
     */
    String specialise(String descriptor, List<JValue> args, boolean hasReceiver) {
        MethodTypeDesc type = MethodTypeDesc.ofDescriptor(descriptor);
        int offset = hasReceiver ? 1 : 0;
        for (int i = 0; i < type.parameterCount(); i++) {
            JValue arg = args.get(i + offset);
            if (arg.kind() == ValueKind.RECORD && !arg.isUnconstructed()
                    && classes.lambdaTarget(arg.shape().internalName()).isPresent()) {
                type = type.changeParameterType(i, ClassDesc.ofDescriptor(ClassLibrary.descriptorOf(arg.shape())));
            }
        }
        return type.descriptorString();
    }
}
