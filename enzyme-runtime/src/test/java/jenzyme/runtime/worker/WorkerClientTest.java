package jenzyme.runtime.worker;

import jenzyme.runtime.ad.WrapperSignature;
import jenzyme.runtime.ad.OutputSlot;
import static jenzyme.runtime.worker.NativeFixtures.assertRelative;
import static jenzyme.runtime.worker.NativeFixtures.bitcodeOf;
import static jenzyme.runtime.worker.NativeFixtures.centralDifference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.ArgType;
import jenzyme.runtime.ad.Argument;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.error.DifferentiationException;
import jenzyme.runtime.error.WorkerException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client against the real worker binary: numbers through FFM, refusals, crashes, timeouts, cancellation. */
class WorkerClientTest {

    private static final List<Argument> COMPOSITE_REVERSE = List.of(
            Argument.of(Activity.CONST, ArgType.PTR_I32),
            Argument.of(Activity.ACTIVE, ArgType.DOUBLE),
            Argument.of(Activity.ACTIVE, ArgType.DOUBLE));
    private static final List<Argument> SIN_SUM_REVERSE = List.of(
            Argument.of(Activity.CONST, ArgType.PTR_I32),
            Argument.of(Activity.ACTIVE, ArgType.DOUBLE),
            Argument.of(Activity.DUPLICATED, ArgType.PTR_DOUBLE),
            Argument.of(Activity.CONST, ArgType.I32),
            Argument.of(Activity.CONST, ArgType.I32));

    @TempDir
    Path scratch;

    private WorkerClient client;

    @BeforeEach
    void startClient() {
        client = new WorkerClient(NativeFixtures.workerExecutable(), Duration.ofSeconds(60));
    }

    @AfterEach
    void closeClient() {
        client.close();
    }

    private DifferentiatedModule compositeGradient() {
        byte[] bitcode = bitcodeOf(NativeFixtures.COMPOSITE, "-O2", scratch);
        return client.differentiate(
                DifferentiationRequest.reverse(bitcode, "composite", COMPOSITE_REVERSE, Activity.ACTIVE));
    }

    @Test
    void reverseGradientMatchesAnalyticDerivativesAndFiniteDifferences() throws Throwable {
        DifferentiatedModule module = compositeGradient();
        WrapperSignature wrapper = module.wrapper();
        assertEquals("composite__jenzyme_reverse", wrapper.symbol());
        assertEquals(List.of(OutputSlot.Kind.PRIMAL, OutputSlot.Kind.ADJOINT, OutputSlot.Kind.ADJOINT),
                wrapper.slots().stream().map(OutputSlot::kind).toList());
        assertEquals(List.of(1, 2), wrapper.slots().stream().skip(1).map(OutputSlot::index).toList());
        assertTrue(module.timings().keySet().containsAll(
                List.of(Phase.PARSE, Phase.PRE_OPT, Phase.ENZYME, Phase.POST_OPT, Phase.WRITE)), module.timings()::toString);

        try (Arena arena = Arena.ofConfined()) {
            var library = NativeFixtures.load(module, scratch, arena);
            MethodHandle gradient = NativeFixtures.wrapper(library, wrapper);
            // The worker's module holds the wrapper alone (it drops the function by default): differences of
            // the same formula on the JVM.
            java.util.function.DoubleBinaryOperator primal =
                    (x, y) -> Math.sin(x) * Math.exp(y) + Math.pow(x, 3) * y + Math.pow(y, x);
            MemorySegment status = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment out = arena.allocate(wrapper.outBytes(), 8);
            for (double[] point : new double[][] {{0.7, 1.3}, {-1.1, 0.4}, {2.5, 2.0}}) {
                double x = point[0];
                double y = point[1];
                gradient.invokeExact(status, x, y, out);
                double value = primal.applyAsDouble(x, y);
                double dx = Math.cos(x) * Math.exp(y) + 3 * x * x * y + Math.pow(y, x) * Math.log(y);
                double dy = Math.sin(x) * Math.exp(y) + Math.pow(x, 3) + x * Math.pow(y, x - 1);
                String at = "composite(" + x + ", " + y + ")";
                assertRelative(value, slot(out, 0), 1e-12, at + " primal");
                assertRelative(dx, slot(out, 1), 1e-12, at + " d/dx");
                assertRelative(dy, slot(out, 2), 1e-12, at + " d/dy");
                assertRelative(slot(out, 1), centralDifference(
                        h -> primal.applyAsDouble(h, y), x), 1e-6, at + " d/dx by differences");
                assertRelative(slot(out, 2), centralDifference(
                        h -> primal.applyAsDouble(x, h), y), 1e-6, at + " d/dy by differences");
            }
        }
    }

