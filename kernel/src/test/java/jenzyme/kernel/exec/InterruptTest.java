package jenzyme.kernel.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Interrupting a cell stops it (however it is busy) and leaves the evaluator ready for the next cell. */
public class InterruptTest {

    /** Loop iterations of the abandoned-thread test's cell. */
    public static final AtomicInteger passes = new AtomicInteger();

    /** Counted down by the cell once it runs, so the test interrupts running code rather than compilation. */
    public static volatile CountDownLatch started;

    private JavaEvaluator evaluator;

    @BeforeEach
    void start() {
        evaluator = JavaEvaluator.start(InterruptTest.class.getClassLoader());
        evaluator.beginCell();
        started = new CountDownLatch(1);
    }

    @AfterEach
    void stop() {
        evaluator.close();
    }

    private EvaluationInterrupted interruptWhileRunning(String cell) throws Exception {
        CompletableFuture<JavaEvaluator.CellOutcome> running = CompletableFuture.supplyAsync(() -> {
            try {
                return evaluator.eval(cell);
            } catch (EvaluationException e) {
                throw new RuntimeException(e);
            }
        });
        assertTrue(started.await(30, TimeUnit.SECONDS), "the cell never started");
        evaluator.interrupt();
        ExecutionException failed = assertThrows(ExecutionException.class, () -> running.get(30, TimeUnit.SECONDS));
        EvaluationInterrupted interrupted = assertInstanceOf(EvaluationInterrupted.class, failed.getCause().getCause());
        evaluator.beginCell();
        assertEquals(2, evaluator.eval("1 + 1").value().orElseThrow().value(), "the next cell must work");
        return interrupted;
    }

    /** Snippet code is woven with stop checks, so it must stop by itself rather than by abandoning its thread. */
    private void assertStoppedCooperatively(EvaluationInterrupted interrupted) {
        assertFalse(interrupted.getMessage().contains("abandoned"), interrupted.getMessage());
    }

    @Test
    void busyLoopInACellStops() throws Exception {
        assertStoppedCooperatively(interruptWhileRunning("long n = 0;\nwhile (true) { if (n++ == 0) jenzyme.kernel.exec.InterruptTest.started.countDown(); }"));
    }

    @Test
    void busyLoopInACellMethodStops() throws Exception {
        evaluator.eval("double spin() { jenzyme.kernel.exec.InterruptTest.started.countDown(); "
                + "double s = 0; while (s >= 0) { s += 1e-9; } return s; }");
        assertStoppedCooperatively(interruptWhileRunning("spin()"));
    }

    @Test
    void sleepingCellStops() throws Exception {
        assertStoppedCooperatively(interruptWhileRunning("{ jenzyme.kernel.exec.InterruptTest.started.countDown(); Thread.sleep(600_000); }"));
    }

    @Test
    void loopThatSwallowsThrowablesStillStops() throws Exception {
        assertStoppedCooperatively(interruptWhileRunning("while (true) { jenzyme.kernel.exec.InterruptTest.started.countDown();\n"
                + "  try { Thread.sleep(10_000); } catch (Throwable ignored) { } }"));
    }

    @Test
    void interruptBetweenSnippetsSkipsTheRestOfTheCell() throws Exception {
        interruptWhileRunning("jenzyme.kernel.exec.InterruptTest.started.countDown();\n"
                + "Thread.sleep(600_000);\nint neverDefined = 1;");
        assertThrows(CompilationFailure.class, () -> evaluator.eval("neverDefined"));
    }

    @Test
    void loopInLibraryCodeIsAbandonedAndTheKernelGoesOn(@TempDir Path dir) throws Exception {
        // A jar's classes are not woven, and this loop ignores thread interrupts: only abandoning its thread helps.
        Path classes = InMemoryJavac.compile("fixture.Spinner", """
                package fixture;
                public class Spinner {
                    public static volatile boolean release;
                    public static long spin() { long n = 0; while (!release) { n++; } return n; }
                }""").writeTo(dir);
        evaluator.addToClasspath(List.of(classes));
        EvaluationInterrupted interrupted = interruptWhileRunning(
                "{ jenzyme.kernel.exec.InterruptTest.started.countDown(); fixture.Spinner.spin(); }");
        assertTrue(interrupted.getMessage().contains("abandoned"), interrupted.getMessage());
        evaluator.eval("fixture.Spinner.release = true;"); // let the abandoned thread end
    }

    @Test
    void abandonedCellCodeStopsAtItsNextCheckEvenAfterTheNextCellStarts(@TempDir Path dir) throws Exception {
        Path classes = InMemoryJavac.compile("fixture.Gate", """
                package fixture;
                public class Gate {
                    public static volatile boolean open;
                    public static void pass() { while (!open) { } }
                }""").writeTo(dir);
        evaluator.addToClasspath(List.of(classes));
        passes.set(0);
        interruptWhileRunning("while (true) { jenzyme.kernel.exec.InterruptTest.started.countDown(); fixture.Gate.pass();"
                + " jenzyme.kernel.exec.InterruptTest.passes.incrementAndGet(); }");
        // interruptWhileRunning has started the next cell, so the stop flag is clear again; open the gate.
        Thread abandoned = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t instanceof UserCodeThread.Worker w && w.isAbandoned() && t.isAlive())
                .findFirst().orElseThrow(() -> new AssertionError("no abandoned user-code thread"));
        evaluator.eval("fixture.Gate.open = true;");
        abandoned.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(abandoned.isAlive(), "the abandoned cell kept looping");
        assertTrue(passes.get() <= 1, "iterations after the gate opened: " + passes.get());
    }
}
