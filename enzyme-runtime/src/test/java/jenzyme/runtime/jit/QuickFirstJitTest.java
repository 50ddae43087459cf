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
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import jenzyme.runtime.bind.InterruptFlag;
import jenzyme.runtime.bind.NativeBinder;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.testing.DebianLlvm19;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A JIT that compiles quick code first ({@link OrcJit#createQuickFirst}): the entry computes the same bits as a
 * fully compiled module's before, during and after its full tier is swapped in, from many threads; modules that
 * cannot run in two tiers are compiled fully at once; closing a module or the JIT while its full tier waits or runs
 * leaves no call in freed code.
 */
class QuickFirstJitTest {

    /** Optimised IR with loops, libm calls, malloc/free and the interrupt flag, as the worker's modules have. */
    private static final String C_SOURCE = """
            #include <math.h>
            #include <stdlib.h>
            extern int jenzyme_interrupt_enzyme_const;
            double orbit(const double *p, int n, double dt) {
                double *xs = malloc((n > 0 ? n : 1) * sizeof(double));
                double x = p[0], v = p[1], loss = 0;
                for (int i = 0; i < n && !jenzyme_interrupt_enzyme_const; i++) {
                    double a = -p[2] * x - p[3] * v + cos(p[4] * i * dt);
                    x += dt * v;
                    v += dt * a;
                    xs[i] = x;
                }
                for (int i = 0; i < n; i++) loss += fabs(xs[i]) > 1 ? 2 * fabs(xs[i]) - 1 : xs[i] * xs[i];
                free(xs);
                return loss / (n > 0 ? n : 1);
            }
            void scale(double *out, const double *in, int n, double c) {
                for (int i = 0; i < n; i++) out[i] = in[i] * c + sin(in[i]);
            }
            """;
    private static final String STATEFUL_SOURCE = """
            static double total;
            double accumulate(double x) { total += x; return total; }
            """;
    /** Entries a plain call could not forward: a struct copied on the stack, a {@code _Bool} the caller extends. */
    private static final String SPECIALLY_PASSED_SOURCE = """
            struct Point { double c[6]; };
            double norm1(struct Point p) { double s = 0; for (int i = 0; i < 6; i++) s += p.c[i] < 0 ? -p.c[i] : p.c[i]; return s; }
            """;
    private static final String BOOLEAN_SOURCE = """
            double pick(_Bool first, double a, double b) { return first ? a : b; }
            """;
    private static final FunctionDescriptor ORBIT = FunctionDescriptor.of(ValueLayout.JAVA_DOUBLE, ValueLayout.ADDRESS,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_DOUBLE);
    private static final FunctionDescriptor SCALE = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_DOUBLE);

    private static OrcJit quickFirst;
    private static OrcJit fullOnly;
    private static byte[] bitcode;

    @BeforeAll
    static void start() throws Exception {
        Map<String, MemorySegment> symbols = Map.of(InterruptFlag.symbol(), InterruptFlag.global().segment());
        quickFirst = OrcJit.createQuickFirst(symbols);
        fullOnly = OrcJit.create(symbols);
        bitcode = DebianLlvm19.bitcodeOf(C_SOURCE);
    }

    @AfterAll
    static void stop() {
        quickFirst.close();
        fullOnly.close();
    }

    private static MethodHandle handle(JitModule module, String entry, FunctionDescriptor descriptor) {
        return module.guard(NativeBinder.bindRaw(module.address(entry), descriptor));
    }

    private static double[] parameters(Random random) {
        return new double[] {random.nextGaussian(), random.nextGaussian(), 1 + random.nextDouble(), random.nextDouble(),
                2 * random.nextDouble()};
    }

    @Test
    void bothTiersComputeTheBitsOfFullyCompiledCode() throws Throwable {
        quickFirst.holdFullTiers(); // the first calls certainly run the quick code
        try (JitModule reference = fullOnly.add("reference", bitcode, false);
             JitModule tiered = quickFirst.add("tiered", bitcode, false)) {
            assertTrue(reference.fullCode().isDone(), "a JIT without tiers returns full code");
            assertFalse(tiered.fullCode().isDone(), "held: quick code only");
            MethodHandle expected = handle(reference, "orbit", ORBIT);
            MethodHandle orbit = handle(tiered, "orbit", ORBIT);
            MethodHandle expectedScale = handle(reference, "scale", SCALE);
            MethodHandle scale = handle(tiered, "scale", SCALE);
            MemorySegment entry = tiered.address("orbit");
            Random random = new Random(14);
            List<double[]> inputs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                inputs.add(parameters(random));
            }
            for (double[] p : inputs) {
                assertEquals(Double.doubleToRawLongBits((double) expected.invokeExact(MemorySegment.ofArray(p), 300, 0.01)),
                        Double.doubleToRawLongBits((double) orbit.invokeExact(MemorySegment.ofArray(p), 300, 0.01)));
            }
            quickFirst.releaseFullTiers();
            assertTrue(tiered.fullCode().get(30, TimeUnit.SECONDS), "the full tier was compiled");
            assertEquals(entry.address(), tiered.address("orbit").address(), "callers keep the entry's address");
            for (double[] p : inputs) {
                assertEquals(Double.doubleToRawLongBits((double) expected.invokeExact(MemorySegment.ofArray(p), 300, 0.01)),
                        Double.doubleToRawLongBits((double) orbit.invokeExact(MemorySegment.ofArray(p), 300, 0.01)));
                double[] want = new double[p.length], got = new double[p.length];
                expectedScale.invokeExact(MemorySegment.ofArray(want), MemorySegment.ofArray(p), p.length, 1.5);
                scale.invokeExact(MemorySegment.ofArray(got), MemorySegment.ofArray(p), p.length, 1.5);
                assertEquals(java.util.Arrays.toString(want), java.util.Arrays.toString(got));
            }
        } finally {
            quickFirst.releaseFullTiers();
        }
    }

    @Test
    void callsFromManyThreadsWhileTheFullTierLandsAllGetTheSameBits() throws Throwable {
        try (JitModule reference = fullOnly.add("reference", bitcode, false)) {
            MethodHandle expected = handle(reference, "orbit", ORBIT);
            double[] p = parameters(new Random(7));
            double want = (double) expected.invokeExact(MemorySegment.ofArray(p), 200, 0.02);
            for (int round = 0; round < 3; round++) {
                quickFirst.holdFullTiers(); // released once the callers are running
                try (JitModule tiered = quickFirst.add("tiered", bitcode, false)) {
                    MethodHandle orbit = handle(tiered, "orbit", ORBIT);
                    AtomicBoolean wrong = new AtomicBoolean();
                    List<Thread> callers = new ArrayList<>();
                    for (int t = 0; t < 4; t++) {
                        callers.add(Thread.ofPlatform().start(() -> {
                            try {
                                while (!tiered.fullCode().isDone()) {
                                    double got = (double) orbit.invokeExact(MemorySegment.ofArray(p), 200, 0.02);
                                    wrong.compareAndSet(false, Double.compare(got, want) != 0);
                                }
                                for (int i = 0; i < 200; i++) {
                                    double got = (double) orbit.invokeExact(MemorySegment.ofArray(p), 200, 0.02);
                                    wrong.compareAndSet(false, Double.compare(got, want) != 0);
                                }
                            } catch (Throwable e) {
                                wrong.set(true);
                            }
                        }));
                    }
                    Thread.sleep(50);
                    quickFirst.releaseFullTiers();
                    for (Thread caller : callers) {
                        caller.join();
                    }
                    assertTrue(tiered.fullCode().get(), "the full tier landed under the calls");
                    assertFalse(wrong.get(), "every call, whichever tier it ran, returned the fully compiled value");
                }
            }
        }
    }

    /** A worker's module left unoptimised: quick code from it as it is, the passes with the full tier. */
    @Test
    void theFullTierRunsTheWorkersDeferredPassesAndGivesTheSameBits() throws Throwable {
        byte[] unoptimised = DebianLlvm19.unoptimisedBitcodeOf(C_SOURCE);
        quickFirst.holdFullTiers();
        try (JitModule reference = fullOnly.add("reference", bitcode, false);
             JitModule tiered = quickFirst.addWorkerModule("deferred", unoptimised, "default<O3>")) {
            assertFalse(tiered.fullCode().isDone(), "held: quick code only");
            MethodHandle expected = handle(reference, "orbit", ORBIT);
            MethodHandle orbit = handle(tiered, "orbit", ORBIT);
            Random random = new Random(17);
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < 100; i++) {
                    double[] p = parameters(random);
                    assertEquals(Double.doubleToRawLongBits((double) expected.invokeExact(MemorySegment.ofArray(p), 300, 0.01)),
                            Double.doubleToRawLongBits((double) orbit.invokeExact(MemorySegment.ofArray(p), 300, 0.01)));
                }
                quickFirst.releaseFullTiers();
                assertTrue(tiered.fullCode().get(30, TimeUnit.SECONDS), "the full tier ran the passes and landed");
            }
        } finally {
            quickFirst.releaseFullTiers();
        }
    }

    /**
     * Code generated without optimisation takes stack at every run of an {@code alloca} outside the entry block: an
     * unoptimised module with one in a loop runs its passes before any code (SROA removes it), or ten million
     * iterations would take 80 MB of stack.
     */
    @Test
    void anUnoptimisedModuleAllocatingStackInALoopIsOptimisedBeforeItsFirstCode() throws Throwable {
        String ir = """
                define double @grow(i32 %n) {
                entry:
                  br label %loop
                loop:
                  %i = phi i32 [ 0, %entry ], [ %next, %loop ]
                  %acc = phi double [ 0.0, %entry ], [ %sum, %loop ]
                  %slot = alloca double, align 8
                  %x = sitofp i32 %i to double
                  store double %x, ptr %slot, align 8
                  %y = load double, ptr %slot, align 8
                  %sum = fadd double %acc, %y
                  %next = add i32 %i, 1
                  %more = icmp slt i32 %next, %n
                  br i1 %more, label %loop, label %done
                done:
                  ret double %sum
                }
                """;
        var context = jenzyme.runtime.llvm.LlvmModules.newContext();
        byte[] growing;
        try {
            var module = jenzyme.runtime.llvm.LlvmModules.parseIr(context, ir, "grow");
            growing = jenzyme.runtime.llvm.LlvmModules.writeBitcode(module);
            jenzyme.runtime.llvm.LlvmModules.dispose(module);
        } finally {
            jenzyme.runtime.llvm.LlvmModules.disposeContext(context);
        }
        try (JitModule grow = quickFirst.addWorkerModule("grow", growing, "default<O3>")) {
            assertTrue(grow.fullCode().getNow(false), "compiled fully at once");
            MethodHandle sum = handle(grow, "grow", FunctionDescriptor.of(ValueLayout.JAVA_DOUBLE, ValueLayout.JAVA_INT));
            int n = 10_000_000;
            assertEquals((double) n * (n - 1) / 2, (double) sum.invokeExact(n));
        }
    }

    @Test
    void aModuleWithStateItsCodeWritesIsCompiledFullyAtOnce() throws Throwable {
        try (JitModule stateful = quickFirst.add("stateful", DebianLlvm19.bitcodeOf(STATEFUL_SOURCE), false)) {
            assertTrue(stateful.fullCode().getNow(false), "two tiers would each have their own copy of the state");
            MethodHandle accumulate = handle(stateful, "accumulate",
                    FunctionDescriptor.of(ValueLayout.JAVA_DOUBLE, ValueLayout.JAVA_DOUBLE));
            assertEquals(2.0, (double) accumulate.invokeExact(2.0));
            assertEquals(5.0, (double) accumulate.invokeExact(3.0));
        }
    }

    @Test
    void entriesWhoseArgumentsAreNotPassedPlainlyAreCompiledFullyAtOnce() throws Throwable {
        try (JitModule copied = quickFirst.add("copied", DebianLlvm19.bitcodeOf(SPECIALLY_PASSED_SOURCE), false);
             JitModule extended = quickFirst.add("extended", DebianLlvm19.bitcodeOf(BOOLEAN_SOURCE), false)) {
            assertTrue(copied.fullCode().getNow(false), "a byval struct: a forwarding call would pass a pointer");
            assertTrue(extended.fullCode().getNow(false), "a zeroext _Bool: the forwarding call would not extend it");
            MethodHandle pick = handle(extended, "pick", FunctionDescriptor.of(ValueLayout.JAVA_DOUBLE,
                    ValueLayout.JAVA_BOOLEAN, ValueLayout.JAVA_DOUBLE, ValueLayout.JAVA_DOUBLE));
            assertEquals(1.5, (double) pick.invokeExact(true, 1.5, 2.5));
            assertEquals(2.5, (double) pick.invokeExact(false, 1.5, 2.5));
        }
    }

    @Test
    void heldFullTiersWaitForTheirRelease() throws Throwable {
        quickFirst.holdFullTiers();
        try (JitModule held = quickFirst.add("held", bitcode, false)) {
            Thread.sleep(400); // far longer than the full tier takes
            assertFalse(held.fullCode().isDone(), "held: the magic is still binding");
            quickFirst.releaseFullTiers();
            assertTrue(held.fullCode().get(30, TimeUnit.SECONDS));
        } finally {
            quickFirst.releaseFullTiers();
        }
    }

    @Test
    void closingModulesBeforeTheirFullTierLeavesThemReleased() throws Throwable {
        List<JitModule> closed = new ArrayList<>();
        for (int i = 0; i < 6; i++) { // queued behind each other: some are closed before, some while compiled
            JitModule module = quickFirst.add("closed" + i, bitcode, false);
            MethodHandle orbit = handle(module, "orbit", ORBIT);
            double[] p = parameters(new Random(i));
            double value = (double) orbit.invokeExact(MemorySegment.ofArray(p), 50, 0.1);
            assertTrue(Double.isFinite(value));
            module.close();
            assertThrows(BindingException.class, () -> {
                double ignored = (double) orbit.invokeExact(MemorySegment.ofArray(p), 50, 0.1);
            });
            closed.add(module);
        }
        for (JitModule module : closed) {
            module.fullCode().get(30, TimeUnit.SECONDS); // completes either way: skipped, or landed just before
        }
        try (JitModule after = quickFirst.add("after", bitcode, false)) {
            assertTrue(after.fullCode().get(30, TimeUnit.SECONDS), "the JIT goes on compiling full tiers");
        }
    }

    @Test
    void closingTheJitWithFullTiersQueuedSkipsThem() throws Throwable {
        OrcJit jit = OrcJit.createQuickFirst(Map.of(InterruptFlag.symbol(), InterruptFlag.global().segment()));
        jit.holdFullTiers(); // all four still waiting when the JIT closes
        List<JitModule> modules = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            modules.add(jit.add("queued" + i, bitcode, false));
        }
        jit.close();
        assertTrue(jit.isDisposed(), "the JIT does not wait for full tiers it will not compile");
        jit.releaseFullTiers();
        for (JitModule module : modules) {
            assertFalse(module.fullCode().get(30, TimeUnit.SECONDS), "a full tier queued at close is not compiled");
            assertFalse(module.isLive());
        }
    }
}
