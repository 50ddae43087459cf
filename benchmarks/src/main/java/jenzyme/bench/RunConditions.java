package jenzyme.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The conditions a run was measured under: cores, the load average before and after (the machine may be shared),
 * versions and wall time. Printed under the table because a ratio means little without them.
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

    String describe() {
        return String.format("Machine: %d cores, load average (1/5/15 min) %s before, %s after; %s; JAX %s; "
                + "measurement wall time %.0f s", cores, loadBefore, loadAfter, jvm, jax, wallSeconds);
    }
}
