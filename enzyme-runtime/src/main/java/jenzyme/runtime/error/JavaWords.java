package jenzyme.runtime.error;

import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.util.stream.Collectors;

/**
 * Names of classes, types and methods as a Java programmer writes them, for messages: {@code Math.random()},
 * {@code double[]}, {@code g(double, int[])}. A notebook's snippet classes ({@code REPL/$JShell$12}) are JShell's
 * wrappers that the user never wrote, so members of them are named without a class.
 */
public final class JavaWords {

    private static final String SNIPPET_PREFIX = "REPL/$JShell$";

    private JavaWords() {}

    /** Whether the class is one of JShell's wrappers of a cell or declared in a cell (its lines are JShell's). */
    public static boolean inNotebook(String internalName) {
        return internalName.startsWith(SNIPPET_PREFIX);
    }

    /** {@code String} for {@code java/lang/String}, {@code Point} for a class declared in a cell, "" for a cell. */
    public static String owner(String internalName) {
        if (internalName.startsWith(SNIPPET_PREFIX)) {
            int nested = internalName.indexOf('$', SNIPPET_PREFIX.length());
            return nested < 0 ? "" : internalName.substring(nested + 1).replace('$', '.');
        }
        if (internalName.startsWith("[")) {
            return type(internalName);
        }
        String dotted = internalName.replace('/', '.');
        return dotted.startsWith("java.lang.") && dotted.indexOf('.', 10) < 0 ? dotted.substring(10) : dotted;
    }

    /**
     * {@code double[]} for {@code [D}, {@code String} for {@code Ljava/lang/String;}, {@code Point} for a record
     * declared in a cell; the text itself if it is no descriptor.
     */
    public static String type(String descriptor) {
        if (descriptor.startsWith("[")) {
            return type(descriptor.substring(1)) + "[]";
        }
        if (descriptor.startsWith("L") && descriptor.endsWith(";")) {
            return owner(descriptor.substring(1, descriptor.length() - 1));
        }
        try {
            return ClassDesc.ofDescriptor(descriptor).displayName();
        } catch (IllegalArgumentException notADescriptor) {
            return descriptor;
        }
    }

    /** {@code Owner.name(double, int[])}, or {@code name(double, int[])} for a cell method. */
    public static String method(String ownerInternalName, String name, String descriptor) {
        if (name.startsWith("lambda$")) {
            // javac's method for a lambda's body (lambda$do_it$$0): a name the user never wrote (QA R7)
            return Messages.LAMBDA_BODY.format(parameters(descriptor));
        }
        String owner = owner(ownerInternalName);
        return (owner.isEmpty() ? "" : owner + ".") + name + parameters(descriptor);
    }

    /** {@code Owner.name} (a field), or {@code name} for a notebook variable. */
    public static String field(String ownerInternalName, String name) {
        String owner = owner(ownerInternalName);
        return owner.isEmpty() ? name : owner + "." + name;
    }

    private static String parameters(String descriptor) {
        try {
            return MethodTypeDesc.ofDescriptor(descriptor).parameterList().stream()
                    .map(parameter -> type(parameter.descriptorString())).collect(Collectors.joining(", ", "(", ")"));
        } catch (IllegalArgumentException notADescriptor) {
            return "";
        }
    }
}
