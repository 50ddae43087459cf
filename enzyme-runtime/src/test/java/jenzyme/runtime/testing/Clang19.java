package jenzyme.runtime.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Compiles C to LLVM bitcode with Debian's clang-19 (installed by scripts/setup.sh for the worker), so JIT tests can
 * load bitcode written by the same LLVM that the Enzyme worker links (19.1.7), not by Bytedeco's (19.1.3).
 */
public final class Clang19 {

    private static final List<Path> CANDIDATES = List.of(Path.of("/usr/bin/clang-19"), Path.of("/usr/lib/llvm-19/bin/clang"));

    private Clang19() {}

    public static byte[] bitcodeOf(String cSource) throws IOException, InterruptedException {
        Path clang = CANDIDATES.stream().filter(Files::isExecutable).findFirst().orElseThrow(
                () -> new IllegalStateException("clang-19 not found at " + CANDIDATES + "; scripts/setup.sh installs it"));
        Path dir = Files.createTempDirectory("jenzyme-clang");
        try {
            Path source = Files.writeString(dir.resolve("input.c"), cSource);
            Path output = dir.resolve("output.bc");
            Process process = new ProcessBuilder(clang.toString(), "-O2", "-c", "-emit-llvm", "-o", output.toString(),
                    source.toString()).redirectErrorStream(true).start();
            String log = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("clang-19 failed: " + log);
            }
            return Files.readAllBytes(output);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(dir);
        }
    }
}
