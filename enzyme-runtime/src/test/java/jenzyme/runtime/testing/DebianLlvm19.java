package jenzyme.runtime.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's LLVM 19 tools (installed by scripts/setup.sh for the worker): clang-19 compiles C to bitcode written by the
 * same LLVM that the Enzyme worker links (19.1.7), not by Bytedeco's (19.1.3), and opt runs a pipeline on our bitcode
 * the way the worker will.
 */
public final class DebianLlvm19 {

    private static final List<Path> CANDIDATES = List.of(Path.of("/usr/bin/clang-19"), Path.of("/usr/lib/llvm-19/bin/clang"));
    private static final Path OPT = Path.of("/usr/lib/llvm-19/bin/opt");

    private DebianLlvm19() {}

    public static byte[] bitcodeOf(String cSource) throws IOException, InterruptedException {
        return bitcodeOf(cSource, "-O2");
    }

    /**
     * {@code cSource} compiled without any optimisation, and without the {@code optnone} that would keep passes run
     * later away: every local in a stack slot of its function's entry block, as IR no pass has touched.
     */
    public static byte[] unoptimisedBitcodeOf(String cSource) throws IOException, InterruptedException {
        return bitcodeOf(cSource, "-O0", "-Xclang", "-disable-O0-optnone");
    }

    private static byte[] bitcodeOf(String cSource, String... optimisation) throws IOException, InterruptedException {
        Path clang = CANDIDATES.stream().filter(Files::isExecutable).findFirst().orElseThrow(
                () -> new IllegalStateException("clang-19 not found at " + CANDIDATES + "; scripts/setup.sh installs it"));
        Path dir = Files.createTempDirectory("jenzyme-clang");
        try {
            Path source = Files.writeString(dir.resolve("input.c"), cSource);
            Path output = dir.resolve("output.bc");
            List<String> command = new java.util.ArrayList<>(List.of(clang.toString()));
            command.addAll(List.of(optimisation));
            command.addAll(List.of("-c", "-emit-llvm", "-o", output.toString(), source.toString()));
            run(command.toArray(String[]::new));
            return Files.readAllBytes(output);
        } finally {
            deleteTree(dir);
        }
    }

    /** Runs Debian's opt with {@code passes} on {@code bitcode} and returns the resulting textual IR. */
    public static String opt(byte[] bitcode, String passes) throws IOException, InterruptedException {
        if (!Files.isExecutable(OPT)) {
            throw new IllegalStateException("opt not found at " + OPT + "; scripts/setup.sh installs llvm-19-dev");
        }
        Path dir = Files.createTempDirectory("jenzyme-opt");
        try {
            Path input = Files.write(dir.resolve("input.bc"), bitcode);
            Path output = dir.resolve("output.ll");
            run(OPT.toString(), "-passes=" + passes, "-S", "-o", output.toString(), input.toString());
            return Files.readString(output);
        } finally {
            deleteTree(dir);
        }
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String log = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + log);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path file : files.toList()) {
                Files.delete(file);
            }
        }
        Files.delete(dir);
    }
}
