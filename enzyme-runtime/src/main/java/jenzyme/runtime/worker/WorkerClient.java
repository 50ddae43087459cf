package jenzyme.runtime.worker;

import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import jenzyme.runtime.error.DifferentiationException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.error.WorkerException.Reason;
import jenzyme.runtime.error.WorkerException;

/**
 * Pipeline stage "worker": takes a {@link DifferentiationRequest} from the frontend (JVM bytecode → LLVM IR), has
 * the {@code jenzyme-worker} process run Enzyme on it and returns a {@link DifferentiatedModule} for the JIT.
 *
 * <p>The worker is a separate process because Enzyme aborts on IR it cannot handle and because its LLVM must not
 * meet Bytedeco's in one address space (DESIGN.md). So this client treats the process as disposable: a crash, a
 * timeout, a {@link #cancel()} or a garbled response kills it and raises a {@link WorkerException} carrying its
 * stderr; the next request starts a fresh one. A refusal (Enzyme or LLVM said no) leaves the process running
 * and raises a {@link DifferentiationException} with the worker's message. One request at a time.
 */
public final class WorkerClient implements AutoCloseable {

    /** The environment variable naming the worker executable (exported by scripts/setup.sh). */
    public static final String EXECUTABLE_ENV = "JENZYME_WORKER";
    /** The environment variable that overrides {@link #DEFAULT_TIMEOUT}, in (decimal) seconds. */
    public static final String TIMEOUT_ENV = "JENZYME_WORKER_TIMEOUT_SECONDS";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration EXIT_PATIENCE = Duration.ofSeconds(2);
    /** How long a worker that broke a pipe gets to show it is dying (a crash) rather than confused (protocol). */
    private static final Duration DYING_PATIENCE = Duration.ofMillis(250);

    private final Path executable;
    private final Duration timeout;
    private final ScheduledExecutorService watchdog;
    private final AtomicReference<Reason> interruption = new AtomicReference<>();
    private WorkerProcess process;
    private volatile WorkerProcess inFlight;
    private boolean closed;
    private int starts;

