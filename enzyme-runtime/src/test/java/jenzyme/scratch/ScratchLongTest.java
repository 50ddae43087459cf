package jenzyme.scratch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.lower.LoweredModule;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.Test;

class ScratchLongTest {
    static String source(int lines) {
        StringBuilder b = new StringBuilder("package sl; public class F { public static double f(double[] p) {\n double s = 0;\n");
        for (int i = 0; i < lines; i++) {
            b.append(" s += Math.sin(p[").append(i % 8).append("] * ").append(i + 1).append(".0) * p[")
                    .append((i + 3) % 8).append("];\n");
        }
        return b.append(" return s; } }\n").toString();
    }

    @Test
    void curve() throws Exception {
        String sizes = System.getProperty("sizes", "250,500,1000");
        try (Pipeline pipeline = Pipeline.create()) {
            for (String size : sizes.split(",")) {
                int n = Integer.parseInt(size);
                CompiledClasses classes = InMemoryJavac.compile("sl.F", source(n));
                JavaMethod m = new JavaMethod(classes, "sl/F", "f", "([D)D");
                LoweredModule lowered = pipeline.lower(m);
                Files.write(Path.of("/tmp/sl-" + n + ".bc"), lowered.bitcode());
                Files.writeString(Path.of("/tmp/sl-" + n + ".ll"), lowered.irText());
                long t = System.nanoTime();
                Derivative d = pipeline.differentiate(m, Mode.REVERSE, Map.of(), DifferentiationOptions.DEFAULT);
                double[] p = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8};
                System.out.println("CURVE " + n + " lines: " + (System.nanoTime() - t) / 1e9 + " s " + d.timings()
                        + " symbol " + lowered.entry().symbol());
            }
        }
    }
}
