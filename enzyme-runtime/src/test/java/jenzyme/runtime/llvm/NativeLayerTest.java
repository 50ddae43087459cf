package jenzyme.runtime.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the LLVM C API behind this package (issue 11): no main source elsewhere calls an {@code LLVM...} function.
 * Its constants ({@code LLVMIntNE}, {@code LLVMRealOEQ}) are not calls and may be used by the lowering.
 */
class NativeLayerTest {

    private static final Pattern C_CALL = Pattern.compile("\\bLLVM[A-Z]\\w*\\s*\\(");

    @Test
    void onlyTheNativeLayerCallsTheLlvmCApi() throws IOException {
        Path root = Path.of("").toAbsolutePath().getParent();
        Path layer = root.resolve("enzyme-runtime/src/main/java/jenzyme/runtime/llvm");
        List<Path> sources = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/java/")
                    && !p.startsWith(layer) && !p.toString().contains("/target/")).forEach(sources::add);
        }
        assertTrue(sources.size() > 100, "expected the main sources under " + root);
        List<String> calls = new ArrayList<>();
        for (Path source : sources) {
            List<String> lines = Files.readAllLines(source);
            for (int i = 0; i < lines.size(); i++) {
                if (C_CALL.matcher(lines.get(i)).find()) {
                    calls.add(root.relativize(source) + ":" + (i + 1));
                }
            }
        }
        assertEquals(List.of(), calls, "LLVM C API calls outside jenzyme.runtime.llvm; add a method to IrBuilder");
    }
}
