package jenzyme.runtime.lower;

import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.constant.DirectMethodHandleDesc;
import java.lang.constant.MethodTypeDesc;
import java.util.Optional;

/**
 * What a lambda or method reference calls, read from its {@code invokedynamic} (the {@code LambdaMetafactory}
 * bootstrap's arguments): the functional interface and its abstract method, and the implementation method javac
 * generated ({@code lambda$loss$0}) or the method referred to ({@code Model::rhs}). The captured values are the
 * implementation's leading arguments (the receiver first for an instance method).
 *
 * @param iface internal name of the functional interface
 * @param samDescriptor the interface method's descriptor as the lambda instantiates it (no erased generics)
 * @param impl the method the lambda calls
 * @param implStatic whether {@code impl} is static (else its receiver is the first captured or first argument)
 */
public record LambdaTarget(String iface, String samName, String samDescriptor, MethodRef impl, boolean implStatic) {

    private static final String METAFACTORY_OWNER = "java/lang/invoke/LambdaMetafactory";

    /** The target of {@code dynamic} if it is a plain {@code LambdaMetafactory.metafactory} site; else empty. */
    static Optional<LambdaTarget> of(InvokeDynamicInstruction dynamic) {
        DirectMethodHandleDesc bootstrap = dynamic.bootstrapMethod();
        if (!bootstrap.owner().descriptorString().equals("L" + METAFACTORY_OWNER + ";")
                || !bootstrap.methodName().equals("metafactory") || dynamic.bootstrapArgs().size() != 3
                || !(dynamic.bootstrapArgs().get(1) instanceof DirectMethodHandleDesc impl)
                || !(dynamic.bootstrapArgs().get(2) instanceof MethodTypeDesc instantiated)) {
            return Optional.empty();
        }
        String iface = dynamic.typeSymbol().returnType().descriptorString();
        boolean isStatic = impl.kind() == DirectMethodHandleDesc.Kind.STATIC
                || impl.kind() == DirectMethodHandleDesc.Kind.INTERFACE_STATIC;
        return Optional.of(new LambdaTarget(iface.substring(1, iface.length() - 1), dynamic.name().stringValue(),
                instantiated.descriptorString(), new MethodRef(impl.owner().descriptorString()
                        .replaceAll("^L|;$", ""), impl.methodName(), impl.lookupDescriptor()), isStatic));
    }
}
