package jenzyme.runtime.lower;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import jenzyme.runtime.error.JavaWords;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.error.Messages;

/**
 * A lambda a call passes to a functional-interface parameter of the method you compile, as the compiler needs it:
 * which method it calls ({@link LambdaTarget}) and the types of what it captured, in the order of the lambda
 * class's fields ({@code captures}, read by the binding at each call and passed as Const native parameters).
 *
 * <p>How the target is found: the JVM makes a hidden class per lambda site, named after the class that holds the
 * site ({@code Host$$Lambda/0x...}); its fields are the captured values. The site is the {@code invokedynamic} in
 * that class's bytecode of the same interface capturing the same types. Two such sites in one class that call
 * different methods cannot be told apart from the object, and are refused.
 */
public record EntryLambda(int parameter, String parameterName, LambdaTarget target, List<Shape> captured,
                          List<Field> captures) {

    public EntryLambda {
        captured = List.copyOf(captured);
        captures = List.copyOf(captures);
    }

    /** The lambda {@code lambda}, passed as parameter {@code parameter} ({@code name}) of a compiled method. */
    public static EntryLambda of(int parameter, String name, Object lambda, ClassBytesSource source) {
        if (lambda == null) {
            throw refused(Messages.LAMBDA_ARGUMENT_NULL, name);
        }
        Class<?> type = lambda.getClass();
        if (!type.isHidden() || type.getInterfaces().length != 1) {
            throw refused(Messages.LAMBDA_ARGUMENT_OBJECT, name, type.getName());
        }
        // The JVM names a lambda's class after the class holding its site: Host$$Lambda/0x... (nested classes too).
        int suffix = type.getName().indexOf("$$Lambda");
        String host = (suffix < 0 ? type.getNestHost().getName() : type.getName().substring(0, suffix))
                .replace('.', '/');
        List<Field> fields = new ArrayList<>();
        for (Field field : type.getDeclaredFields()) {
            if (!Modifier.isStatic(field.getModifiers())) {
                fields.add(field);
            }
        }
        fields.sort(Comparator.comparingInt(f -> Integer.parseInt(f.getName().substring(f.getName().indexOf('$') + 1))));
        // Numbers and their arrays, and records and objects of final classes of the notebook (this::rhs captures
        // this): all read at each call, their fields flattened like a record parameter's.
        ClassLibrary classes = new ClassLibrary(source);
        List<Shape> captured = new ArrayList<>();
        for (Field field : fields) {
            String descriptor = field.getType().descriptorString();
            // thrown here, not from Optional.orElseThrow: the user's traceback would show that JDK frame
            Optional<Shape> shape = JavaType.ofDescriptor(descriptor).filter(t -> t != JavaType.VOID)
                    .map(Shape.class::cast).or(() -> descriptor.startsWith("L") ? classes.valueShape(
                            descriptor.substring(1, descriptor.length() - 1)).map(Shape.class::cast) : Optional.empty());
            if (shape.isEmpty()) {
                throw refused(Messages.LAMBDA_ARGUMENT_CAPTURE, name, JavaWords.type(descriptor));
            }
            captured.add(shape.get());
        }
        String iface = type.getInterfaces()[0].getName().replace('.', '/');
        byte[] bytes = host.startsWith("java/") || host.startsWith("jdk/") ? null : source.bytesOf(host).orElse(null);
        if (bytes == null) {
            throw refused(Messages.LAMBDA_ARGUMENT_FOREIGN, name, JavaWords.owner(host));
        }
        ClassModel hostModel = ClassFile.of().parse(bytes);
        Set<LambdaTarget> sites = sameCodeOnce(hostModel, sites(hostModel, iface,
                captured.stream().map(t -> ClassDesc.ofDescriptor(ClassLibrary.descriptorOf(t))).toList()));
        if (sites.size() != 1) {
            // A cell's own code is held by a wrapper class without a name of the user's (JavaWords gives "").
            String hostWord = JavaWords.owner(host).isEmpty() ? Messages.LAMBDA_HOST_CELL.format()
                    : JavaWords.owner(host);
            throw refused(sites.isEmpty() ? Messages.LAMBDA_ARGUMENT_FOREIGN : Messages.LAMBDA_ARGUMENT_AMBIGUOUS,
                    name, hostWord, JavaWords.owner(iface));
        }
        return new EntryLambda(parameter, name, sites.iterator().next(), captured, fields);
    }

    private static Set<LambdaTarget> sites(ClassModel host, String iface, List<ClassDesc> captured) {
        Set<LambdaTarget> targets = new LinkedHashSet<>();
        host.methods().forEach(method -> method.code().ifPresent(code -> code.forEach(element -> {
            if (element instanceof InvokeDynamicInstruction dynamic) {
                MethodTypeDesc type = dynamic.typeSymbol();
                LambdaTarget.of(dynamic).filter(t -> t.iface().equals(iface) && type.parameterList().equals(captured))
                        .ifPresent(targets::add);
            }
        })));
        return targets;
    }

    /**
     * {@code sites} with the lambdas of identical code counted once: the same lambda written twice in a cell
     * ({@code euler_native((t, y) -> -0.5 * y + t, ...)} next to {@code euler((t, y) -> -0.5 * y + t, ...)}, QA R5)
     * compiles to two synthetic methods of one class with the same bytecode, so either is the lambda called.
     */
    private static Set<LambdaTarget> sameCodeOnce(ClassModel host, Set<LambdaTarget> sites) {
        java.util.Map<String, LambdaTarget> byCode = new java.util.LinkedHashMap<>();
        for (LambdaTarget site : sites) {
            MethodRef impl = site.impl();
            String code = host.thisClass().asInternalName().equals(impl.owner()) ? host.methods().stream()
                    .filter(m -> m.methodName().equalsString(impl.name()) && m.methodType().equalsString(
                            impl.descriptor()))
                    .flatMap(m -> m.findAttribute(java.lang.classfile.Attributes.code()).stream())
                    .map(c -> java.util.HexFormat.of().formatHex(c.codeArray())).findFirst().orElse(null) : null;
            // The same class's constant pool: equal bytes and descriptors are equal code (line numbers aside).
            byCode.putIfAbsent(code == null ? site.toString() : site.iface() + site.samName() + site.samDescriptor()
                    + site.implStatic() + impl.descriptor() + code, site);
        }
        return new LinkedHashSet<>(byCode.values());
    }

    private static LoweringException refused(Messages message, Object... arguments) {
        return new LoweringException(Messages.UNSUPPORTED.format(message.format(arguments)));
    }

    /** {@code descriptor} with each lambda's parameter typed as its shape (registered in {@code classes}). */
    static String specialise(String descriptor, List<EntryLambda> lambdas, ClassLibrary classes) {
        MethodTypeDesc type = MethodTypeDesc.ofDescriptor(descriptor);
        for (EntryLambda lambda : lambdas) {
            RecordShape shape = classes.lambdaShape(lambda.target(), lambda.captured());
            type = type.changeParameterType(lambda.parameter(), ClassDesc.ofDescriptor(ClassLibrary.descriptorOf(shape)));
        }
        return type.descriptorString();
    }
}
