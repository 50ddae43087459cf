package jenzyme.kernel;

import jenzyme.kernel.exec.CompilationFailure;
import jenzyme.magics.DefinitionException;
import jenzyme.magics.NotebookSession;
import jenzyme.magics.UserMethod;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kernel as magics use it: cells with magics, the NotebookSession API, interrupts reaching magics. */
class KernelSessionTest {

    private static JEnzymeKernel kernel;
    private static NotebookSession session;

    @BeforeAll
    static void start() throws Exception {
        kernel = JEnzymeKernel.start();
        session = kernel.session();
    }

    @AfterAll
    static void stop() {
        kernel.onShutdown(false);
    }

    /** In the kernel, magics call the session inside a cell; a new cell forgets earlier tests' interrupts. */
    @BeforeEach
    void beginCell() throws Exception {
        kernel.runCell("");
    }

    private static String text(CellExecutor.CellResult result) {
        DisplayData value = result.value().orElseThrow(() -> new AssertionError("the cell has no value"));
        return String.valueOf(value.getData(MIMEType.TEXT_PLAIN));
    }

    @Test
    void definedMethodsAreListedAndCallable() throws Throwable {
        session.define("double cube(double x) { return x * x * x; }");
        List<UserMethod> cubes = session.methods("cube");
        assertEquals(1, cubes.size());
        MethodHandle cube = session.handle(cubes.getFirst());
        assertEquals(-27.0, (double) cube.invokeExact(-3.0));
        assertEquals("8.0", text(kernel.runCell("cube(2)")));
    }

    @Test
    void definitionErrorsCarryTheCompilerMessage() {
        DefinitionException error = assertThrows(DefinitionException.class,
                () -> session.define("double stub(double x) { return missingHelper(x); }"));
        assertEquals(List.of("method stub cannot be used until method missingHelper(double) is declared"), error.problems());
        assertEquals("double stub(double x) { return missingHelper(x); }", error.snippet());
        DefinitionException rejected = assertThrows(DefinitionException.class, () -> session.define("double broken( {"));
        assertTrue(rejected.problems().getFirst().startsWith("incomplete input"), rejected.problems().toString());
        DefinitionException typeError = assertThrows(DefinitionException.class, () -> session.define("int bad = \"text\";"));
        assertTrue(typeError.problems().getFirst().contains("incompatible types"), typeError.problems().toString());
    }

