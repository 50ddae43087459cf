package jenzyme.runtime.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jenzyme.runtime.bind.NativeBinder;
import jenzyme.runtime.lower.StatusCode;
import jenzyme.runtime.testing.DebianLlvm19;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The checked allocator on code shaped like Enzyme's reverse pass: a tape grown by realloc without a null check
 * (which used to write through NULL and kill the JVM). Failures must become the NATIVE_MEMORY status with every
 * block of the call freed, the budget must hold across threads, and successful calls must be unaffected.
 */
class CheckedAllocationTest {

    private static final String C_SOURCE = """
            #include <stdlib.h>
            /* Like a reverse pass: record n values on a realloc-grown tape, then sum them backwards. */
            double tape(int *status, long n) {
                double *t = 0;
                long cap = 0;
                for (long i = 0; i < n; i++) {
                    if (i == cap) { cap = cap ? 2 * cap : 16; t = realloc(t, cap * sizeof(double)); }
                    t[i] = i * 0.5;
                }
                double s = 0;
                for (long i = n - 1; i >= 0; i--) s += t[i];
                free(t);
                return s;
            }
            double *volatile last; /* keeps clang from eliding the malloc */
            double huge(int *status, long bytes) {
                double *t = malloc(bytes);
                last = t;
                t[0] = 1;
                double s = t[0];
                free(t);
                return s;
            }
            """;
    private static final long DEFAULT_BUDGET = NativeMemory.budget();

    private static OrcJit jit;
    private static JitModule module;
    private static MethodHandle tape;
    private static MethodHandle huge;

    @BeforeAll
    static void start() throws Exception {
        jit = OrcJit.create(Map.of());
        module = jit.add("tape", DebianLlvm19.bitcodeOf(C_SOURCE), false);
        var signature = FunctionDescriptor.of(ValueLayout.JAVA_DOUBLE, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);
        tape = NativeBinder.bindRaw(module.address("tape"), signature);
        huge = NativeBinder.bindRaw(module.address("huge"), signature);
    }

    @AfterAll
    static void stop() {
        module.close();
        jit.close();
    }

    @AfterEach
    void restoreBudget() {
        NativeMemory.setBudget(DEFAULT_BUDGET);
    }

    private static double expected(long n) {
        return 0.5 * n * (n - 1) / 2;
    }

    private record Call(double value, int[] status) {}

    private static Call call(MethodHandle function, long argument) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(ValueLayout.JAVA_INT, StatusCode.BLOCK_INTS);
            double value = (double) function.invokeExact(status, argument);
            int[] block = status.toArray(ValueLayout.JAVA_INT);
            if (block[0] != 0) {
                NativeMemory.freeDeferred(); // what a binding has another thread do after a failure
            }
            return new Call(value, block);
        }
    }

    @Test
    void aTapeWithinTheBudgetIsUnaffectedAndFreed() throws Throwable {
        Call result = call(tape, 100_000);
        assertEquals(0, result.status()[0]);
        assertEquals(expected(100_000), result.value());
        assertEquals(0, NativeMemory.inUse());
    }

    @Test
    void aTapeBeyondTheBudgetFailsCleanlyAndFreesWhatItHeld() throws Throwable {
        NativeMemory.setBudget(64L << 20);
        Call failed = call(tape, 100_000_000); // 800 MB of tape, grown by doubling
        assertEquals(StatusCode.NATIVE_MEMORY.code(), failed.status()[0]);
        assertEquals(64, failed.status()[1], "the failing realloc asked for 64 MiB (32 MiB doubled) + 32 B header");
        assertEquals(64, failed.status()[2], "the budget in MiB");
        assertEquals(0, NativeMemory.inUse(), "the blocks of the failed call were freed");
        Call next = call(tape, 1000);
        assertEquals(0, next.status()[0]);
        assertEquals(expected(1000), next.value());
    }

    @Test
    void aRequestMallocItselfRefusesFailsCleanly() throws Throwable {
        NativeMemory.setBudget(Long.MAX_VALUE / 2);
        Call failed = call(huge, 1L << 47); // 128 TiB: beyond any address space and overcommit
        assertEquals(StatusCode.NATIVE_MEMORY.code(), failed.status()[0]);
        assertEquals(1 << 27, failed.status()[1], "128 TiB in MiB");
        assertEquals(0, NativeMemory.inUse());
        assertEquals(1.0, call(huge, 64).value());
    }

    @Test
    void threadsFailingAndSucceedingAtOnceKeepTheirOwnTapes() throws Throwable {
        NativeMemory.setBudget(256L << 20);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                boolean failing = t == 0;
                futures.add(pool.submit(() -> {
                    int failures = 0;
                    for (int round = 0; round < 20; round++) {
                        long n = failing ? 200_000_000 : 50_000 + round;
                        Call result;
                        try {
                            result = call(tape, n);
                        } catch (Throwable e) {
                            throw new AssertionError(e);
                        }
                        if (result.status()[0] != 0) {
                            failures++;
                        } else {
                            assertEquals(expected(n), result.value());
                        }
                    }
                    return failures;
                }));
            }
            assertEquals(20, futures.get(0).get(), "every oversized call failed");
            for (Future<Integer> future : futures.subList(1, 4)) {
                assertEquals(0, future.get(), "calls within the budget never failed");
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(NativeMemory.inUse() == 0, "nothing left allocated: " + NativeMemory.inUse());
    }

    @Test
    void budgetsParseWithBinaryUnits() {
        assertEquals(512L << 20, NativeMemory.parseBytes("512m"));
        assertEquals(4L << 30, NativeMemory.parseBytes(" 4G "));
        assertEquals(123, NativeMemory.parseBytes("123"));
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> NativeMemory.parseBytes("lots"));
        assertTrue(e.getMessage().contains("512m"), e.getMessage());
    }
}
