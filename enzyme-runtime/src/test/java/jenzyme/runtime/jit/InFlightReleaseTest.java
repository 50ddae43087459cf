package jenzyme.runtime.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import jenzyme.runtime.bind.NativeBinder;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.testing.DebianLlvm19;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Closing a module while calls are inside it (a binding re-derived while another thread runs it): the calls already
 * inside finish on intact code, new calls raise a clear error, the code is freed when the last call returns. Without
 * the in-flight count these tests end the JVM with SIGSEGV.
 */
class InFlightReleaseTest {

    /** {@code body} picks the version: every version of the function returns a different, checkable value. */
    private static String source(int version) {
        return """
                double work(int *status, long n) {
                    double s = 0;
                    for (long i = 0; i < n; i++) s += (double) (i %% 7) * 0.5;
                    return s + %d;
                }
                """.formatted(version);
    }

    private static final FunctionDescriptor SIGNATURE =
            FunctionDescriptor.of(ValueLayout.JAVA_DOUBLE, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);
    private static OrcJit jit;
    private static final List<byte[]> VERSIONS = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        jit = OrcJit.create(Map.of());
        for (int version = 0; version < 2; version++) {
            VERSIONS.add(DebianLlvm19.bitcodeOf(source(version)));
        }
    }

    @AfterAll
    static void stop() {
        jit.close();
    }

    private static double expected(long n, int version) {
        double s = 0;
        for (long i = 0; i < n; i++) s += (double) (i % 7) * 0.5;
        return s + version;
    }

    private record Version(JitModule module, MethodHandle handle, int number) {}

    private static Version load(int number) {
        JitModule module = jit.add("work" + number, VERSIONS.get(number % 2), false);
        return new Version(module, module.guard(NativeBinder.bindRaw(module.address("work"), SIGNATURE)), number % 2);
    }

    private static double call(MethodHandle handle, long n) throws Throwable {
        return (double) handle.invokeExact(MemorySegment.ofArray(new int[4]), n);
    }

    @Test
    void aLongCallFinishesOnIntactCodeAfterItsModuleIsClosed() throws Throwable {
        Version version = load(0);
        long n = 300_000_000L; // ~0.3 s
        AtomicReference<Object> outcome = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        Thread caller = new Thread(() -> {
            started.countDown();
            try {
                outcome.set(call(version.handle(), n));
            } catch (Throwable e) {
                outcome.set(e);
            }
        });
        caller.start();
        started.await();
        Thread.sleep(50);
        version.module().close();
        assertFalse(version.module().isLive());
        BindingException refused = assertThrows(BindingException.class, () -> call(version.handle(), 10));
        assertTrue(refused.getMessage().contains("was released") && refused.getMessage().contains("call the new binding"),
                refused.getMessage());
        caller.join();
        assertEquals(expected(n, 0), outcome.get(), "the call inside finished with the old body's result");
    }

    @Test
    void closingTheWholeJitWaitsForTheCallsInsideItsModules() throws Throwable {
        OrcJit own = OrcJit.create(Map.of());
        JitModule module = own.add("work", VERSIONS.get(1), false);
        MethodHandle handle = module.guard(NativeBinder.bindRaw(module.address("work"), SIGNATURE));
        long n = 300_000_000L; // ~0.3 s
        AtomicReference<Object> outcome = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        Thread caller = new Thread(() -> {
            started.countDown();
            try {
                outcome.set(call(handle, n));
            } catch (Throwable e) {
                outcome.set(e);
            }
        });
        caller.start();
        started.await();
        Thread.sleep(50);
        own.close(); // the kernel's shutdown: before, this freed the code under the call (SIGSEGV)
        assertFalse(own.isDisposed(), "the JIT stays while a call is inside one of its modules");
        assertThrows(BindingException.class, () -> call(handle, 10));
        caller.join();
        assertEquals(expected(n, 1), outcome.get(), "the call inside finished on intact code");
        assertTrue(own.isDisposed(), "the last call out disposed the closed JIT");
    }

    @Test
    void fourThreadsCallingThroughAHundredRecompilationsSeeOldNewOrAClearError() throws Throwable {
        AtomicReference<Version> current = new AtomicReference<>(load(0));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong correct = new AtomicLong(), refused = new AtomicLong();
        AtomicReference<Throwable> wrong = new AtomicReference<>();
        List<Thread> callers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread caller = new Thread(() -> {
                long n = 20_000;
                while (!stop.get()) {
                    Version v = current.get();
                    try {
                        double result = call(v.handle(), n);
                        if (result != expected(n, v.number())) {
                            wrong.compareAndSet(null, new AssertionError("version " + v.number() + ": " + result));
                        }
                        correct.incrementAndGet();
                    } catch (BindingException e) {
                        refused.incrementAndGet();
                    } catch (Throwable e) {
                        wrong.compareAndSet(null, e);
                    }
                }
            });
            caller.start();
            callers.add(caller);
        }
        for (int round = 1; round <= 100; round++) {
            Version old = current.getAndSet(load(round));
            Thread.sleep(2);
            old.module().close();
        }
        stop.set(true);
        for (Thread caller : callers) {
            caller.join();
        }
        current.get().module().close();
        if (wrong.get() != null) {
            throw new AssertionError("a call returned a wrong result or failed unclearly", wrong.get());
        }
        assertTrue(correct.get() > 100, "calls that ran: " + correct.get() + ", refused: " + refused.get());
    }
}
