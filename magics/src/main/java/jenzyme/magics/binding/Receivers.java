package jenzyme.magics.binding;

import java.lang.classfile.ClassFile;
import java.lang.reflect.AccessFlag;
import java.util.List;
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
 * call, docs/RECORDS.md). The variable's class is that of the object it holds now, read from JShell's field of the
 * variable ({@link NotebookSession#variable}: running a snippet to hand it over left a line in the user's history).
 */
public final class Receivers {

    /** The lowering's name of an instance method's receiver (javac's, in the LocalVariableTable). */
    private static final String THIS = "this";

    private Receivers() {}

    /** The instance method {@code method} of the object in notebook variable {@code variable}. */
    public record Receiver(String variable, UserMethod method) {}

    /** {@code variable.method} resolved: the variable's class and its one instance method of that name. */
    static Receiver find(NotebookSession notebook, String variable, String method) {
        if (!javax.lang.model.SourceVersion.isIdentifier(variable) || !javax.lang.model.SourceVersion.isIdentifier(method)) {
            throw new IllegalArgumentException(Messages.RECEIVER_NOT_A_VARIABLE.format(variable, method));
        }
        Object value = notebook.variable(variable).orElseThrow(() -> new IllegalArgumentException(
                Messages.RECEIVER_NOT_A_VARIABLE.format(variable, method))).value();
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

    /**
     * The first line of a stub that reads receiver {@code variable} ("" without one): JShell resets the variables of
     * a class it redefines to null, so a call would meet a NullPointerException naming JShell's wrapper field
     * ({@code REPL.$JShell$56C.sp3}) before the retired code's guard could say what happened (qa6 R2). {@code key}
     * is the holder's {@link BoundHandles} key, the same for every stub of one source.
     */
    static String check(String key, String variable, String method) {
        return variable.isEmpty() ? "" : "    if (" + variable + " == null) throw jenzyme.magics.binding.Receivers"
                + ".missing(\"" + key + "\", \"" + variable + "\", \"" + method + "\");\n";
    }

    /**
     * Called by generated stubs only, when receiver {@code variable} is null: the retirement of the code holder
     * {@code key} calls now if it was retired (its class redefined), else that the variable is null.
     */
    public static RuntimeException missing(String key, String variable, String method) {
        return BoundHandles.current(key).flatMap(StaleBindings::retirement).<RuntimeException>map(
                        IllegalStateException::new)
                .orElseGet(() -> new NullPointerException(Messages.RECEIVER_NULL_AT_CALL.format(variable, method)));
    }

    /** {@code model.k=Const} on the magic line names the receiver's component {@code this.k} of the lowered entry. */
    public static java.util.Map<String, jenzyme.runtime.ad.Activity> overrides(String variable,
            java.util.Map<String, jenzyme.runtime.ad.Activity> overrides) {
        java.util.Map<String, jenzyme.runtime.ad.Activity> renamed = new java.util.LinkedHashMap<>();
        overrides.forEach((name, activity) -> renamed.put(lowered(name, variable), activity));
        return renamed;
    }

    /**
     * {@code derivative} with its receiver {@code this} named {@code variable} ({@code this.k} as {@code model.k}), so
     * that the stubs read the variable and call the gradient {@code dmodel}; the code and its layout are the same.
     */
    public static Derivative named(Derivative derivative, String variable) {
        CallingConvention.Model model = derivative.convention().model();
        return new Derivative(CallingConvention.of(new CallingConvention.Model(named(derivative.entry(), variable),
                model.mode(), model.activities(), model.primalReturn(), model.width())), derivative.wrapper(),
                derivative.handle(), derivative.overwriting(), derivative.timings(), derivative.irBeforeEnzyme(),
                derivative.irAfterEnzyme(), derivative.loweredMethods(), derivative.code(), derivative.bitcode(),
                derivative.postOptimisation());
    }

    /**
     * {@code entry} with its receiver named {@code variable}, as {@link #named(Derivative, String)}. A parameter of
     * the method named like the variable ({@code double loss(double[] model)} of {@code model.loss}) is renamed
     * {@code model_} ({@link GeneratedNames#besideParameters}): the stubs read the receiver through the variable's
     * name, which that parameter hid, so they read the parameter twice and compiled only if the types agreed.
     */
    public static EntryPoint named(EntryPoint entry, String variable) {
        String clashing = GeneratedNames.besideParameters(variable, entry);
        return new EntryPoint(entry.symbol(), entry.ownerInternalName(), entry.methodName(),
                entry.descriptor(), entry.parameters().stream().map(p -> new NativeParameter(
                        rename(p.name(), variable, clashing), p.type(), p.llvmIndex())).toList(),
                entry.returnType(), entry.declared().stream().map(p -> new EntryPoint.JavaParameter(
                        rename(p.name(), variable, clashing), p.shape(), p.first())).toList(),
                entry.fields(), entry.result(), entry.writtenArrays(), entry.statefulArrays());
    }

    /**
     * {@code model.w} on the magic line ({@code --wrt}, {@code --out}) as the lowered entry names it, {@code this.w};
     * other names as they are.
     */
    public static String lowered(String name, String variable) {
        return name.equals(variable) || name.startsWith(variable + ".") ? THIS + name.substring(variable.length())
                : name;
    }

    /** {@code this} (or {@code this.k}) as {@code variable}, a parameter {@code variable} as {@code clashing}. */
    private static String rename(String name, String variable, String clashing) {
        if (name.equals(THIS) || name.startsWith(THIS + ".")) {
            return variable + name.substring(THIS.length());
        }
        return name.equals(variable) || name.startsWith(variable + ".")
                ? clashing + name.substring(variable.length()) : name;
    }
}
