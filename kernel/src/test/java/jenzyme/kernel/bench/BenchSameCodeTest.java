package jenzyme.kernel.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import jenzyme.kernel.JEnzymeKernel;
import jenzyme.magics.UserMethod;
import jenzyme.magics.binding.CompilerSession;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.Test;

/**
 * Issue 14: {@code ./bench} must time the code a notebook gets. The bench lowers its workloads from javac's class
 * files and calls {@link Pipeline#differentiate} with {@link DifferentiationOptions#DEFAULT} (benchmarks'
 * {@code OurPipeline}); {@code %autodiff reverse f} lowers JShell's snippet class through the kernel's
 * {@link CompilerSession} with the same options. Both must produce the same optimised module, symbol names aside.
 */
class BenchSameCodeTest {

    private static final Path WORKLOAD = Path.of("../benchmarks/src/main/java/jenzyme/bench/workloads/Rosenbrock.java");

    @Test
    void theBenchAndTheKernelCompileTheSameCodeForAWorkload() throws Exception {
        String source = Files.readString(WORKLOAD);
        String cellMethod = source.substring(source.indexOf("    public static double rosenbrock"),
                source.lastIndexOf('}')).replace("public static ", "");

        String kernelIr;
        JEnzymeKernel kernel = JEnzymeKernel.start();
        try {
            kernel.session().define(cellMethod);
            UserMethod method = kernel.session().methods("rosenbrock").getFirst();
            try (Derivative derivative = new CompilerSession(kernel.session())
                    .differentiate(method, Mode.REVERSE, Map.of(), DifferentiationOptions.DEFAULT)) {
                kernelIr = derivative.code().compiledIr();
            }
        } finally {
            kernel.onShutdown(false);
        }

        String benchIr;
        var classes = InMemoryJavac.compile("jenzyme.bench.workloads.Rosenbrock", source);
        try (Pipeline pipeline = Pipeline.create();
             Derivative derivative = pipeline.differentiate(new JavaMethod(classes,
                     "jenzyme/bench/workloads/Rosenbrock", "rosenbrock", "([D)D"), Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            benchIr = derivative.code().compiledIr();
        }
        assertTrue(benchIr.contains("fmul"), "expected the optimised gradient's IR, got " + benchIr);
        // Same functions, signatures, attributes (target CPU and features, fast-math flags) and loop shape:
        assertEquals(lines(benchIr, "define |attributes #|target "), lines(kernelIr, "define |attributes #|target "));
        assertEquals(lines(benchIr, "  br i1 .*!llvm.loop"), lines(kernelIr, "  br i1 .*!llvm.loop"));
        // ... and the same instructions but for at most two. Measured differences: local-variable names (value names
        // s vs l1 steer LLVM's naming and Enzyme left one `fadd x, 0.0` in one of them) before the kernel compiled
        // cells with -g -parameters like the bench; failure-site numbers count per process.
        Map<String, Long> bench = opcodes(benchIr), kernelCounts = opcodes(kernelIr);
        long differing = 0;
        for (String opcode : union(bench, kernelCounts)) {
            differing += Math.abs(bench.getOrDefault(opcode, 0L) - kernelCounts.getOrDefault(opcode, 0L));
        }
        assertTrue(differing <= 2, "instruction counts differ: bench " + bench + ", kernel " + kernelCounts);
    }

    /** The lines matching {@code pattern}, with the symbol names of the owner class (snippet or bench) removed. */
    private static List<String> lines(String ir, String pattern) {
        Pattern matching = Pattern.compile("^(" + pattern + ")");
        return ir.lines().filter(l -> matching.matcher(l).find())
                .map(l -> l.replaceAll("jz_\\w+?_rosenbrock_[0-9a-f]{16}", "jz_rosenbrock")
                        .replaceAll("%[\\w.\"']+", "%v").replaceAll("![0-9]+", "!n"))
                .toList();
    }

    /** How often each instruction opcode occurs ({@code %x = fadd double ...} counts as fadd). */
    private static Map<String, Long> opcodes(String ir) {
        Pattern instruction = Pattern.compile("^  (?:%\\S+ = )?(?:tail |musttail |notail )?([a-z]\\w*)");
        return ir.lines().map(instruction::matcher).filter(Matcher::find).map(m -> m.group(1))
                .collect(Collectors.groupingBy(o -> o, TreeMap::new, Collectors.counting()));
    }

    private static Set<String> union(Map<String, Long> a, Map<String, Long> b) {
        Set<String> keys = new TreeSet<>(a.keySet());
        keys.addAll(b.keySet());
        return keys;
    }
}
