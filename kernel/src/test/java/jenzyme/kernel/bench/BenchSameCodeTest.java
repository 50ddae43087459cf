package jenzyme.kernel.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
import jenzyme.runtime.lower.FailureSites;
import jenzyme.runtime.lower.StatusCode;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.Test;

/**
 * Issue 14: {@code ./bench} must time the code a notebook gets. The bench lowers its workloads from javac's class
 * files and calls {@link Pipeline#differentiate} with {@link DifferentiationOptions#DEFAULT} (benchmarks'
 * {@code OurPipeline}); {@code %autodiff reverse f} lowers JShell's snippet class through the kernel's
 * {@link CompilerSession} with the same options. Both must hand Enzyme the same module and get code for the same
 * target with the same attributes, symbol names aside.
 *
 * <p>The optimised modules themselves are not compared: Enzyme numbers a function's return paths in the order of a
 * pointer-keyed set, so the same input module, compiled six times in one JVM (three worker processes), came back in
 * three shapes of 610 and 621 lines (the exits' {@code _cache} tags and where a reverse poll lands differ). The input
 * is what our code decides, and it was byte-identical in all six.
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
        JEnzymeKernel kernel = JEnzymeKernel.start();
        try {
            kernel.session().define(cellMethod);
            UserMethod method = kernel.session().methods("rosenbrock").getFirst();
            try (Derivative derivative = new CompilerSession(kernel.session())
                    .differentiate(method, Mode.REVERSE, Map.of(), OPTIONS)) {
                kernelInput = derivative.irBeforeEnzyme();
                kernelIr = derivative.code().compiledIr();
            }
        } finally {
            kernel.onShutdown(false);
        }

        String benchInput;
        String benchIr;
        var classes = InMemoryJavac.compile("jenzyme.bench.workloads.Rosenbrock", source);
        try (Pipeline pipeline = Pipeline.create();
             Derivative derivative = pipeline.differentiate(new JavaMethod(classes,
                     "jenzyme/bench/workloads/Rosenbrock", "rosenbrock", "([D)D"), Mode.REVERSE, Map.of(),
                     OPTIONS)) {
            benchInput = derivative.irBeforeEnzyme();
            benchIr = derivative.code().compiledIr();
        }
        assertTrue(benchIr.contains("fmul"), "expected the optimised gradient's IR, got " + benchIr);
        assertTrue(benchInput.contains("define"), "expected the IR Enzyme received, got " + benchInput);
        // The module Enzyme receives, instruction for instruction (local value names included: before the kernel
        // compiled cells with -g -parameters, s vs l1 steered LLVM's naming), and the compiled code's functions,
        // signatures, attributes (target CPU and features, fast-math flags):
        assertEquals(withSitesByLine(withoutOwner(benchInput)), withSitesByLine(withoutOwner(kernelInput)));
        assertEquals(lines(benchIr, "define |attributes #|target "), lines(kernelIr, "define |attributes #|target "));
    }

    /** {@code ir} with the symbol names of the owner class (snippet or bench) removed. */
    private static String withoutOwner(String ir) {
        return ir.replaceAll("jz_\\w+?_rosenbrock_[0-9a-f]{16}", "jz_rosenbrock")
                .replaceAll("(?m)^; ModuleID = .*$|(?m)^source_filename = .*$", "");
    }

    /**
     * {@code ir} with each failure-site id written as {@code site<k>}, k its line's rank among the module's sites. Ids
     * are interned per process ({@link FailureSites}), so the snippet's and the bench class's differ with the order
     * in which this JVM first lowered them; the sites' lines, in order, are what must agree. A site id is the constant
     * stored into the status block's site word (an i8 offset of {@code 4 * SITE_WORD} from {@code %status}), directly
     * or through a phi of constants, or the last argument of a check call in a reverse-mode loop.
     */
    private static String withSitesByLine(String ir) {
        List<String> lines = ir.lines().toList();
        Set<String> siteWords = new HashSet<>();
        Pattern siteWord = Pattern.compile("^  (%\\S+) = getelementptr inbounds i8, ptr %status, i64 "
                + 4 * StatusCode.SITE_WORD + "$");
        lines.stream().map(siteWord::matcher).filter(Matcher::find).forEach(m -> siteWords.add(m.group(1)));
        Set<String> siteValues = new HashSet<>();
        Pattern storeIntoSite = Pattern.compile("^  store i32 (\\S+), ptr (%\\S+),");
        lines.stream().map(storeIntoSite::matcher).filter(m -> m.find() && siteWords.contains(m.group(2)))
                .forEach(m -> siteValues.add(m.group(1)));
        Pattern siteConstant = Pattern.compile("(?<=^  store i32 |\\[ )(\\d+)(?=,)");
        Pattern checkSite = Pattern.compile("(?<=@jenzyme\\.fail_if\\(.{0,200}, i32 )(\\d+)(?=\\))");
        Pattern phi = Pattern.compile("^  (%\\S+) = phi i32 ");
        TreeMap<Integer, Integer> idsByLine = new TreeMap<>();
        List<String> marked = new ArrayList<>();
        for (String line : lines) {
            Matcher definesPhi = phi.matcher(line);
            Matcher store = storeIntoSite.matcher(line);
            boolean holdsSites = (definesPhi.find() && siteValues.contains(definesPhi.group(1)))
                    || (store.find() && siteWords.contains(store.group(2)));
            Pattern constant = holdsSites ? siteConstant : checkSite;
            marked.add(holdsSites || line.contains("@jenzyme.fail_if(") ? constant.matcher(line).replaceAll(id -> {
                int site = Integer.parseInt(id.group(1));
                idsByLine.put(FailureSites.site(site).orElseThrow().line(), site);
                return "<site " + site + ">";
            }) : line);
        }
        List<Integer> ranked = new ArrayList<>(idsByLine.values());
        return marked.stream().map(line -> Pattern.compile("<site (\\d+)>").matcher(line)
                .replaceAll(id -> "site" + ranked.indexOf(Integer.parseInt(id.group(1)))))
                .collect(Collectors.joining("\n"));
    }

    /** The lines matching {@code pattern}, with the symbol names of the owner class (snippet or bench) removed. */
    private static List<String> lines(String ir, String pattern) {
        Pattern matching = Pattern.compile("^(" + pattern + ")");
        return ir.lines().filter(l -> matching.matcher(l).find())
                .map(l -> withoutOwner(l).replaceAll("%[\\w.\"']+", "%v").replaceAll("![0-9]+", "!n"))
                .toList();
    }
}
