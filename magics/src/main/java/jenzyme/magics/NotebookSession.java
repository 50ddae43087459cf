package jenzyme.magics;

import jenzyme.runtime.lower.ClassBytesSource;

import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.List;

/**
 * What the kernel offers the magics: the stage between a notebook cell and the compilation pipeline. The kernel
 * (JShell evaluation layer) implements it; magics receive it through {@link MagicRegistration#registerAll}. This
 * module does not depend on the kernel, so everything a magic needs from the notebook passes through here.
 *
 * <p>Threading: magics run on the kernel's shell thread, between JShell evaluations, so {@link #define} and
 * {@link #methods} may be called freely from a magic. An interrupt does NOT interrupt that thread (a Java interrupt
 * in the middle of javac would close the compiler's file channels); a magic that blocks (e.g. on the Enzyme worker)
 * must register an {@link #onInterrupt} listener that unblocks it.
 */
public interface NotebookSession {

    /**
     * The class files of every JShell snippet class as JShell produced them (before the kernel added its interrupt
     * checks), keyed by internal name such as {@code REPL/$JShell$12}. Redefinition gives a snippet a new class
     * name; a name is never reused with different bytes except when JShell reloads a class it could not load.
     */
    ClassBytesSource classBytes();

    /**
     * The active cell methods named {@code name} (one per overload), each with the snippet class that declares it
     * now. Empty when there is none. Methods whose references are unresolved (declared but not yet loadable) are
     * left out, since their class files do not exist.
     */
    List<UserMethod> methods(String name);

    /** Whether an active cell declares a type, method or variable named {@code name}. */
    boolean declares(String name);

    /**
     * The value the notebook variable {@code name} holds now, read without running a snippet (so the user's history
     * stays theirs); empty if no active cell declares a variable of that name.
     */
    default java.util.Optional<Variable> variable(String name) {
        return java.util.Optional.empty();
    }

    /** A notebook variable's value, possibly null. */
    record Variable(Object value) {}

    /**
     * A handle on {@code method} as the JVM runs it now (the loaded, interruptible class), e.g. to compare a compiled
     * derivative with finite differences of the original. Calls run on the caller's thread.
     *
     * @throws IllegalArgumentException if the method's class is not loaded or does not declare it
     */
    MethodHandle handle(UserMethod method);

    /**
     * Evaluates Java source (declarations or statements, several allowed) as if it were a cell, e.g. the stub that
     * binds a derivative as a Java method.
     *
     * @throws DefinitionException with the compiler's diagnostics (or the exception of a failing statement); the
     *                             snippets before the failing one stay defined
     */
    void define(String javaSource) throws DefinitionException;

    /** Renders {@code value} (an image, HTML/Markdown, a DisplayData bundle, any object) as display_data now. */
    void display(Object value);

    /** Adds jars or class directories to the classpath that cells (and their JShell compiler) see. */
    void addToClasspath(List<Path> entries);

    /**
     * Registers {@code listener} to run when the user interrupts the kernel (on the control thread, concurrently
     * with the running cell). Listeners must be quick and must not throw; close the registration once the guarded
     * wait is over.
     */
    InterruptRegistration onInterrupt(Runnable listener);

    /**
     * Registers {@code listener} to run on the shell thread each time JShell (re)defines cell methods or types, with
     * their names (methods recompiled because something they call changed included), before the next snippet runs.
     * Used to retire derivatives of code that changed (a type's instance methods change with it). Close the
     * registration to unregister.
     */
    InterruptRegistration onMethodsDefined(java.util.function.Consumer<java.util.Set<String>> listener);

    /**
     * Registers {@code listener} to run on the shell thread after each magic, its output rendered (the reply follows
     * unless the cell goes on). Used to keep background compilation (the JIT's full tier) off the cores while the
     * magic that asked for it binds. Sessions without cells (tests) never call it. Close the registration to
     * unregister.
     */
    default InterruptRegistration onMagicEnd(Runnable listener) {
        return () -> { };
    }

    /**
     * Line {@code line} of the class file of snippet class {@code className} as the user sees it, e.g.
     * {@code cell [3], line 4: double s = k;}; empty when the class is not a cell's.
     */
    default java.util.Optional<String> cellLine(String className, int line) {
        return java.util.Optional.empty();
    }

    /** A registered listener; closing it unregisters it. */
    @FunctionalInterface
    interface InterruptRegistration extends AutoCloseable {
        @Override
        void close();
    }
}
