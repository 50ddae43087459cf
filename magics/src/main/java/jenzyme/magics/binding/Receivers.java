package jenzyme.magics.binding;

import java.lang.classfile.ClassFile;
import java.lang.reflect.AccessFlag;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import jenzyme.magics.DefinitionException;
import jenzyme.magics.NotebookSession;
import jenzyme.magics.UserMethod;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.NativeParameter;

/**
 * {@code %autodiff reverse model.loss}: an instance method compiled with its receiver, the object a notebook
 * variable holds, as its first parameter (the lowering names it {@code this}; the stubs read the variable at each
 * call, docs/RECORDS.md). The variable's class is what the notebook evaluates it to: a one-statement snippet hands
 * the value over ({@link #hand}), as only JShell knows the variable's type.
 */
public final class Receivers {

    private static final AtomicReference<Object> HANDED = new AtomicReference<>();
    /** The lowering's name of an instance method's receiver (javac's, in the LocalVariableTable). */
    private static final String THIS = "this";

    private Receivers() {}

    /** The instance method {@code method} of the object in notebook variable {@code variable}. */
    public record Receiver(String variable, UserMethod method) {}

    /** Called by the snippet {@link #find} defines; public only for that. */
    public static void hand(Object value) {
        HANDED.set(value);
    }

    /** {@code variable.method} resolved: the variable's class and its one instance method of that name. */
    static Receiver find(NotebookSession notebook, String variable, String method) {
        if (!javax.lang.model.SourceVersion.isIdentifier(variable) || !javax.lang.model.SourceVersion.isIdentifier(method)) {
            throw new IllegalArgumentException(Messages.RECEIVER_NOT_A_VARIABLE.format(variable, method));
        }
        Object value;
        try {
            HANDED.set(null);
            notebook.define(Receivers.class.getName() + ".hand(" + variable + ");");
            value = HANDED.getAndSet(null);
        } catch (DefinitionException notAVariable) {
            throw new IllegalArgumentException(Messages.RECEIVER_NOT_A_VARIABLE.format(variable, method));
        }
        if (value == null) {
            throw new IllegalArgumentException(Messages.RECEIVER_NULL.format(variable, method));
        }
        String owner = value.getClass().getName().replace('.', '/');
        List<String> descriptors = notebook.classBytes().bytesOf(owner).map(bytes -> ClassFile.of().parse(bytes)
                .methods().stream().filter(m -> m.methodName().equalsString(method)
                        && !m.flags().has(AccessFlag.STATIC))
                .map(m -> m.methodType().stringValue()).toList()).orElse(List.of());
        String type = jenzyme.runtime.error.JavaWords.owner(owner);
        if (descriptors.isEmpty()) {
            throw new IllegalArgumentException(Messages.RECEIVER_NO_METHOD.format(variable, type, method));
        }
        if (descriptors.size() > 1) {
            throw new IllegalArgumentException(Messages.OVERLOADED.format(type + "." + method, String.join(", ",
                    descriptors.stream().map(d -> jenzyme.runtime.error.JavaWords.method(owner, method, d)).toList())));
        }
        return new Receiver(variable, new UserMethod(owner, method, descriptors.getFirst(), ""));
    }

    /** {@code model.k=Const} on the magic line names the receiver's component {@code this.k} of the lowered entry. */
    public static java.util.Map<String, jenzyme.runtime.ad.Activity> overrides(String variable,
            java.util.Map<String, jenzyme.runtime.ad.Activity> overrides) {
        java.util.Map<String, jenzyme.runtime.ad.Activity> renamed = new java.util.LinkedHashMap<>();
        overrides.forEach((name, activity) -> renamed.put(name.equals(variable) || name.startsWith(variable + ".")
                ? THIS + name.substring(variable.length()) : name, activity));
        return renamed;
    }

    /**
     * {@code derivative} with its receiver {@code this} named {@code variable} ({@code this.k} as {@code model.k}), so
     * that the stubs read the variable and call the gradient {@code dmodel}; the code and its layout are the same.
     */
    public static Derivative named(Derivative derivative, String variable) {
        EntryPoint entry = derivative.entry();
        EntryPoint renamed = new EntryPoint(entry.symbol(), entry.ownerInternalName(), entry.methodName(),
                entry.descriptor(), entry.parameters().stream().map(p -> new NativeParameter(rename(p.name(), variable),
                        p.type(), p.llvmIndex())).toList(), entry.returnType(), entry.declared().stream()
                        .map(p -> new EntryPoint.JavaParameter(rename(p.name(), variable), p.shape(), p.first()))
                        .toList(), entry.fields());
        CallingConvention.Model model = derivative.convention().model();
        return new Derivative(CallingConvention.of(new CallingConvention.Model(renamed, model.mode(),
                model.activities(), model.primalReturn(), model.width())), derivative.wrapper(), derivative.handle(),
                derivative.timings(), derivative.irBeforeEnzyme(), derivative.irAfterEnzyme(),
                derivative.loweredMethods(), derivative.code(), derivative.bitcode());
    }

    private static String rename(String name, String variable) {
        return name.equals(THIS) || name.startsWith(THIS + ".") ? variable + name.substring(THIS.length()) : name;
    }
}
