package jenzyme.runtime.worker;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One running {@code jenzyme-worker} process: frames to its stdin, frames from its stdout, stderr kept by a
 * {@link StderrTail}. No policy: timeouts, restarts and error classification are {@link WorkerClient}'s.
 */
final class WorkerProcess {

    private final Process process;
    private final OutputStream requests;
    private final InputStream responses;
    private final StderrTail stderr;

    private WorkerProcess(Process process) {
        this.process = process;
        this.requests = new BufferedOutputStream(process.getOutputStream(), 1 << 16);
        this.responses = new BufferedInputStream(process.getInputStream(), 1 << 16);
        this.stderr = new StderrTail(process.getErrorStream(), "jenzyme-worker-stderr-" + process.pid());
    }

    static WorkerProcess start(Path executable) throws IOException {
        return new WorkerProcess(new ProcessBuilder(executable.toString()).start());
    }

    /** Sends one request and blocks until its response (or the end of the stream, if the process dies). */
    Frame exchange(Frame request) throws IOException {
        request.writeTo(requests);
        return Frame.readFrom(responses);
    }

    StderrTail stderr() {
        return stderr;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    /** Whether the process ends within {@code patience} (it is not killed either way). */
    boolean hasExited(Duration patience) {
        try {
            return process.waitFor(patience.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    /** Kills the process and anything it started (which would otherwise hold its stderr open). */
    void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /** Closes stdin (the worker's signal to exit) and waits a little before killing it. */
    void shutDown(Duration patience) {
        try {
            requests.close();
            if (!process.waitFor(patience.toMillis(), TimeUnit.MILLISECONDS)) {
                kill();
            }
        } catch (IOException e) {
            kill();
        } catch (InterruptedException e) {
            kill();
            Thread.currentThread().interrupt();
        }
    }

    /** How the process ended, e.g. "exited with status 2" or "was killed by signal 6 (SIGABRT)". */
    String exitDescription(Duration patience) {
        try {
            if (!process.waitFor(patience.toMillis(), TimeUnit.MILLISECONDS)) {
                return "is still running";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "did not report how it ended";
        }
        stderr.awaitEnd(patience);
        int status = process.exitValue();
        // The JDK reports death by signal N as status 128 + N on Linux.
        return status > 128 ? "was killed by signal " + (status - 128) + signalName(status - 128)
                : "exited with status " + status;
    }

    private static String signalName(int signal) {
        return switch (signal) {
            case 6 -> " (SIGABRT)";
            case 9 -> " (SIGKILL)";
            case 11 -> " (SIGSEGV)";
            default -> "";
        };
    }
}