    @Test
    void handleOfAMethodThatIsNotLoadedIsAnError() {
        UserMethod ghost = new UserMethod("REPL/$JShell$99999", "ghost", "(D)D", "double ghost(double x) { return x; }");
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> session.handle(ghost));
        assertTrue(error.getMessage().startsWith("expected a loaded cell method ghost(D)D"), error.getMessage());
    }

    @Test
    void startupImportsAndTheNotebookApiAreAvailable() throws Exception {
        assertEquals("3", text(kernel.runCell("new ArrayList<>(List.of(1, 2, 3)).stream().collect(Collectors.toList()).size()")));
        DisplayData html = kernel.runCell("html(\"<b>x</b>\")").value().orElseThrow();
        assertEquals("<b>x</b>", html.getData(MIMEType.TEXT_HTML));
    }

    @Test
    void lineMagicsRunBetweenJavaPartsInOrder() throws Exception {
        kernel.getMagicsRegistry().registerLineMagic("join", (k, args) -> String.join("+", args));
        assertEquals("10", text(kernel.runCell("int q = 5;\n%join a b\nq * 2")));
        assertEquals("a+b", text(kernel.runCell("int r = 1;\n%join a b")));
    }

    @Test
    void unknownMagicIsReportedWithTheKnownOnes() {
        MagicFailure failure = assertThrows(MagicFailure.class, () -> kernel.runCell("%nosuch x"));
        ErrorReport report = kernel.report(failure);
        assertEquals("UndefinedMagic", report.name());
        assertTrue(report.traceback().getFirst().contains("%classpath"), report.traceback().toString());
    }

    @Test
    void compileErrorReportPointsAtTheCellLine() {
        CompilationFailure failure = assertThrows(CompilationFailure.class, () -> kernel.runCell("int a = 1;\nint b = a +;"));
        ErrorReport report = kernel.report(failure);
        assertEquals("CompilationError", report.name());
        assertEquals(List.of("Compilation error, line 2, column 12: illegal start of expression",
                "    int b = a +;", "               ^"), report.traceback());
    }

    /** What holds the JIT's full tiers while a magic binds (CompilerSession) hears each magic's end, failed or not. */
    @Test
    void magicEndListenersRunAfterEachMagicOnceItsOutputIsRendered() throws Exception {
        List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        kernel.getMagicsRegistry().registerLineMagic("noteEnd", (k, args) -> {
            heard.add("magic " + args);
            if (args.contains("fail")) {
                throw new IllegalStateException("as asked");
            }
            return "done " + args;
        });
        try (NotebookSession.InterruptRegistration ignored = session.onMagicEnd(() -> heard.add("end"))) {
            assertEquals("done [b]", text(kernel.runCell("%noteEnd a\n%noteEnd b")));
            assertEquals(List.of("magic [a]", "end", "magic [b]", "end"), heard);
            heard.clear();
            assertThrows(MagicFailure.class, () -> kernel.runCell("%noteEnd fail"));
            assertEquals(List.of("magic [fail]", "end"), heard);
            heard.clear();
            kernel.runCell("int notAMagic = 1;");
            assertEquals(List.of(), heard, "Java cells are not magics");
        }
        heard.clear();
        kernel.runCell("%noteEnd c");
        assertEquals(List.of("magic [c]"), heard, "a closed registration hears nothing");
    }

    @Test
    void interruptReleasesAMagicWaitingOnItsListener() throws Exception {
        CountDownLatch waiting = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        kernel.getMagicsRegistry().registerLineMagic("awaitInterrupt", (k, args) -> {
            CountDownLatch released = new CountDownLatch(1);
            try (NotebookSession.InterruptRegistration ignored = session.onInterrupt(() -> {
                calls.incrementAndGet();
                released.countDown();
            })) {
                waiting.countDown();
                return released.await(30, TimeUnit.SECONDS) ? "released" : "timed out";
            }
        });
        CompletableFuture<CellExecutor.CellResult> cell = runInBackground("%awaitInterrupt");
        assertTrue(waiting.await(30, TimeUnit.SECONDS));
        kernel.interrupt();
        assertEquals("released", text(cell.get(30, TimeUnit.SECONDS)));
        kernel.interrupt(); // the registration is closed: the listener must not run again
        assertEquals(1, calls.get());
    }

    @Test
    void interruptStopsUserCodeCalledByAMagic() throws Exception {
        CountDownLatch calling = new CountDownLatch(1);
        session.define("double spinForever(double x) { while (x == x) { x = x * 0.5 + 1; } return x; }");
        kernel.getMagicsRegistry().registerLineMagic("callSpin", (k, args) -> {
            MethodHandle spin = session.handle(session.methods("spinForever").getFirst());
            calling.countDown();
            try {
                return (double) spin.invokeExact(1.0);
            } catch (Error | Exception e) {
                throw e;
            } catch (Throwable impossible) {
                throw new AssertionError(impossible);
            }
        });
        CompletableFuture<CellExecutor.CellResult> cell = runInBackground("%callSpin");
        assertTrue(calling.await(30, TimeUnit.SECONDS));
        Thread.sleep(50); // let the magic enter the loop
        kernel.interrupt();
        ExecutionException failed = assertThrows(ExecutionException.class, () -> cell.get(30, TimeUnit.SECONDS));
        MagicFailure failure = assertInstanceOf(MagicFailure.class, failed.getCause().getCause());
        assertEquals("Interrupted", kernel.report(failure).name());
        assertEquals("2", text(kernel.runCell("1 + 1")));
    }

    private static CompletableFuture<CellExecutor.CellResult> runInBackground(String cell) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return kernel.runCell(cell);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }
}
