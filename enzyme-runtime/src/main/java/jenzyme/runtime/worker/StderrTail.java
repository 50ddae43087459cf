package jenzyme.runtime.worker;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Drains the worker's stderr on a daemon thread (an undrained pipe would block the worker) and keeps its last
 * {@value #CAPACITY} bytes, so a crash or refusal can be reported with what LLVM/Enzyme printed before it.
 */
final class StderrTail {

    static final int CAPACITY = 64 * 1024;

    private final byte[] ring = new byte[CAPACITY];
    private long written;
    private final Thread drainer;
    private long acknowledged;

    StderrTail(InputStream stderr, String threadName) {
        drainer = Thread.ofPlatform().daemon().name(threadName).start(() -> drain(stderr));
    }

    private void drain(InputStream stderr) {
        byte[] chunk = new byte[4096];
        try (stderr) {
            for (int n; (n = stderr.read(chunk)) > 0; ) {
                append(chunk, n);
            }
        } catch (IOException e) {
            // The process is gone; what was read is what there is.
        }
    }

    private synchronized void append(byte[] chunk, int length) {
        for (int i = 0; i < length; i++) {
            ring[(int) (written++ % CAPACITY)] = chunk[i];
        }
    }

    /**
     * Where the next failure report starts: everything written since the last {@link #acknowledge}, so that what a
     * fresh worker printed before its first request (e.g. a library it could not load) is not lost.
     */
    synchronized long mark() {
        return acknowledged;
    }

    /** The output so far belonged to requests that succeeded: later reports start after it. */
    synchronized void acknowledge() {
        acknowledged = written;
    }

    /** What was written since {@code mark} (at most the last {@value #CAPACITY} bytes). */
    synchronized String since(long mark) {
        long from = Math.max(mark, written - CAPACITY);
        byte[] bytes = new byte[(int) (written - from)];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = ring[(int) ((from + i) % CAPACITY)];
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** After the process died: wait (briefly) until everything it wrote has been read. */
    void awaitEnd(Duration patience) {
        try {
            drainer.join(patience);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
