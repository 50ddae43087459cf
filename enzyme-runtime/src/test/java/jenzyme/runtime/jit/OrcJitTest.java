package jenzyme.runtime.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.bytedeco.llvm.global.LLVM.LLVMContextCreate;
import static org.bytedeco.llvm.global.LLVM.LLVMContextDispose;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Map;
import jenzyme.runtime.bind.InterruptFlag;
import jenzyme.runtime.bind.NativeBinder;
import jenzyme.runtime.error.JitException;
import jenzyme.runtime.llvm.LlvmModules;
import jenzyme.runtime.testing.DebianLlvm19;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JIT on bitcode it did not produce: Debian clang-19 output (the worker's LLVM) that calls libm, malloc and free
 * and reads the interrupt flag; several modules defining one symbol (also weakly); release; and the errors users could
 * meet.
 */
class OrcJitTest {

    private static final String C_SOURCE = """
            #include <math.h>
            #include <stdlib.h>
            extern int jenzyme_interrupt_enzyme_const;
            double scaled_sin_sum(const double *a, int n, double c) {
                double *t = malloc((n > 0 ? n : 1) * sizeof(double));
                double s = 0;
                for (int i = 0; i < n; i++) {
                    t[i] = a[i] * c;
                    s += sin(t[i]) + atan2(t[i], 2.0);
                }
                free(t);
                return s;
            }
            int interrupt_flag(void) { return jenzyme_interrupt_enzyme_const; }
            """;

    private static OrcJit jit;
    private static byte[] bitcode;

    @BeforeAll
    static void start() throws Exception {
        jit = OrcJit.create(Map.of(InterruptFlag.symbol(), InterruptFlag.global().segment()));
        bitcode = DebianLlvm19.bitcodeOf(C_SOURCE);
    }

    @AfterAll
    static void stop() {
        jit.close();
    }

    /** VectorState: with AVX, entry points begin by clearing the upper vector state (vzeroupper = C5 F8 77). */
    @Test
    void entryPointsClearTheUpperVectorStateOnAvxHosts() throws Throwable {
        org.junit.jupiter.api.Assumptions.assumeTrue(jenzyme.runtime.llvm.HostTarget.get().hasFeature("avx"));
        try (JitModule module = jit.add("clang", bitcode, false)) {
            byte[] code = MemorySegment.ofAddress(module.address("interrupt_flag").address()).reinterpret(32)
                    .toArray(ValueLayout.JAVA_BYTE);
            assertTrue(java.util.HexFormat.of().formatHex(code).contains("c5f877"),
                    "expected vzeroupper near the entry, got " + java.util.HexFormat.of().formatHex(code));
        }
    }

    @Test
    void clangBitcodeLinksAgainstLibmMallocFreeAndTheInterruptFlag() throws Throwable {
        try (JitModule module = jit.add("clang", bitcode, false)) {
            assertEquals(java.util.Set.of("scaled_sin_sum", "interrupt_flag"), module.exportedSymbols());
            MethodHandle sum = NativeBinder.bindRaw(module.address("scaled_sin_sum"),
                    FunctionDescriptor.of(ValueLayout.JAVA_DOUBLE, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_DOUBLE));
            double[] a = {0.5, -1.25, 3, 7.5};
            double expected = 0;
            for (double v : a) {
                expected += Math.sin(v * 0.75) + Math.atan2(v * 0.75, 2.0);
            }
            double actual = (double) sum.invokeExact(MemorySegment.ofArray(a), a.length, 0.75);
            assertEquals(expected, actual, 1e-14);

            MethodHandle flag = NativeBinder.bindRaw(module.address("interrupt_flag"), FunctionDescriptor.of(ValueLayout.JAVA_INT));
            InterruptFlag.global().raise();
            try {
                assertEquals(1, (int) flag.invokeExact(), "the module reads the flag Java raised");
            } finally {
                InterruptFlag.global().clear();
            }
            assertEquals(0, (int) flag.invokeExact());
        }
    }

    @Test
    void modulesDefiningTheSameSymbolCoexistAndAreReleasedIndependently() throws Throwable {
        JitModule first = jit.add("first", bitcode, true);
        JitModule second = jit.add("second", bitcode, false);
        assertNotEquals(first.address("scaled_sin_sum").address(), second.address("scaled_sin_sum").address());
        first.close();
        assertFalse(first.isLive());
        assertThrows(JitException.class, () -> first.address("scaled_sin_sum"));
        MethodHandle sum = NativeBinder.bindRaw(second.address("scaled_sin_sum"),
                FunctionDescriptor.of(ValueLayout.JAVA_DOUBLE, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_DOUBLE));
        assertEquals(Math.sin(2.0) + Math.atan2(2.0, 2.0), (double) sum.invokeExact(MemorySegment.ofArray(new double[] {1}), 1, 2.0), 1e-15);
        second.close();
    }

    /**
     * A weak definition (the lowering's {@code jenzyme.free_inactive} and {@code jenzyme_rule_value}, defined in every
     * module that needs one) is each module's own: ORC would otherwise keep the first module's definition for all of
     * them, and closing that module left the later ones calling freed code.
     */
    @Test
    void weakDefinitionsStayWithTheirModuleWhenAnEarlierOneIsReleased() throws Throwable {
        String source = """
                __attribute__((weak, noinline)) double scale(double x) { return x * %s; }
                double scaled(double x) { return scale(x) + 1; }
                """;
        JitModule first = jit.add("first", DebianLlvm19.bitcodeOf(source.formatted("3.0")), false);
        JitModule second = jit.add("second", DebianLlvm19.bitcodeOf(source.formatted("5.0")), false);
        FunctionDescriptor signature = FunctionDescriptor.of(ValueLayout.JAVA_DOUBLE, ValueLayout.JAVA_DOUBLE);
        MethodHandle firstScaled = NativeBinder.bindRaw(first.address("scaled"), signature);
        MethodHandle secondScaled = NativeBinder.bindRaw(second.address("scaled"), signature);
        assertEquals(7.0, (double) firstScaled.invokeExact(2.0));
        assertEquals(11.0, (double) secondScaled.invokeExact(2.0), "the second module calls its own scale");
        first.close();
        for (int i = 0; i < 20; i++) { // code added after the release may reuse the first module's memory
            jit.add("after" + i, bitcode, true).close();
        }
        assertEquals(11.0, (double) secondScaled.invokeExact(2.0));
        second.close();
    }

    @Test
    void unresolvedSymbolIsAJitExceptionNamingIt() throws Exception {
        byte[] calling = DebianLlvm19.bitcodeOf("""
                extern double no_such_function_anywhere(double);
                double g(double x) { return no_such_function_anywhere(x) + 1; }
                """);
        JitException e = assertThrows(JitException.class, () -> jit.add("unresolved", calling, false));
        assertTrue(e.getMessage().contains("no_such_function_anywhere"), e.getMessage());
        assertTrue(e.irText().orElseThrow().contains("declare double @no_such_function_anywhere(double"));
    }

    /**
     * LLJIT refuses a module of another data layout when it is added, after taking it over: the JIT must not free
     * it a second time (that crashed the JVM), and stays usable.
     */
    @Test
    void aModuleOfAnotherDataLayoutIsAJitExceptionAndTheJitGoesOn() throws Throwable {
        LLVMContextRef context = LLVMContextCreate();
        byte[] bigEndian;
        try {
            LLVMModuleRef module = LlvmModules.parseIr(context, """
                    target datalayout = "E-m:e-p:32:32-i64:64-n32-S128"
                    define i32 @answer() {
                      ret i32 42
                    }
                    """, "big-endian");
            bigEndian = LlvmModules.writeBitcode(module);
            LlvmModules.dispose(module);
        } finally {
            LLVMContextDispose(context);
        }
        JitException e = assertThrows(JitException.class, () -> jit.add("big-endian", bigEndian, false));
        assertTrue(e.getMessage().contains("data layout"), e.getMessage());
        try (JitModule module = jit.add("after-refusal", bitcode, false)) {
            MethodHandle sum = NativeBinder.bindRaw(module.address("scaled_sin_sum"),
                    FunctionDescriptor.of(ValueLayout.JAVA_DOUBLE, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_DOUBLE));
            assertEquals(Math.sin(0.5) + Math.atan2(0.5, 2.0),
                    (double) sum.invokeExact(MemorySegment.ofArray(new double[] {0.25}), 1, 2.0), 1e-15);
        }
    }

    @Test
    void garbageIsNotBitcode() {
        JitException e = assertThrows(JitException.class, () -> jit.add("garbage", new byte[] {1, 2, 3, 4}, true));
        assertTrue(e.getMessage().contains("not valid LLVM bitcode"), e.getMessage());
    }

    @Test
    void unknownSymbolNamesTheExportedOnes() {
        try (JitModule module = jit.add("lookup", bitcode, false)) {
            JitException e = assertThrows(JitException.class, () -> module.address("scaled_sum"));
            assertTrue(e.getMessage().contains("scaled_sin_sum") && e.getMessage().contains("got scaled_sum"), e.getMessage());
        }
    }
}
