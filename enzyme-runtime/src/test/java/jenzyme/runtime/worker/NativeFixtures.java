package jenzyme.runtime.worker;

import jenzyme.runtime.ad.WrapperSignature;
import jenzyme.runtime.ad.NativeType;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Test support: C fixtures compiled by clang-19 into bitcode (in the frontend's calling convention), the worker
 * binary named by JENZYME_WORKER, and returned bitcode linked into a shared library and called through FFM with a
 * descriptor built from the response's {@link WrapperSignature} (what the binder stage will do).
 */
final class NativeFixtures {

    private NativeFixtures() {}

    /** C fixtures shared with the worker's own tests (worker/tests/data). */
    static final String COMPOSITE = fixture("composite.c");

    /** The frontend's bounds check: an index past the length sets the status word and leaves early. */
    static final String SIN_SUM = fixture("sin_sum.c");

    /** A call to an external function Enzyme has no derivative for. */
    static final String UNKNOWN_EXTERNAL = fixture("opaque.c");

    private static String fixture(String name) {
        try {
            return Files.readString(Path.of("worker/tests/data", name));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the C fixture " + name, e);
        }
    }

    static Path workerExecutable() {
        String path = System.getenv(WorkerClient.EXECUTABLE_ENV);
        if (path == null || path.isBlank()) {
            fail(WorkerClient.EXECUTABLE_ENV + " is not set: these tests need the jenzyme-worker binary "
                    + "(source scripts/setup.sh, or export JENZYME_WORKER=$CARGO_TARGET_DIR/release/jenzyme-worker)");
        }
        Path executable = Path.of(path);
        assertTrue(Files.isExecutable(executable), "JENZYME_WORKER=" + path + " is not an executable file");
        return executable;
    }

    static byte[] bitcodeOf(String source, String optimisation, Path scratch) {
        Path c = scratch.resolve("fixture.c");
        Path bc = scratch.resolve("fixture.bc");
        try {
            Files.writeString(c, source);
            run(scratch, "clang-19", optimisation, "-fPIC", "-ffp-contract=off", "-emit-llvm", "-c", c.toString(),
                    "-o", bc.toString());
            return Files.readAllBytes(bc);
        } catch (IOException e) {
            throw new AssertionError("cannot compile the C fixture", e);
        }
    }

    /** Links the worker's bitcode into a shared library and opens it for the arena's lifetime. */
    static SymbolLookup load(DifferentiatedModule module, Path scratch, Arena arena) {
        Path bc = scratch.resolve("derivative.bc");
        Path so = scratch.resolve("derivative.so");
        try {
            Files.write(bc, module.bitcode());
            run(scratch, "clang-19", "-shared", "-fPIC", "-O0", bc.toString(), "-o", so.toString(), "-lm");
        } catch (IOException e) {
            throw new AssertionError("cannot link the derivative", e);
        }
        return SymbolLookup.libraryLookup(so, arena);
    }

    /** A downcall handle for the wrapper, typed from the worker's description of it. */
    static MethodHandle wrapper(SymbolLookup library, WrapperSignature signature) {
        MemoryLayout[] layouts = signature.parameters().stream()
                .map(p -> layoutOf(p.type()))
                .toArray(MemoryLayout[]::new);
        return Linker.nativeLinker().downcallHandle(
                library.find(signature.symbol()).orElseThrow(() -> new AssertionError("no symbol " + signature.symbol())),
                FunctionDescriptor.ofVoid(layouts));
    }

    private static MemoryLayout layoutOf(NativeType type) {
        return switch (type) {
            case DOUBLE -> ValueLayout.JAVA_DOUBLE;
            case FLOAT -> ValueLayout.JAVA_FLOAT;
            case I32 -> ValueLayout.JAVA_INT;
            case I64 -> ValueLayout.JAVA_LONG;
            case I8 -> ValueLayout.JAVA_BOOLEAN;
            case PTR -> ValueLayout.ADDRESS;
        };
    }

    private static void run(Path directory, String... command) throws IOException {
        Process process = new ProcessBuilder(List.of(command)).directory(directory.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (process.waitFor() != 0) {
                fail(String.join(" ", command) + " failed:\n" + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** |got - want| <= tol * |want|. */
    static void assertRelative(double want, double got, double tolerance, String what) {
        double error = Math.abs(got - want);
        if (!(error <= tolerance * Math.abs(want))) {
            fail(what + ": expected " + want + ", got " + got + " (relative error " + error / Math.abs(want)
                    + ", tolerance " + tolerance + ")");
        }
    }

    interface DoubleFunction {
        double apply(double x) throws Throwable;
    }

    static double centralDifference(DoubleFunction f, double x) throws Throwable {
        double h = 1e-6 * Math.max(1.0, Math.abs(x));
        return (f.apply(x + h) - f.apply(x - h)) / (2 * h);
    }
}