    public WorkerClient(Path executable, Duration timeout) {
        this.executable = Objects.requireNonNull(executable, "executable");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException(Messages.TIMEOUT_NOT_POSITIVE.format(timeout));
        }
        this.timeout = timeout;
        this.watchdog = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("jenzyme-worker-watchdog").factory());
    }

    /** A client for the executable named by {@value #EXECUTABLE_ENV}. */
    public static WorkerClient fromEnvironment(Duration timeout) {
        String path = System.getenv(EXECUTABLE_ENV);
        if (path == null || path.isBlank()) {
            throw new WorkerException(Reason.START_FAILED, Messages.WORKER_NOT_SET.format(EXECUTABLE_ENV), "");
        }
        return new WorkerClient(Path.of(path), timeout);
    }

    /** A client for the executable named by {@value #EXECUTABLE_ENV}, with the timeout {@value #TIMEOUT_ENV} gives. */
    public static WorkerClient fromEnvironment() {
        return fromEnvironment(timeoutFrom(System.getenv(TIMEOUT_ENV)));
    }

    /** {@link #DEFAULT_TIMEOUT} when {@code seconds} is unset, else that many (decimal) seconds. */
    static Duration timeoutFrom(String seconds) {
        if (seconds == null || seconds.isBlank()) {
            return DEFAULT_TIMEOUT;
        }
        double value;
        try {
            value = Double.parseDouble(seconds.strip());
        } catch (NumberFormatException e) {
            value = Double.NaN;
        }
        // At least a millisecond and at most a day: beyond that the watchdog's millisecond arithmetic would lie.
        if (!(value >= 0.001 && value <= 86_400)) {
            throw new WorkerException(Reason.START_FAILED, Messages.WORKER_TIMEOUT_SYNTAX.format(TIMEOUT_ENV, seconds), "");
        }
        return Duration.ofNanos((long) (value * 1e9));
    }

    /**
     * Differentiates one function.
     *
     * @throws DifferentiationException if the worker refused the request or the module (its message is kept)
     * @throws WorkerException          if the worker could not start, crashed, timed out, was cancelled or broke
     *                                  the protocol
     */
    public synchronized DifferentiatedModule differentiate(DifferentiationRequest request) {
        Frame response = exchange(WorkerProtocol.encode(request), "differentiating " + request.function());
        try {
            if (!WorkerProtocol.succeeded(response)) {
                throw WorkerProtocol.refusal(response, request.function());
            }
            return WorkerProtocol.module(response, request.width());
        } catch (WorkerProtocol.MalformedResponse e) {
            throw discard(Reason.PROTOCOL, "the worker's response to " + request.function() + " is malformed: "
                    + e.getMessage(), 0, e);
        }
    }

    /** The worker's version line; starts the worker if it is not running. */
    public synchronized String version() {
        try {
            return WorkerProtocol.version(exchange(WorkerProtocol.ping(), "ping"));
        } catch (WorkerProtocol.MalformedResponse e) {
            throw discard(Reason.PROTOCOL, "the worker's answer to ping is malformed: " + e.getMessage(), 0, e);
        }
    }

    /**
     * Abandons the request in flight, if any (a kernel interrupt): the worker is killed, the waiting call raises a
     * {@link WorkerException} with reason {@code CANCELLED}, and the next request starts a fresh worker.
     *
     * @return whether a request was in flight
     */
    public boolean cancel() {
        WorkerProcess running = inFlight;
        if (running == null) {
            return false;
        }
        interrupt(running, Reason.CANCELLED);
        return true;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (process != null) {
            process.shutDown(EXIT_PATIENCE);
            process = null;
        }
        watchdog.shutdownNow();
    }

    /** How many worker processes this client has started (tests check restarts with it). */
    synchronized int starts() {
        return starts;
    }

    /** Test hook: makes the worker abort as a crash inside Enzyme would. */
    synchronized void debugAbort() {
        exchange(WorkerProtocol.debugAbort(), "debug-abort");
    }

    /** Test hook: keeps the worker busy for {@code duration}. */
    synchronized void debugSleep(Duration duration) {
        exchange(WorkerProtocol.debugSleep(duration), "debug-sleep");
    }

    /** One request/response with the timeout armed; any failure of the process discards it. */
    private Frame exchange(Frame request, String what) {
        WorkerProcess worker = running();
        long mark = worker.stderr().mark();
        interruption.set(null);
        inFlight = worker;
        ScheduledFuture<?> alarm = watchdog.schedule(
                () -> interrupt(worker, Reason.TIMED_OUT), timeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            Frame response = worker.exchange(request);
            if (response.field("phase").filter("protocol"::equals).isPresent()) {
                throw discard(Reason.PROTOCOL, "the worker could not read our request while " + what + ": "
                        + WorkerProtocol.refusal(response, what).workerMessage(), mark, null);
            }
            worker.stderr().acknowledge();
            return response;
        } catch (IOException e) {
            Reason reason = interruption.get();
            if (reason == null) {
                // A dead pipe while writing is a crash as much as an ended stdout; garbage from a live worker is not.
                reason = e instanceof EOFException || worker.hasExited(DYING_PATIENCE) ? Reason.CRASHED : Reason.PROTOCOL;
            }
            throw discard(reason, describe(reason, what, worker, e), mark, e);
        } finally {
            alarm.cancel(false);
            inFlight = null;
        }
    }

    private String describe(Reason reason, String what, WorkerProcess worker, IOException e) {
        return switch (reason) {
            case TIMED_OUT -> "the worker took longer than " + timeout.toMillis() + " ms " + what + " and was killed";
            case CANCELLED -> "cancelled while " + what;
            case CRASHED -> "the worker " + worker.exitDescription(EXIT_PATIENCE) + " while " + what;
            case PROTOCOL -> "the worker's output is not a response frame while " + what + ": " + e.getMessage();
            case START_FAILED, CLOSED -> throw new IllegalStateException(Messages.NOT_A_WORKER_FAILURE.format(reason));
        };
    }

    private void interrupt(WorkerProcess worker, Reason reason) {
        if (inFlight == worker && interruption.compareAndSet(null, reason)) {
            worker.kill();
        }
    }

    /** Kills the current worker (the next request starts another) and builds the exception to throw. */
    private WorkerException discard(Reason reason, String message, long stderrMark, Throwable cause) {
        WorkerProcess worker = process;
        process = null;
        if (worker == null) {
            return new WorkerException(reason, message, "", cause);
        }
        worker.kill();
        worker.stderr().awaitEnd(EXIT_PATIENCE);
        return new WorkerException(reason, message, worker.stderr().since(stderrMark), cause);
    }

    private WorkerProcess running() {
        if (closed) {
            throw new WorkerException(Reason.CLOSED, Messages.WORKER_CLIENT_CLOSED.format(), "");
        }
        if (process != null && process.isAlive()) {
            return process;
        }
        if (!Files.isExecutable(executable)) {
            throw new WorkerException(Reason.START_FAILED, Messages.WORKER_NOT_EXECUTABLE.format(executable,
                    EXECUTABLE_ENV), "");
        }
        try {
            process = WorkerProcess.start(executable);
            starts++;
            return process;
        } catch (IOException e) {
            throw new WorkerException(Reason.START_FAILED, Messages.WORKER_START_FAILED.format(executable,
                    e.getMessage()), "", e);
        }
    }
}
