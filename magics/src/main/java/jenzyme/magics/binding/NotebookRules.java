package jenzyme.magics.binding;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import jenzyme.magics.UserMethod;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.ClassBytesSource;
import jenzyme.runtime.lower.DerivativeRule;
import jenzyme.runtime.lower.MethodRef;

/**
 * The notebook's {@code %autodiff rule}s, kept by name and resolved to {@link DerivativeRule}s before every compile:
 * a cell method that is redefined (a new snippet class) keeps its rule, and the rule's own methods are their current
 * versions. A target without a dot is a cell method (compiled, its derivative from the rule); {@code
 * full.Class.method} is a public static JVM method of doubles, called back in the JVM.
 */
final class NotebookRules {

    /** One {@code %autodiff rule} line. */
    record Names(String target, Optional<String> forward, Optional<String> reverse) {}

    private final Map<String, Names> byTarget = new LinkedHashMap<>();
    private final Function<String, UserMethod> cellMethod;
    private final java.util.function.Supplier<ClassBytesSource> classes;

    NotebookRules(Function<String, UserMethod> cellMethod, java.util.function.Supplier<ClassBytesSource> classes) {
        this.cellMethod = cellMethod;
        this.classes = classes;
    }

    /** Resolves and keeps {@code names} (replacing an earlier rule of the same target). */
    DerivativeRule add(Names names) {
        DerivativeRule rule = resolve(names);
        byTarget.put(names.target(), names);
        return rule;
    }

    /** Every rule with its methods as they are now. */
    List<DerivativeRule> resolved() {
        List<DerivativeRule> rules = new ArrayList<>();
        byTarget.values().forEach(names -> rules.add(resolve(names)));
        return rules;
    }

    private DerivativeRule resolve(Names names) {
        Optional<MethodRef> forward = names.forward().map(this::cell);
        Optional<MethodRef> reverse = names.reverse().map(this::cell);
        int dot = names.target().lastIndexOf('.');
        if (dot < 0) {
            if (forward.isEmpty() && reverse.isEmpty()) {
                throw new IllegalArgumentException(Messages.RULE_NEEDS_DERIVATIVE.format(names.target()));
            }
            return new DerivativeRule(cell(names.target()), forward, reverse, false);
        }
        String className = names.target().substring(0, dot);
        String methodName = names.target().substring(dot + 1);
        Class<?> owner = load(className, names.target());
        // The arity the rule methods imply, when given: picks the overload.
        int arity = forward.map(f -> (f.descriptor().indexOf(')') - 1) / 2)
                .or(() -> reverse.map(r -> r.descriptor().indexOf(')') - 2)).orElse(-1);
        List<Method> candidates = Arrays.stream(owner.getMethods())
                .filter(m -> m.getName().equals(methodName) && Modifier.isStatic(m.getModifiers())
                        && m.getReturnType() == double.class && m.getParameterCount() > 0
                        && Arrays.stream(m.getParameterTypes()).allMatch(t -> t == double.class)
                        && (arity < 0 || m.getParameterCount() == arity))
                .toList();
        if (candidates.size() != 1) {
            throw new IllegalArgumentException(Messages.RULE_NO_JVM_METHOD.format(owner.getName(), methodName,
                    arity < 0 ? "only" : arity));
        }
        String descriptor = "(" + "D".repeat(candidates.getFirst().getParameterCount()) + ")D";
        return new DerivativeRule(new MethodRef(className.replace('.', '/'), methodName, descriptor), forward,
                reverse, true);
    }

    private MethodRef cell(String name) {
        UserMethod method = cellMethod.apply(name);
        return new MethodRef(method.ownerInternalName(), method.name(), method.descriptor());
    }

    private Class<?> load(String className, String target) {
        Optional<Class<?>> loaded = classes.get().loadedClass(className.replace('.', '/'));
        if (loaded.isPresent()) {
            return loaded.get();
        }
        try {
            return Class.forName(className, false, Thread.currentThread().getContextClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalArgumentException(Messages.RULE_UNKNOWN_CLASS.format(className, target), e);
        }
    }
}
