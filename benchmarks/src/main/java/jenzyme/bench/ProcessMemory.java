package jenzyme.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Peak resident set size of processes, from Linux's {@code /proc/<pid>/status} (VmHWM). Writing 5 to
 * {@code /proc/<pid>/clear_refs} resets the peak to the current RSS, which gives each workload its own peak.
 */
final class ProcessMemory {

    private ProcessMemory() {
    }

    /** The peak RSS in kB, or -1 where /proc does not tell. */
    static long peakKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    static void resetPeak(long pid) {
        try {
            Files.writeString(Path.of("/proc", Long.toString(pid), "clear_refs"), "5");
        } catch (IOException e) {
            // Not Linux, or not allowed: the peak then covers the process's whole life, which the report says.
        }
    }

    /** The running jenzyme-worker child of this JVM, if any. */
    static Optional<Long> workerPid() {
        return ProcessHandle.current().children()
                .filter(p -> p.info().command().map(c -> c.endsWith("jenzyme-worker")).orElse(false))
                .map(ProcessHandle::pid)
                .max(Long::compare);
    }
}
