package jenzyme.magics.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jenzyme.magics.UserMethod;
import org.junit.jupiter.api.Test;

/** Guards retire compiled code exactly when a method it was compiled from gets a new class, and say which. */
class StaleBindingsTest {

    private final Map<String, List<UserMethod>> notebook = new HashMap<>();
    private final StaleBindings stale = new StaleBindings(name -> notebook.getOrDefault(name, List.of()));

    /** A version of a cell method; {@code source} tells versions of the same signature apart. */
    private static UserMethod method(String owner, String name, String descriptor, String source) {
        return new UserMethod(owner, name, descriptor, source);
    }

    private static UserMethod method(String owner, String name, String descriptor) {
        return method(owner, name, descriptor, name + descriptor + " v1");
    }

    private static MethodHandle square() throws ReflectiveOperationException {
        return MethodHandles.lookup().findStatic(Math.class, "pow",
                MethodType.methodType(double.class, double.class, double.class));
    }

    @Test
    void redefiningTheEntryOrACalleeRetiresTheCodeWithAMessageNamingIt() throws Throwable {
        UserMethod f = method("REPL/$JShell$5", "f", "(D)D");
        notebook.put("f", List.of(f));
        notebook.put("g", List.of(method("REPL/$JShell$4", "g", "(D)D")));
        var guarded = stale.guard(square(), f, List.of("REPL.$JShell$5.f(D)D", "REPL.$JShell$4.g(D)D",
                "java.lang.Math.sin(D)D"), false, "%autodiff reverse f", () -> true);
        assertEquals(8.0, (double) guarded.handle().invokeExact(2.0, 3.0));

        notebook.put("g", List.of(method("REPL/$JShell$4", "g", "(D)D"), method("REPL/$JShell$9", "g", "(I)D")));
        stale.methodsDefined(Set.of("g", "sin"));
        assertFalse(guarded.isStale(), "a new overload of g and a name shared with a library method change nothing");

        notebook.put("g", List.of(method("REPL/$JShell$4B", "g", "(D)D", "g(D)D v2")));
        notebook.put("f", List.of(method("REPL/$JShell$5B", "f", "(D)D"))); // JShell recompiles the caller too
        stale.methodsDefined(Set.of("g", "f"));
        assertTrue(guarded.isStale());
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> { double unused = (double) guarded.handle().invokeExact(2.0, 3.0); });
        assertEquals("g (called by f) changed since %autodiff; re-run %autodiff reverse f", refused.getMessage());
    }

    @Test
    void aChangedSignatureIsAChangeOfTheEntryAndReleasedCodeIsForgotten() throws Throwable {
        UserMethod h = method("REPL/$JShell$7", "h", "(D)D");
        notebook.put("h", List.of(h));
        var guarded = stale.guard(square(), h, List.of("REPL.$JShell$7.h(D)D"), false, "%jit h", () -> true);
        var released = stale.guard(square(), h, List.of("REPL.$JShell$7.h(D)D"), false, "%jit h", () -> false);
        notebook.put("h", List.of(method("REPL/$JShell$7B", "h", "(DD)D", "h(DD)D v2")));
        stale.methodsDefined(Set.of("h"));
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> { double unused = (double) guarded.handle().invokeExact(2.0, 3.0); });
        assertEquals("h changed since %jit; re-run %jit h", refused.getMessage());
        assertFalse(released.isStale(), "code already released is no longer watched");
    }

    @Test
    void aMethodRecompiledFromTheSameSourceIsUnchanged() throws Throwable {
        UserMethod k = method("REPL/$JShell$8", "k", "(D)D");
        notebook.put("k", List.of(k));
        var guarded = stale.guard(square(), k, List.of("REPL.$JShell$8.k(D)D"), false, "%autodiff reverse k",
                () -> true);
        notebook.put("k", List.of(method("REPL/$JShell$8B", "k", "(D)D"))); // a new import: same source, new class
        stale.methodsDefined(Set.of("k"));
        assertFalse(guarded.isStale(), "an import or an unrelated redefinition must not retire the binding");
        assertEquals(8.0, (double) guarded.handle().invokeExact(2.0, 3.0));
    }

    @Test
    void codeReadingNotebookVariablesIsRetiredByAnyRecompilation() throws Throwable {
        UserMethod m = method("REPL/$JShell$10", "m", "(D)D");
        notebook.put("m", List.of(m));
        var guarded = stale.guard(square(), m, List.of("REPL.$JShell$10.m(D)D"), true, "%autodiff reverse m",
                () -> true);
        // A redefined variable: JShell recompiles m from the same source to read the new variable's class.
        notebook.put("m", List.of(method("REPL/$JShell$10B", "m", "(D)D")));
        stale.methodsDefined(Set.of("m"));
        assertTrue(guarded.isStale(), "the old code would read the old variable");
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> { double unused = (double) guarded.handle().invokeExact(2.0, 3.0); });
        assertEquals("m changed since %autodiff; re-run %autodiff reverse m", refused.getMessage());
    }
}
