package jenzyme.runtime.error;

import java.util.Optional;

/**
 * Raised when the frontend (JVM bytecode to LLVM IR) met a construct outside the supported subset or malformed
 * input. Carries where it happened: class (internal name), method and descriptor, bytecode offset and source line
 * ({@code -1} when unknown), the construct or problem on its own, and the IR built so far when that helps.
 */
public final class LoweringException extends JEnzymeException {

    private final String problem;
    private final String className;
    private final String methodName;
    private final String descriptor;
    private final int bytecodeOffset;
    private final int sourceLine;
    private final String irText;

    public LoweringException(String message) {
        this(message, null, null, null, -1, -1, null);
    }

    public LoweringException(String message, Throwable cause) {
        super(message, cause);
        this.problem = message;
        this.className = null;
        this.methodName = null;
        this.descriptor = null;
        this.bytecodeOffset = -1;
        this.sourceLine = -1;
        this.irText = null;
    }

    /**
     * @param problem the construct or problem, e.g. {@code "getstatic Demo.x"}
     * @param className internal name of the class whose method failed, or null
     * @param methodName the failing method, or null
     * @param descriptor its descriptor, or null
     * @param bytecodeOffset offset of the failing instruction, or -1
     * @param sourceLine line from the LineNumberTable, or -1
     * @param irText module IR relevant to the failure, or null
     */
    public LoweringException(String problem, String className, String methodName, String descriptor,
                             int bytecodeOffset, int sourceLine, String irText) {
        super(format(problem, className, methodName, descriptor, sourceLine));
        this.problem = problem;
        this.className = className;
        this.methodName = methodName;
        this.descriptor = descriptor;
        this.bytecodeOffset = bytecodeOffset;
        this.sourceLine = sourceLine;
        this.irText = irText;
    }

    /**
     * The problem where the user wrote it: {@code h(double)} for a cell method, {@code Lines.peek(double[], int)}
     * otherwise, with the class file's line only outside a notebook (a cell's line is known only to the kernel, which
     * renders it from {@link #sourceLine()}); never a descriptor or a bytecode offset.
     */
    private static String format(String problem, String className, String methodName, String descriptor,
                                 int sourceLine) {
        if (className == null || methodName == null) {
            return problem;
        }
        String owner = JavaWords.owner(className);
        String method = descriptor == null ? (owner.isEmpty() ? "" : owner + ".") + methodName
                : JavaWords.method(className, methodName, descriptor);
        return sourceLine >= 0 && !JavaWords.inNotebook(className) ? Messages.PROBLEM_IN_AT_LINE.format(problem, method, sourceLine)
                : Messages.PROBLEM_IN.format(problem, method);
    }

    /** The construct or problem alone, without location. */
    public String problem() {
        return problem;
    }

    public Optional<String> className() {
        return Optional.ofNullable(className);
    }

    public Optional<String> methodName() {
        return Optional.ofNullable(methodName);
    }

    public Optional<String> descriptor() {
        return Optional.ofNullable(descriptor);
    }

    /** Offset of the failing instruction in the method's code, or -1. */
    public int bytecodeOffset() {
        return bytecodeOffset;
    }

    /** Source line of the failing instruction, or -1 if the class has no LineNumberTable. */
    public int sourceLine() {
        return sourceLine;
    }

    public Optional<String> irText() {
        return Optional.ofNullable(irText);
    }
}
