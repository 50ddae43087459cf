package jenzyme.kernel.exec;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Interrupting a cell stops it (however it is busy) and leaves the evaluator ready for the next cell. */
public class InterruptTest {

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
        Path classes = InMemoryJavac.writeClassDirectory(dir, InMemoryJavac.compile("fixture.Spinner", """
                package fixture;
                public class Spinner {
                    public static volatile boolean release;
                    public static long spin() { long n = 0; while (!release) { n++; } return n; }
                }"""));
        evaluator.addToClasspath(List.of(classes));
        EvaluationInterrupted interrupted = interruptWhileRunning(
                "{ jenzyme.kernel.exec.InterruptTest.started.countDown(); fixture.Spinner.spin(); }");
        assertTrue(interrupted.getMessage().contains("abandoned"), interrupted.getMessage());
        evaluator.eval("fixture.Spinner.release = true;"); // let the abandoned thread end
    }
}
