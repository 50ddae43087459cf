package jenzyme.kernel.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import jenzyme.kernel.JEnzymeKernel;
import jenzyme.magics.UserMethod;
import jenzyme.magics.binding.CompilerSession;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.InMemoryJavac;
import jenzyme.runtime.worker.WorkerClient;
import org.junit.jupiter.api.Test;

/**
 * Issue 14: {@code ./bench} must time the code a notebook gets. The bench lowers its workloads from javac's class
 * files and calls {@link Pipeline#differentiate} with {@link DifferentiationOptions#DEFAULT} (benchmarks'
 * {@code OurPipeline}); {@code %autodiff reverse f} lowers JShell's snippet class through the kernel's
 * {@link CompilerSession} with the same options, both through {@link Pipeline#createQuickFirst}. Both must hand Enzyme
 * the same module and get the same module back with the same passes still to run on it (the post-AD optimisation
 * their JITs run), symbol names aside.
 *
 * <p>Enzyme orders some choices by pointer, so this needs the same bytes in the same process state: the worker serves
 * each request from a fork of an idle parent without address-space randomisation, symbol names do not carry the class
 * name, and failure-site ids are numbered per module. Before those, Rosenbrock's gradient came back in shapes of 610
 * to 703 lines, from request to request and between the kernel and the bench.
 */
class BenchSameCodeTest {

    private static final DifferentiationOptions OPTIONS = DifferentiationOptions.DEFAULT.withDumpIr(true);
    private static final Path WORKLOAD = Path.of("../benchmarks/src/main/java/jenzyme/bench/workloads/Rosenbrock.java");

    @Test
    void theBenchAndTheKernelCompileTheSameCodeForAWorkload() throws Exception {
        String source = Files.readString(WORKLOAD);
        String cellMethod = source.substring(source.indexOf("    public static double rosenbrock"),
                source.lastIndexOf('}')).replace("public static ", "");

        String kernelInput;
        String kernelIr;
        String kernelPasses;
        JEnzymeKernel kernel = JEnzymeKernel.start();
        try {
            kernel.session().define(cellMethod);
            UserMethod method = kernel.session().methods("rosenbrock").getFirst();
            try (Derivative derivative = new CompilerSession(kernel.session())
                    .differentiate(method, Mode.REVERSE, Map.of(), OPTIONS)) {
                kernelInput = derivative.irBeforeEnzyme();
                kernelIr = derivative.code().compiledIr();
                kernelPasses = derivative.postOptimisation();
            }
        } finally {
            kernel.onShutdown(false);
        }

        String benchInput;
        String benchIr;
        String benchPasses;
        var classes = InMemoryJavac.compile("jenzyme.bench.workloads.Rosenbrock", source);
        try (Pipeline pipeline = Pipeline.createQuickFirst(WorkerClient::fromEnvironment);
             Derivative derivative = pipeline.differentiate(new JavaMethod(classes,
                     "jenzyme/bench/workloads/Rosenbrock", "rosenbrock", "([D)D"), Mode.REVERSE, Map.of(),
                     OPTIONS)) {
            benchInput = derivative.irBeforeEnzyme();
            benchIr = derivative.code().compiledIr();
            benchPasses = derivative.postOptimisation();
        }
        assertTrue(benchIr.contains("fmul"), "expected the gradient's IR, got " + benchIr);
        assertTrue(benchPasses.startsWith("annotation2metadata,"), "expected the worker's post-AD pipeline, got "
                + benchPasses);
        assertTrue(benchInput.contains("define"), "expected the IR Enzyme received, got " + benchInput);
        // The module Enzyme receives, instruction for instruction (local value names included: before the kernel
        // compiled cells with -g -parameters, s vs l1 steered LLVM's naming), and the code compiled from it:
        assertEquals(sameSymbols(benchInput), sameSymbols(kernelInput));
        assertEquals(sameSymbols(benchIr), sameSymbols(kernelIr));
        assertEquals(benchPasses, kernelPasses);
    }

    /** {@code ir} with the symbol names of the method (the snippet's or the bench class's) unified. */
    private static String sameSymbols(String ir) {
        return ir.replaceAll("jz_rosenbrock_[0-9a-f]{16}", "jz_rosenbrock")
                .replaceAll("(?m)^; ModuleID = .*$|(?m)^source_filename = .*$", "");
    }
}
