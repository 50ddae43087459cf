package jenzyme.kernel.exec;

import jdk.jshell.DeclarationSnippet;
import jdk.jshell.Diag;
import jdk.jshell.ImportSnippet;
import jdk.jshell.JShell;
import jdk.jshell.MethodSnippet;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.SourceCodeAnalysis.CompletionInfo;
import jdk.jshell.TypeDeclSnippet;
import jdk.jshell.VarSnippet;
import jenzyme.magics.NotebookSession;
import jenzyme.magics.UserMethod;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.ClassBytesSource;

import java.io.File;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The evaluation layer's entry point: Java source of a cell in, its value or an {@link EvaluationException} out.
 * Splits the cell into JShell snippets, evaluates them in order through {@link InProcessExecutionControl}, and
 * keeps JShell's state (definitions, imports, classpath) across cells. Its neighbours: the kernel above (cells,
 * magics, display), the {@link SnippetClassStore} below (class files for the compiler frontend).
 *
 * <p>Not thread-safe, like JShell itself: the kernel calls it from its shell thread only, except {@link #interrupt},
 * which may come from any thread.
 */
public final class JavaEvaluator implements AutoCloseable {

    /** Snippets whose value a notebook shows (IPython shows neither assignments nor declarations). */
    private static final Set<Snippet.SubKind> SHOWS_VALUE = EnumSet.of(Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND,
            Snippet.SubKind.VAR_VALUE_SUBKIND, Snippet.SubKind.OTHER_EXPRESSION_SUBKIND);

    private final JShell shell;
    private final InProcessExecutionControl control;
    private final SnippetClassStore store;
    private final List<String> loadWarnings;
    private final CodeAssistant assistant;
    private final SnippetOrigins origins;
    private String cellLabel = "";
    private final List<Consumer<Set<String>>> methodListeners = new CopyOnWriteArrayList<>();

    private JavaEvaluator(JShell shell, InProcessExecutionControl control, SnippetClassStore store, List<String> loadWarnings) {
        this.shell = shell;
        this.control = control;
        this.store = store;
        this.loadWarnings = loadWarnings;
        this.assistant = new CodeAssistant(shell.sourceCodeAnalysis());
        this.origins = new SnippetOrigins(shell);
    }

    /** Starts a JShell whose snippet classes see the classes of {@code parent} (normally the kernel's loader). */
    public static JavaEvaluator start(ClassLoader parent) {
        SnippetClassStore store = new SnippetClassStore();
        List<String> loadWarnings = new CopyOnWriteArrayList<>();
        SnippetLoaderDelegate loader = new SnippetLoaderDelegate(new SnippetClassLoader(parent), store, loadWarnings::add);
        InProcessExecutionControl control = new InProcessExecutionControl(loader);
        // -g: the lowering needs the LocalVariableTable to tell an array declared inside a loop (freed when the
        // next iteration makes another) from one kept beyond its iteration, and errors name the user's variables
        // instead of bytecode slots. Without it every array allocated in a loop was refused in notebooks (QA6 R1).
        // -parameters as well, like the bench's and the tests' javac: with -g alone the names differed from theirs
        // and so did the optimised gradient (4 instructions of Rosenbrock's, BenchSameCodeTest).
        JShell shell = JShell.builder()
                .executionEngine(new InProcessExecutionControl.Provider(control), Map.of())
                .compilerOptions("-g", "-parameters")
                .build();
        return new JavaEvaluator(shell, control, store, loadWarnings);
    }

    /**
     * The outcome of Java that ran to the end: the value of its last snippet if that was an expression; declarations
     * that JShell accepted but cannot use until something they reference exists; warnings for the user.
     */
    public record CellOutcome(Optional<SnippetValue> value, List<String> unresolved, List<String> warnings) {
    }

    /** Forgets an interrupt aimed at an earlier cell; call when a new cell starts. */
    public void beginCell() {
        beginCell("");
    }

    /** As {@link #beginCell()}, for the cell Jupyter labels {@code label} (e.g. {@code [5]}), named in errors. */
    public void beginCell(String label) {
        StopSignal.clear();
        cellLabel = label;
    }

    /**
     * Evaluates every snippet of {@code code} in order, stopping at the first that fails (the earlier ones stay
     * defined, as in JShell).
     */
    public CellOutcome eval(String code) throws EvaluationException {
        return eval(code, false);
    }

    /**
     * As {@link #eval(String)}; {@code generated} marks source a magic generated (its frames are then named by
     * method only, never by a line of a cell).
     */
    public CellOutcome eval(String code, boolean generated) throws EvaluationException {
        SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
        List<String> unresolved = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Optional<SnippetValue> last = Optional.empty();
        String remaining = code;
        while (true) {
            checkInterrupted();
            CompletionInfo info = analysis.analyzeCompletion(remaining);
            switch (info.completeness()) {
                case EMPTY -> {
                    return new CellOutcome(last, unresolved, warnings);
                }
                case DEFINITELY_INCOMPLETE, CONSIDERED_INCOMPLETE -> throw new IncompleteSource(info.remaining());
                default -> {
                    // The snippet starts where `remaining` starts (JShell keeps leading blanks and comments).
                    int offset = code.length() - remaining.length();
                    // As in IPython, a semicolon the user typed after an expression hides its value.
                    boolean hideValue = info.completeness() == SourceCodeAnalysis.Completeness.COMPLETE
                            && info.source().stripTrailing().endsWith(";");
                    last = evalSnippet(info.source(), new CellPositions(code, offset), generated, unresolved,
                            warnings);
                    if (hideValue) {
                        last = Optional.empty();
                    }
                    remaining = info.remaining();
                }
            }
        }
    }

    private Optional<SnippetValue> evalSnippet(String source, CellPositions positions, boolean generated,
                                               List<String> unresolved, List<String> warnings)
            throws EvaluationException {
        control.takeLastValue();
        control.takeLastThrown();
        List<SnippetEvent> events = shell.eval(source);
        warnings.addAll(loadWarnings);
        loadWarnings.clear();
        Optional<SnippetValue> value = Optional.empty();
        // Types too: a redefined class gives its instance methods a new class without any method snippet event.
        Set<String> methodsDefined = events.stream()
                .filter(e -> (e.snippet() instanceof MethodSnippet || e.snippet() instanceof TypeDeclSnippet)
                        && e.status().isDefined())
                .map(e -> ((DeclarationSnippet) e.snippet()).name())
                .collect(Collectors.toSet());
        if (!methodsDefined.isEmpty()) {
            methodListeners.forEach(listener -> listener.accept(methodsDefined));
        }
        resetByImport(events).ifPresent(warnings::add);
        for (SnippetEvent event : events) {
            Snippet snippet = event.snippet();
            if (event.causeSnippet() == null) {
                origins.record(snippet, cellLabel, positions.cell(), positions.snippetOffset(), generated);
            }
            if (event.status().isDefined()) {
                origins.recordClass(snippet);
            }
            if (event.exception() != null) {
                throw SnippetErrors.execution(shell, origins, event.exception(), control.takeLastThrown(),
                        StopSignal.isRequested());
            }
            if (event.causeSnippet() == null && event.status() == Snippet.Status.REJECTED) {
                throw SnippetErrors.compilation(shell, snippet, positions);
            }
            // JShell keeps a declaration javac refused while generating code ("code too large") as merely
            // "recoverable", as if it waited for a missing name: with nothing missing, that is a compilation error.
            if (event.causeSnippet() == null && snippet instanceof DeclarationSnippet refused
                    && event.status() == Snippet.Status.RECOVERABLE_NOT_DEFINED
                    && shell.unresolvedDependencies(refused).findAny().isEmpty()
                    && shell.diagnostics(snippet).anyMatch(Diag::isError)) {
                throw SnippetErrors.compilation(shell, snippet, positions);
            }
            // Only the cell's own declarations: another snippet that a redefinition in this cell breaks for a moment
            // (an old method using a record this cell redefines, then redefines itself) is not this cell's problem.
            if (event.causeSnippet() == null && snippet instanceof DeclarationSnippet declaration
                    && (event.status() == Snippet.Status.RECOVERABLE_DEFINED
                    || event.status() == Snippet.Status.RECOVERABLE_NOT_DEFINED)) {
                unresolved.add(SnippetErrors.unresolvedNote(shell, declaration));
            }
            if (event.causeSnippet() == null && SHOWS_VALUE.contains(snippet.subKind())) {
                SnippetValue invoked = control.takeLastValue();
                value = Optional.of(invoked != null ? invoked : new SnippetValue(null, event.value()));
            }
        }
        return value;
    }

    /**
     * A new star import can make JShell declare existing top-level variables again (seen with {@code var} and
     * lambda variables after {@code import java.nio.file.*}), which resets their values: JShell's behaviour, not
     * ours to undo (the old values are gone), so the user is told which variables lost their values.
     */
    private static Optional<String> resetByImport(List<SnippetEvent> events) {
        List<String> reset = events.stream()
                .filter(e -> e.causeSnippet() instanceof ImportSnippet && e.snippet() instanceof VarSnippet
                        && e.status().isDefined())
                .map(e -> ((VarSnippet) e.snippet()).name())
                .distinct()
                .toList();
        if (reset.isEmpty()) {
            return Optional.empty();
        }
        String importSource = events.stream().map(SnippetEvent::causeSnippet).filter(ImportSnippet.class::isInstance)
                .findFirst().map(s -> s.source().strip()).orElse("an import");
        return Optional.of(jenzyme.runtime.error.Messages.IMPORT_RESET_VARIABLES.format("`" + importSource + "`",
                String.join(", ", reset)));
    }

    /**
     * Registers {@code listener} to be told the names of cell methods and types each snippet (re)defined, dependents
     * that JShell recompiled included; closing the registration removes it.
     */
    public jenzyme.magics.NotebookSession.InterruptRegistration onMethodsDefined(Consumer<Set<String>> listener) {
        methodListeners.add(listener);
        return () -> methodListeners.remove(listener);
    }

    /** Throws if the running cell was interrupted: the kernel checks between the parts of a cell. */
    public void checkInterrupted() throws EvaluationInterrupted {
        if (StopSignal.isRequested()) {
            throw new EvaluationInterrupted(jenzyme.runtime.error.Messages.INTERRUPTED_BY_USER.format());
        }
    }

    /** Stops the running cell: woven checks throw, sleeping or waiting user code is interrupted. Any thread. */
    public void interrupt() {
        StopSignal.request();
        control.interruptUserCode();
    }

    /** Class files of snippet classes as JShell compiled them (see {@link SnippetClassStore}). */
    public SnippetClassStore classBytes() {
        return store;
    }

    /**
     * What the compiler frontend may read: snippet classes, then classes of the jars and directories added with
     * {@code %classpath} or {@code %maven} (so a cell method may call a library's static method), never the
     * kernel's or the JDK's own classes.
     */
    public ClassBytesSource compilerClassBytes() {
        SnippetClassLoader loader = control.loaderDelegate().classLoader();
        return new ClassBytesSource() {
            @Override
            public Optional<byte[]> bytesOf(String internalName) {
                return store.bytesOf(internalName).or(() -> loader.addedClassFile(internalName));
            }

            /** Snippet classes as loaded: notebook variables are static fields of JShell's wrapper classes. */
            @Override
            public Optional<Class<?>> loadedClass(String internalName) {
                try {
                    return Optional.of(control.loaderDelegate().findClass(internalName.replace('/', '.')));
                } catch (ClassNotFoundException e) {
                    return Optional.empty();
                }
            }
        };
    }

    /** The active methods called {@code name}, with the snippet class that declares each now. */
    public List<UserMethod> methods(String name) {
        return UserMethods.named(shell, store, name);
    }

    /** Whether an active snippet declares a type, method or variable named {@code name}. */
    public boolean declares(String name) {
        return shell.snippets().anyMatch(s -> s instanceof DeclarationSnippet d && d.name().equals(name)
                && shell.status(s).isActive());
    }

    /**
     * The value of the active notebook variable {@code name}, read from the static field JShell keeps it in (on its
     * snippet's wrapper class), without running a snippet: empty if no active cell declares such a variable.
     */
    public Optional<NotebookSession.Variable> variable(String name) {
        return shell.variables().filter(v -> v.name().equals(name) && shell.status(v).isActive())
                .reduce((first, later) -> later).map(snippet -> {
                    String wrapper = shell.sourceCodeAnalysis().wrapper(snippet).fullClassName();
                    try {
                        java.lang.reflect.Field field = control.loaderDelegate().findClass(wrapper)
                                .getDeclaredField(name);
                        field.setAccessible(true);
                        return new NotebookSession.Variable(field.get(null));
                    } catch (ReflectiveOperationException | RuntimeException notLoaded) {
                        return null; // declared but not (yet) loadable: as good as no variable
                    }
                });
    }

    /** How many snippets JShell holds (every cell and generated binding adds some), for tests. */
    long snippetCount() {
        return shell.snippets().count();
    }

    /** A handle on the loaded (woven) method; JShell's wrapper classes are package-private, hence reflection. */
    public MethodHandle handle(UserMethod method) {
        String className = method.ownerInternalName().replace('/', '.');
        try {
            Class<?> owner = control.loaderDelegate().findClass(className);
            MethodType type = MethodType.fromMethodDescriptorString(method.descriptor(), owner.getClassLoader());
            Method target = owner.getDeclaredMethod(method.name(), type.parameterArray());
            target.setAccessible(true);
            return MethodHandles.lookup().unreflect(target);
        } catch (ClassNotFoundException | NoSuchMethodException | IllegalAccessException | TypeNotPresentException e) {
            throw new IllegalArgumentException(Messages.CELL_METHOD_NOT_LOADED.format(method.name(), method.descriptor(), method.ownerInternalName(), e), e);
        }
    }

    public void addToClasspath(List<Path> entries) {
        String joined = entries.stream().map(p -> p.toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
        if (!joined.isEmpty()) {
            shell.addToClasspath(joined);
        }
    }

    /** The source of the active cell type (class, record, interface...) called {@code name}, if there is one. */
    public Optional<String> typeSource(String name) {
        return shell.types().filter(t -> t.name().equals(name) && shell.status(t).isActive())
                .map(Snippet::source).reduce((first, later) -> later);
    }

    /** Maps JShell's snippet names and lines back to cells, for error reports. */
    public SnippetOrigins origins() {
        return origins;
    }

    public CodeAssistant assistant() {
        return assistant;
    }

    @Override
    public void close() {
        shell.close();
    }
}
