package jenzyme.magics;

import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import jenzyme.runtime.lower.ClassBytesSource;

/**
 * A notebook session for the magics that add to the classpath ({@code %classpath}, {@code %maven}): it records what
 * they add ({@link #added}) and accepts interrupt listeners; every other capability is out of these magics' reach.
 */
public final class ClasspathSession implements NotebookSession {

    /** The entries added, in order. */
    public final List<Path> added = new ArrayList<>();

    @Override public ClassBytesSource classBytes() { throw new UnsupportedOperationException(); }
    @Override public List<UserMethod> methods(String name) { throw new UnsupportedOperationException(); }
    @Override public boolean declares(String name) { throw new UnsupportedOperationException(); }
    @Override public MethodHandle handle(UserMethod method) { throw new UnsupportedOperationException(); }
    @Override public void define(String javaSource) { throw new UnsupportedOperationException(); }
    @Override public void display(Object value) { throw new UnsupportedOperationException(); }
    @Override public void addToClasspath(List<Path> entries) { added.addAll(entries); }
    @Override public InterruptRegistration onInterrupt(Runnable listener) { return () -> { }; }
    @Override public InterruptRegistration onMethodsDefined(Consumer<Set<String>> listener) {
        throw new UnsupportedOperationException();
    }
}