    @Test
    void arrayGradientInTheJavaCallingConvention() throws Throwable {
        byte[] bitcode = bitcodeOf(NativeFixtures.SIN_SUM, "-O0", scratch);
        DifferentiatedModule module = client.differentiate(
                DifferentiationRequest.reverse(bitcode, "sin_sum", SIN_SUM_REVERSE, Activity.ACTIVE));
        assertEquals(List.of("ARG0", "ARG1", "ARG2", "SHADOW2", "ARG3", "ARG4", "OUT-1"),
                module.wrapper().parameters().stream().map(p -> p.role() + "" + p.argument()).toList());

        double[] a = {0.25, -1.5, 0.75, 2.0, 3.25};
        double x = 0.9;
        try (Arena arena = Arena.ofConfined()) {
            MethodHandle gradient = NativeFixtures.wrapper(NativeFixtures.load(module, scratch, arena), module.wrapper());
            MemorySegment status = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment data = arena.allocateFrom(ValueLayout.JAVA_DOUBLE, a);
            MemorySegment shadow = arena.allocate(ValueLayout.JAVA_DOUBLE, a.length);
            MemorySegment out = arena.allocate(module.wrapper().outBytes(), 8);
            gradient.invokeExact(status, x, data, shadow, a.length, a.length, out);

            assertEquals(0, status.get(ValueLayout.JAVA_INT, 0));
            double value = 0;
            double dx = 0;
            for (int i = 0; i < a.length; i++) {
                value += Math.sin(x * a[i]);
                dx += a[i] * Math.cos(x * a[i]);
                assertRelative(x * Math.cos(x * a[i]), shadow.getAtIndex(ValueLayout.JAVA_DOUBLE, i), 1e-12, "d/da[" + i + "]");
            }
            assertRelative(value, slot(out, 0), 1e-12, "primal");
            assertRelative(dx, slot(out, 1), 1e-12, "d/dx");

            gradient.invokeExact(status, x, data, shadow, a.length, a.length + 1, out);
            assertEquals(1, status.get(ValueLayout.JAVA_INT, 0), "an index past the length must set the status word");
        }
    }

    @Test
    void vectorForwardModeGivesBothPartialsInOneCall() throws Throwable {
        byte[] bitcode = bitcodeOf(NativeFixtures.COMPOSITE, "-O2", scratch);
        List<Argument> arguments = List.of(
                Argument.of(Activity.CONST, ArgType.PTR_I32),
                Argument.of(Activity.DUPLICATED, ArgType.DOUBLE),
                Argument.of(Activity.DUPLICATED, ArgType.DOUBLE));
        DifferentiatedModule module = client.differentiate(
                DifferentiationRequest.forward(bitcode, "composite", 2, arguments, Activity.DUPLICATED_NONEED));
        assertEquals("composite__jenzyme_forward_x2", module.wrapper().symbol());
        assertEquals(List.of(OutputSlot.Kind.DRETURN, OutputSlot.Kind.DRETURN),
                module.wrapper().slots().stream().map(OutputSlot::kind).toList());

        double x = 0.7;
        double y = 1.3;
        try (Arena arena = Arena.ofConfined()) {
            MethodHandle tangents = NativeFixtures.wrapper(NativeFixtures.load(module, scratch, arena), module.wrapper());
            MemorySegment out = arena.allocate(module.wrapper().outBytes(), 8);
            tangents.invokeExact(arena.allocate(ValueLayout.JAVA_INT), x,
                    arena.allocateFrom(ValueLayout.JAVA_DOUBLE, 1.0, 0.0), y,
                    arena.allocateFrom(ValueLayout.JAVA_DOUBLE, 0.0, 1.0), out);
            assertRelative(Math.cos(x) * Math.exp(y) + 3 * x * x * y + Math.pow(y, x) * Math.log(y), slot(out, 0),
                    1e-12, "lane 0 = d/dx");
            assertRelative(Math.sin(x) * Math.exp(y) + Math.pow(x, 3) + x * Math.pow(y, x - 1), slot(out, 1),
                    1e-12, "lane 1 = d/dy");
        }
    }

