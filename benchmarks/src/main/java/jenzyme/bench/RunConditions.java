package jenzyme.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import jenzyme.runtime.llvm.HostTarget;

/**
 * The conditions a run was measured under: cores, the load average before and after (the machine may be shared),
 * the CPU and what LLVM generates code for on it, versions and wall time. Printed with the table because a ratio
 * means little without them: issue 14's bench/kernel gap appeared on one CPU (Intel, AVX-512) and not on another.
 */
record RunConditions(int rounds, int cores, String loadBefore, String loadAfter, String jvm, String jax,
                     double wallSeconds) {

    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The CPU model as the kernel names it ({@code model name} of /proc/cpuinfo). */
    static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /**
     * The CPU name and the vector/FMA features LLVM detected: the JIT in this JVM generates code for exactly these
     * (LLJIT with a host-detected target machine), and the worker detects the host with the same two LLVM calls.
     */
    static String llvmTarget() {
        HostTarget host = HostTarget.get();
        String vector = Arrays.stream(host.features().split(",")).filter(f -> f.startsWith("+"))
                .map(f -> f.substring(1))
                .filter(f -> f.startsWith("avx") || f.startsWith("sse") || f.equals("fma") || f.startsWith("prefer"))
                .sorted().collect(Collectors.joining(","));
        return host.cpu() + " (" + host.triple() + "; " + vector + ")";
    }

    /** The lines printed above the table. */
    String header() {
        return "CPU: " + cpuModel() + "; LLVM target of the JIT and the worker: " + llvmTarget() + "\n";
    }

    String describe() {
        return String.format("Machine: %d cores, load average (1/5/15 min) %s before, %s after; %s; JAX %s; "
                + "measurement wall time %.0f s", cores, loadBefore, loadAfter, jvm, jax, wallSeconds);
    }
}
