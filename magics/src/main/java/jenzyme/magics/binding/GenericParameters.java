package jenzyme.magics.binding;

import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.MethodSignature;
import java.lang.classfile.Signature;
import java.lang.constant.ClassDesc;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import jenzyme.magics.UserMethod;
import jenzyme.runtime.error.JavaWords;
import jenzyme.runtime.lower.ClassBytesSource;

/**
 * The type arguments of generic parameters ({@code ToDoubleFunction<double[]> f}), put back into stubs generated
 * from the erased descriptor: with the raw {@code ToDoubleFunction f} a lambda argument ({@code v -> v[0]}) sees an
 * {@code Object} and does not compile. They are read from the method's {@code Signature} attribute, which javac
 * writes for every method whose parameter types have arguments, so every mode's stubs get them the same way.
 */
public final class GenericParameters {

    private GenericParameters() {}

    /** {@code stubs} with each raw {@code Type name} of a generic parameter of {@code method} given its arguments. */
    public static BindingStubs.Stubs restore(BindingStubs.Stubs stubs, ClassBytesSource classes, UserMethod method,
                                             List<String> parameterNames) {
        return restore(stubs, genericTypes(classes, method, parameterNames));
    }

    static BindingStubs.Stubs restore(BindingStubs.Stubs stubs, Map<String, String> generic) {
        String result = stubs.source();
        List<String> signatures = new ArrayList<>(stubs.signatures());
        for (Map.Entry<String, String> parameter : generic.entrySet()) {
            String written = parameter.getValue();
            String raw = written.substring(0, written.indexOf('<'));
            String simple = raw.substring(raw.lastIndexOf('.') + 1);
            // The stubs write the erased type fully qualified or simple; either is followed by the parameter's name.
            Pattern erased = Pattern.compile("([\\w.$]*\\b" + Pattern.quote(simple) + ") (" + Pattern.quote(
                    parameter.getKey()) + ")\\b");
            String arguments = Matcher.quoteReplacement(written.substring(written.indexOf('<')));
            result = erased.matcher(result).replaceAll("$1" + arguments + " $2");
            signatures.replaceAll(signature -> erased.matcher(signature).replaceAll("$1" + arguments + " $2"));
        }
        return new BindingStubs.Stubs(result, signatures);
    }

    /**
     * Parameter name to its type as Java source ({@code ToDoubleFunction<double[]>}), for the parameters of
     * {@code method} whose type has arguments; {@code parameterNames} are the declared parameters' names in order.
     * A type naming a type variable of the method ({@code <T> double f(ToDoubleFunction<T> g, T x)}) stays raw:
     * the stubs are not generic methods.
     */
    static Map<String, String> genericTypes(ClassBytesSource classes, UserMethod method, List<String> parameterNames) {
        Map<String, String> types = new LinkedHashMap<>();
        Optional<MethodSignature> signature = classes.bytesOf(method.ownerInternalName())
                .flatMap(bytes -> ClassFile.of().parse(bytes).methods().stream()
                        .filter(m -> m.methodName().equalsString(method.name())
                                && m.methodType().equalsString(method.descriptor()))
                        .findFirst())
                .flatMap(m -> m.findAttribute(Attributes.signature()))
                .map(attribute -> MethodSignature.parseFrom(attribute.signature().stringValue()));
        // an instance method's receiver (docs/RECORDS.md) is the first name, and not in its Signature
        int receiver = signature.map(s -> parameterNames.size() - s.arguments().size()).orElse(-1);
        if (receiver != 0 && receiver != 1) {
            return types;
        }
        for (int i = 0; i < signature.get().arguments().size(); i++) {
            Signature type = signature.get().arguments().get(i);
            String name = parameterNames.get(i + receiver);
            if (type instanceof Signature.ClassTypeSig generic && !generic.typeArgs().isEmpty()) {
                source(type).ifPresent(text -> types.put(name, text));
            }
        }
        return types;
    }

    /** {@code type} as Java source, empty if it names a type variable. */
    static Optional<String> source(Signature type) {
        return switch (type) {
            case Signature.BaseTypeSig base -> Optional.of(ClassDesc.ofDescriptor(String.valueOf(base.baseType()))
                    .displayName());
            case Signature.ArrayTypeSig array -> source(array.componentSignature()).map(c -> c + "[]");
            case Signature.TypeVarSig variable -> Optional.empty();
            case Signature.ClassTypeSig clazz -> {
                Optional<String> outer = clazz.outerType().map(GenericParameters::source)
                        .orElse(Optional.of(""));
                List<Optional<String>> arguments = clazz.typeArgs().stream().map(GenericParameters::argument)
                        .toList();
                if (outer.isEmpty() || arguments.stream().anyMatch(Optional::isEmpty)) {
                    yield Optional.empty();
                }
                // a nested class's binary name has a '$' (java/util/Map$Entry); source writes a '.'
                String name = outer.get().isEmpty() ? JavaWords.owner(clazz.className()).replace('$', '.')
                        : outer.get() + "." + clazz.className();
                yield Optional.of(name + (arguments.isEmpty() ? "" : arguments.stream().map(Optional::get)
                        .collect(Collectors.joining(", ", "<", ">"))));
            }
        };
    }

    private static Optional<String> argument(Signature.TypeArg argument) {
        return switch (argument) {
            case Signature.TypeArg.Unbounded unbounded -> Optional.of("?");
            case Signature.TypeArg.Bounded bounded -> source(bounded.boundType()).map(bound ->
                    switch (bounded.wildcardIndicator()) {
                        case NONE -> bound;
                        case EXTENDS -> "? extends " + bound;
                        case SUPER -> "? super " + bound;
                    });
        };
    }
}