    @Test
    void dumpedIrShowsTheModuleBeforeAndAfterEnzyme() {
        byte[] bitcode = bitcodeOf(NativeFixtures.COMPOSITE, "-O2", scratch);
        DifferentiatedModule module = client.differentiate(DifferentiationRequest
                .reverse(bitcode, "composite", COMPOSITE_REVERSE, Activity.ACTIVE)
                .withOptions(DifferentiationOptions.DEFAULT.withDumpIr(true).withAdBeforeOptimisation(true)));
        assertTrue(module.irBeforeEnzyme().orElseThrow().contains("define double @composite("));
        assertFalse(module.irBeforeEnzyme().orElseThrow().contains("__jenzyme_reverse"));
        assertTrue(module.irAfterEnzyme().orElseThrow().contains("define void @composite__jenzyme_reverse(ptr"));
        assertFalse(module.timings().containsKey(Phase.PRE_OPT), "AD before optimisation skips the pre-AD pipeline");
    }

    @Test
    void enzymeRefusalNamesTheCalleeAndKeepsTheWorker() {
        byte[] bitcode = bitcodeOf(NativeFixtures.UNKNOWN_EXTERNAL, "-O2", scratch);
        var refusal = assertThrows(DifferentiationException.class, () -> client.differentiate(DifferentiationRequest
                .reverse(bitcode, "opaque", COMPOSITE_REVERSE.subList(0, 2), Activity.ACTIVE)));
        assertEquals("enzyme", refusal.phase());
        assertEquals("opaque", refusal.function());
        assertTrue(refusal.workerMessage().contains("mystery_kernel"), refusal::getMessage);

        compositeGradient();
        assertEquals(1, client.starts(), "a refusal must not cost a worker restart");
    }

    @Test
    void garbageBitcodeIsAParseRefusal() {
        var refusal = assertThrows(DifferentiationException.class, () -> client.differentiate(DifferentiationRequest
                .reverse("not bitcode".getBytes(), "f", COMPOSITE_REVERSE, Activity.ACTIVE)));
        assertEquals("parse", refusal.phase());
        assertTrue(refusal.workerMessage().contains("not valid LLVM 19 bitcode"), refusal::getMessage);
    }

    @Test
    void aCrashIsReportedWithStderrAndTheNextRequestGetsAFreshWorker() {
        var crash = assertThrows(WorkerException.class, client::debugAbort);
        assertEquals(WorkerException.Reason.CRASHED, crash.reason());
        assertTrue(crash.getMessage().contains("signal 6 (SIGABRT)"), crash::getMessage);
        assertTrue(crash.stderrTail().contains("aborting on request"), crash::stderrTail);

        assertEquals("composite__jenzyme_reverse", compositeGradient().wrapper().symbol());
        assertEquals(2, client.starts());
    }

