package jenzyme.kernel.exec;

import jdk.jshell.execution.DirectExecutionControl;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionControlProvider;
import jdk.jshell.spi.ExecutionEnv;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Map;

/**
 * Evaluation layer: JShell's execution engine, running snippets in the kernel's JVM. Classes arrive through
 * {@link SnippetLoaderDelegate} (recorded and made interruptible); each snippet's {@code do_it$} runs on the
 * {@link UserCodeThread}. Unlike JShell's own local engine it keeps the value object of the last snippet, so the
 * kernel can render images and HTML rather than only JShell's value string.
 *
 * <p>{@code redefine} stays unsupported (inherited): JShell then loads changed snippets under new class names,
 * which is what lets {@link SnippetClassStore} keep one immutable class file per name.
 */
final class InProcessExecutionControl extends DirectExecutionControl {

    private final SnippetLoaderDelegate loaderDelegate;
    private final UserCodeThread userCode;
    private volatile SnippetValue lastValue;
    private volatile Throwable lastThrown;

    InProcessExecutionControl(SnippetLoaderDelegate loaderDelegate) {
        super(loaderDelegate);
        this.loaderDelegate = loaderDelegate;
        this.userCode = new UserCodeThread(loaderDelegate.classLoader());
    }

    @Override
    protected String invoke(Method doit) throws Exception {
        // The value string is computed on the user-code thread too: toString() is user code and may loop.
        SnippetValue value;
        try {
            value = userCode.run(() -> {
                Object result = doit.invoke(null);
                try {
                    return new SnippetValue(result, ValueText.of(result, DirectExecutionControl::valueString));
                } catch (RuntimeException | Error e) {
                    throw new InvocationTargetException(e);
                }
            });
        } catch (InvocationTargetException thrown) {
            // JShell's translation of the frames numbers snippet lines in ways that differ by snippet kind; the
            // raw frames (wrapper class and line) map back to the cell exactly (SnippetOrigins).
            lastThrown = thrown.getCause();
            throw thrown;
        }
        lastValue = value;
        return value.text();
    }

    /** The value of the snippet invoked last, cleared by this call (null if none ran since). */
    SnippetValue takeLastValue() {
        SnippetValue value = lastValue;
        lastValue = null;
        return value;
    }

    /** What the snippet invoked last threw, with its untranslated frames, cleared by this call (null if none). */
    Throwable takeLastThrown() {
        Throwable thrown = lastThrown;
        lastThrown = null;
        return thrown;
    }

    void interruptUserCode() {
        userCode.interrupt();
    }

    @Override
    public void stop() {
        StopSignal.request();
        userCode.interrupt();
    }

    @Override
    public void close() {
        userCode.shutdown();
        super.close();
    }

    SnippetLoaderDelegate loaderDelegate() {
        return loaderDelegate;
    }

    /** Hands JShell the one control instance the evaluator built (JShell asks for it by provider). */
    record Provider(InProcessExecutionControl control) implements ExecutionControlProvider {

        @Override
        public String name() {
            return "jenzyme-in-process";
        }

        @Override
        public ExecutionControl generate(ExecutionEnv env, Map<String, String> parameters) {
            return control;
        }
    }
}
