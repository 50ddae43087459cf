package jenzyme.kernel;

import jenzyme.kernel.exec.CompilationFailure;
import jenzyme.kernel.exec.EvaluationException;
import jenzyme.kernel.exec.JavaEvaluator;
import jenzyme.magics.DefinitionException;
import jenzyme.magics.NotebookSession;
import jenzyme.magics.UserMethod;
import jenzyme.runtime.lower.ClassBytesSource;

import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/** The kernel as the magics see it: JShell's state, display and interrupts, behind {@link NotebookSession}. */
final class KernelSession implements NotebookSession {

    private final JavaEvaluator evaluator;
    private final Consumer<Object> display;
    private final SessionListeners interruptListeners;
    private final SessionListeners magicEndListeners;

    KernelSession(JavaEvaluator evaluator, Consumer<Object> display, SessionListeners interruptListeners,
                  SessionListeners magicEndListeners) {
        this.evaluator = evaluator;
        this.display = display;
        this.interruptListeners = interruptListeners;
        this.magicEndListeners = magicEndListeners;
    }

    @Override
    public ClassBytesSource classBytes() {
        return evaluator.compilerClassBytes();
    }

    @Override
    public List<UserMethod> methods(String name) {
        return evaluator.methods(name);
    }

    @Override
    public boolean declares(String name) {
        return evaluator.declares(name);
    }

    @Override
    public Optional<Variable> variable(String name) {
        return evaluator.variable(name);
    }

    @Override
    public MethodHandle handle(UserMethod method) {
        return evaluator.handle(method);
    }

    @Override
    public void define(String javaSource) throws DefinitionException {
        JavaEvaluator.CellOutcome outcome;
        try {
            outcome = evaluator.eval(javaSource, true);
        } catch (EvaluationException e) {
            List<String> problems = e instanceof CompilationFailure compilation
                    ? compilation.diagnostics().stream().map(d -> "line " + d.line() + ": " + d.message()).toList()
                    : List.of(e.getMessage());
            throw new DefinitionException(javaSource, problems);
        }
        outcome.warnings().forEach(warning -> System.err.println("warning: " + warning));
        if (!outcome.unresolved().isEmpty()) {
            // Generated code that calls something missing would fail only when called: refuse it now.
            throw new DefinitionException(javaSource, outcome.unresolved());
        }
    }

    @Override
    public void display(Object value) {
        display.accept(value);
    }

    @Override
    public Optional<String> cellLine(String className, int line) {
        return evaluator.origins().locateInClass(className, line)
                .map(at -> "cell " + at.cell() + ", line " + at.line() + ": " + at.sourceLine().strip());
    }

    @Override
    public void addToClasspath(List<Path> entries) {
        evaluator.addToClasspath(entries);
    }

    @Override
    public InterruptRegistration onMethodsDefined(Consumer<Set<String>> listener) {
        return evaluator.onMethodsDefined(listener);
    }

    @Override
    public InterruptRegistration onInterrupt(Runnable listener) {
        return interruptListeners.add(listener);
    }

    @Override
    public InterruptRegistration onMagicEnd(Runnable listener) {
        return magicEndListeners.add(listener);
    }
}