    @Test
    void aSlowWorkerIsKilledAtTheTimeoutAndReplaced() {
        try (var impatient = new WorkerClient(NativeFixtures.workerExecutable(), Duration.ofSeconds(1))) {
            long start = System.nanoTime();
            var timeout = assertThrows(WorkerException.class, () -> impatient.debugSleep(Duration.ofSeconds(60)));
            assertEquals(WorkerException.Reason.TIMED_OUT, timeout.reason());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30), "the timeout must not wait for the worker");
            assertTrue(impatient.version().startsWith("jenzyme-worker "));
            assertEquals(2, impatient.starts());
        }
    }

    @Test
    void cancelAbandonsTheRequestInFlight() throws Exception {
        var sleeping = CompletableFuture.runAsync(() -> client.debugSleep(Duration.ofSeconds(60)));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!client.cancel()) {
            assertTrue(System.nanoTime() < deadline, "the request never got in flight");
            Thread.sleep(10);
        }
        var failure = assertThrows(java.util.concurrent.ExecutionException.class, () -> sleeping.get(30, TimeUnit.SECONDS));
        var cancelled = (WorkerException) failure.getCause();
        assertEquals(WorkerException.Reason.CANCELLED, cancelled.reason());
        assertFalse(client.cancel(), "nothing is in flight any more");
        assertTrue(client.version().startsWith("jenzyme-worker "));
    }

    @Test
    void garbageOnStdoutIsAProtocolFailureAndTheWorkerIsReplaced() throws Exception {
        Path impostor = script("impostor", "printf 'HTTP/1.1 200 OK\\r\\n\\r\\n'; sleep 60");
        try (var confused = new WorkerClient(impostor, Duration.ofSeconds(30))) {
            var garbage = assertThrows(WorkerException.class, confused::version);
            assertEquals(WorkerException.Reason.PROTOCOL, garbage.reason());
            assertTrue(garbage.getMessage().contains("expected a frame starting with JZW1"), garbage::getMessage);
            assertThrows(WorkerException.class, confused::version);
            assertEquals(2, confused.starts(), "each failure discards the process; each request starts a new one");
        }
    }

    @Test
    void aWorkerThatDiesAtOnceIsACrashWithItsStatusAndStderr() throws Exception {
        Path dying = script("dying", "echo 'cannot load libLLVM' >&2; exit 3");
        try (var doomed = new WorkerClient(dying, Duration.ofSeconds(30))) {
            var crash = assertThrows(WorkerException.class, doomed::version);
            assertEquals(WorkerException.Reason.CRASHED, crash.reason());
            assertTrue(crash.getMessage().contains("exited with status 3"), crash::getMessage);
            assertTrue(crash.stderrTail().contains("cannot load libLLVM"), crash::stderrTail);
        }
    }

    private Path script(String name, String body) throws java.io.IOException {
        Path path = scratch.resolve(name);
        java.nio.file.Files.writeString(path, "#!/bin/sh\n" + body + "\n");
        assertTrue(path.toFile().setExecutable(true));
        return path;
    }

    @Test
    void aMissingExecutableFailsToStartWithItsPath() {
        try (var lost = new WorkerClient(scratch.resolve("no-such-worker"), Duration.ofSeconds(5))) {
            var failure = assertThrows(WorkerException.class, lost::version);
            assertEquals(WorkerException.Reason.START_FAILED, failure.reason());
            assertTrue(failure.getMessage().contains("no-such-worker"), failure::getMessage);
        }
    }

    @Test
    void aClosedClientRefusesRequests() {
        client.close();
        assertEquals(WorkerException.Reason.CLOSED, assertThrows(WorkerException.class, client::version).reason());
    }

    @Test
    void theTimeoutComesFromTheEnvironmentInSecondsAndNonsenseIsRefusedByName() {
        assertEquals(WorkerClient.DEFAULT_TIMEOUT, WorkerClient.timeoutFrom(null));
        assertEquals(WorkerClient.DEFAULT_TIMEOUT, WorkerClient.timeoutFrom(" "));
        assertEquals(Duration.ofMillis(2500), WorkerClient.timeoutFrom("2.5"));
        for (String nonsense : List.of("0", "-3", "soon", "NaN", "Infinity", "1e9")) {
            var failure = assertThrows(WorkerException.class, () -> WorkerClient.timeoutFrom(nonsense));
            assertTrue(failure.getMessage().contains(WorkerClient.TIMEOUT_ENV) && failure.getMessage().contains(nonsense),
                    failure::getMessage);
        }
    }

    private static double slot(MemorySegment out, int index) {
        return out.get(ValueLayout.JAVA_DOUBLE, WrapperSignature.slotOffset(index));
    }
}
