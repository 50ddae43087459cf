package jenzyme.magics.binding;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.SwitchPoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import jenzyme.magics.UserMethod;
import jenzyme.runtime.error.Messages;

/**
 * Retires compiled code when the cell methods (or the cell classes declaring them) it was compiled from change: each
 * bound handle is guarded by a
 * {@link SwitchPoint} (free on the hot path: the JVM compiles the guard away and deoptimises when it flips), and
 * when JShell redefines a method the code depends on (the entry or any method lowered into it), the guard flips and
 * every later call raises {@code "f changed since %autodiff; re-run %autodiff reverse f"} instead of silently
 * computing the old function. Re-deriving on the next call was considered and dropped: the call runs inside a cell,
 * where new stubs cannot be defined, and a method whose signature changed has no derivative of the old shape.
 */
final class StaleBindings {

    private static final MethodHandle RAISE;

    static {
        try {
            RAISE = MethodHandles.lookup().findStatic(StaleBindings.class, "raise",
                    MethodType.methodType(Object.class, Watch.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * One notebook method the code was compiled from, as it was then: JShell gives a changed method a new class. It
     * also recompiles unchanged methods into new classes (a new import, a redefined record they do not use), which
     * left every binding "changed" after an {@code import java.io.*;}: a method with the same source is the same.
     */
    private record Dependency(String name, String descriptor, String ownerInternalName, String source) {}

    /*
     * Code that reads notebook variables is bound to the wrapper classes that hold them. Redefining a variable
     * (`double G = 1.62;` again) makes JShell recompile the methods using it, with the same source, to read the new
     * class's field: for such code a recompiled method is a change, whatever its source (an import then retires it
     * too, which is merely one re-run more).
     */

    /** The code of one compilation: what it depends on, how to re-run it, whether it was released already. */
    private static final class Watch {
        final SwitchPoint point = new SwitchPoint();
        final String entry;
        final List<Dependency> dependencies;
        final String rerun;
        final BooleanSupplier isLive;
        final boolean readsNotebookVariables;
        volatile String message;

        Watch(String entry, List<Dependency> dependencies, boolean readsNotebookVariables, String rerun,
              BooleanSupplier isLive) {
            this.entry = entry;
            this.dependencies = dependencies;
            this.readsNotebookVariables = readsNotebookVariables;
            this.rerun = rerun;
            this.isLive = isLive;
        }
    }

    /**
     * Each guarded handle's watch, for a stub that must know whether its code was retired before it reads a
     * notebook variable (a receiver JShell reset to null when its class was redefined: {@link Receivers#missing}).
     * Weak keys: a released binding's handle goes with it.
     */
    private static final java.util.Map<MethodHandle, Watch> WATCHED =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    private final Function<String, List<UserMethod>> currentMethods;
    private final List<Watch> watches = new CopyOnWriteArrayList<>();

    /** {@code currentMethods} lists the notebook's active methods of a name now (the kernel's view). */
    StaleBindings(Function<String, List<UserMethod>> currentMethods) {
        this.currentMethods = currentMethods;
    }

    /**
     * {@code target} guarded against changes of {@code entry} and of the notebook methods in {@code loweredMethods}
     * ({@code owner.name(descriptor)} as the lowering lists them); {@code rerun} is the magic line that refreshes it.
     *
     * @param readsNotebookVariables whether the code reads notebook variables (then any recompilation retires it)
     */
    Guarded guard(MethodHandle target, UserMethod entry, List<String> loweredMethods, boolean readsNotebookVariables,
                  String rerun, BooleanSupplier isLive) {
        List<Dependency> dependencies = new ArrayList<>();
        dependencies.add(new Dependency(entry.name(), entry.descriptor(), entry.ownerInternalName(), entry.source()));
        for (String method : loweredMethods) {
            int parameters = method.indexOf('(');
            int dot = method.lastIndexOf('.', parameters);
            String owner = method.substring(0, dot).replace('.', '/');
            if (owner.startsWith("REPL/")) { // only notebook methods can be redefined
                String name = method.substring(dot + 1, parameters);
                String descriptor = method.substring(parameters);
                String source = currentMethods.apply(name).stream()
                        .filter(m -> m.descriptor().equals(descriptor) && m.ownerInternalName().equals(owner))
                        .map(UserMethod::source).findFirst().orElse(null);
                dependencies.add(new Dependency(name, descriptor, owner, source));
            }
        }
        Watch watch = new Watch(entry.name(), List.copyOf(dependencies), readsNotebookVariables, rerun, isLive);
        watches.add(watch);
        return new Guarded(guarded(target, watch), watch.point);
    }

    /** {@code target} retired with {@code guarded} (a handle {@link #guard} made): the same code, another entry. */
    static MethodHandle alike(MethodHandle target, MethodHandle guarded) {
        return guarded(target, WATCHED.get(guarded));
    }

    private static MethodHandle guarded(MethodHandle target, Watch watch) {
        MethodType type = target.type();
        MethodHandle raise = MethodHandles.dropArguments(
                MethodHandles.insertArguments(RAISE, 0, watch).asType(MethodType.methodType(type.returnType())),
                0, type.parameterList());
        MethodHandle guarded = watch.point.guardWithTest(target, raise);
        WATCHED.put(guarded, watch);
        return guarded;
    }

    /** {@code derived} calls the code of {@code guarded} (and nothing else): it is retired with it. */
    static void alias(MethodHandle derived, MethodHandle guarded) {
        Watch watch = WATCHED.get(guarded);
        if (watch != null) {
            WATCHED.put(derived, watch);
        }
    }

    /** Why the code of {@code guarded} (a handle {@link #guard} made) was retired; empty while it is current. */
    static java.util.Optional<String> retirement(MethodHandle guarded) {
        Watch watch = WATCHED.get(guarded);
        return watch != null && watch.point.hasBeenInvalidated() ? java.util.Optional.ofNullable(watch.message)
                : java.util.Optional.empty();
    }

    /** A guarded handle and its guard, which callers that cache compiled code consult before reusing it. */
    record Guarded(MethodHandle handle, SwitchPoint guard) {
        boolean isStale() {
            return guard.hasBeenInvalidated();
        }
    }

    /** JShell (re)defined methods called {@code names}: retires the code compiled from an earlier version. */
    void methodsDefined(Set<String> names) {
        List<SwitchPoint> retired = new ArrayList<>();
        for (Watch watch : watches) {
            if (!watch.isLive.getAsBoolean()) {
                watches.remove(watch); // released (rebound or recompiled): nothing to guard any more
                continue;
            }
            // A method of a cell class changes only with its class (below): a top-level method of the same name
            // is another method, which retired sp.depth's binding when the user defined depth(double).
            List<Dependency> changed = watch.dependencies.stream()
                    .filter(d -> names.contains(d.name()) && declaredClass(d.ownerInternalName()).isEmpty()
                            && !isCurrent(d, watch.readsNotebookVariables)).toList();
            String redefinedClass = watch.dependencies.stream().map(d -> declaredClass(d.ownerInternalName()))
                    .filter(names::contains).findFirst().orElse(null);
            if (!changed.isEmpty() || redefinedClass != null) {
                Dependency callee = changed.stream().filter(d -> !d.name().equals(watch.entry)).findFirst()
                        .orElse(null);
                String magic = watch.rerun.substring(0, watch.rerun.indexOf(' '));
                watch.message = redefinedClass != null
                        ? Messages.STALE_CLASS.format(redefinedClass, magic, watch.rerun)
                        : callee == null ? Messages.STALE_METHOD.format(watch.entry, magic, watch.rerun)
                        : Messages.STALE_CALLEE.format(callee.name(), watch.entry, magic, watch.rerun);
                retired.add(watch.point);
                watches.remove(watch);
            }
        }
        if (!retired.isEmpty()) {
            SwitchPoint.invalidateAll(retired.toArray(SwitchPoint[]::new));
        }
    }

    /**
     * The cell class that declares code of {@code owner}: {@code Spring} for {@code REPL/$JShell$12$Spring} (or its
     * nested {@code ...$Spring$Part}), empty for a cell's top-level methods ({@code REPL/$JShell$12}). JShell gives a
     * redefined class a new wrapper and reports only the type, not its methods: an instance method compiled from the
     * old class (a receiver binding, a method it calls) would otherwise keep running the old body. Any redefinition
     * retires it, even with the same source: JShell resets the variables of the old class to null anyway.
     */
    private static String declaredClass(String owner) {
        if (!owner.startsWith("REPL/$JShell$")) {
            return "";
        }
        String[] parts = owner.substring("REPL/$JShell$".length()).split("\\$");
        return parts.length > 1 ? parts[1] : "";
    }

    private boolean isCurrent(Dependency dependency, boolean sameClassOnly) {
        return currentMethods.apply(dependency.name()).stream().anyMatch(m -> m.descriptor().equals(
                dependency.descriptor()) && (m.ownerInternalName().equals(dependency.ownerInternalName())
                || !sameClassOnly && m.source().equals(dependency.source())));
    }

    private static Object raise(Watch watch) {
        throw new IllegalStateException(watch.message);
    }
}
