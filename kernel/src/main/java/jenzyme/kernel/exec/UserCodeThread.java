package jenzyme.kernel.exec;

import java.lang.reflect.InvocationTargetException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import jenzyme.runtime.error.Messages;

/**
 * Evaluation layer: the thread that runs user code for {@link InProcessExecutionControl}, so that an interrupt can
 * reach it without touching the kernel's shell thread (JShell's compiler runs there, and a Java interrupt in javac
 * closes its file channels for good).
 *
 * <p>Interrupting sets {@link StopSignal} (checked by woven snippet code) and interrupts this thread (for sleeps and
 * waits). Code that honours neither, e.g. a long loop inside a library jar, cannot be stopped in JDK 25: after
 * {@link #ABANDON_AFTER_MS} the thread is abandoned (left running as a daemon, its results discarded; woven cell code
 * on it stops at its next check, library code runs until it returns) and a fresh thread serves the next cell, so
 * the kernel and its JShell state stay usable.
 */
final class UserCodeThread {

    static final long ABANDON_AFTER_MS = 250;
    private static final long POLL_MS = 20;
    private static final long STACK_BYTES = 64L << 20; // deep recursion is common in numerical code; a runaway one should fail fast
    private static final AtomicInteger THREAD_IDS = new AtomicInteger();

    private final ClassLoader contextLoader;
    private volatile ExecutorService executor;
    private volatile Worker worker;
    private volatile boolean busy;
    private volatile long interruptedAtNanos;

    UserCodeThread(ClassLoader contextLoader) {
        this.contextLoader = contextLoader;
        this.executor = newExecutor();
    }

    /**
     * Runs {@code task} on the user-code thread and waits for it. Failures of the task come back as thrown by it;
     * an abandoned task ends in an {@link InvocationTargetException} wrapping a {@link CellInterruptedError}, which
     * JShell reports like any exception of user code.
     */
    <T> T run(Callable<T> task) throws Exception {
        if (Thread.currentThread() == worker) {
            return task.call();
        }
        interruptedAtNanos = 0;
        busy = true;
        try {
            Future<T> result = executor.submit(task);
            while (true) {
                try {
                    return result.get(POLL_MS, TimeUnit.MILLISECONDS);
                } catch (TimeoutException stillRunning) {
                    long since = interruptedAtNanos;
                    if (since != 0 && System.nanoTime() - since > TimeUnit.MILLISECONDS.toNanos(ABANDON_AFTER_MS)) {
                        abandon();
                        throw new InvocationTargetException(new CellInterruptedError(Messages.INTERRUPT_ABANDONED.format(ABANDON_AFTER_MS)));
                    }
                } catch (ExecutionException failed) {
                    throw failed.getCause() instanceof Exception e ? e : new InvocationTargetException(failed.getCause());
                }
            }
        } finally {
            busy = false;
        }
    }

    void interrupt() {
        Thread running = worker;
        if (busy && running != null) {
            interruptedAtNanos = System.nanoTime();
            running.interrupt();
        }
    }

    void shutdown() {
        executor.shutdownNow();
    }

    private void abandon() {
        StopSignal.abandon(worker);
        executor.shutdownNow();
        executor = newExecutor();
    }

    private ExecutorService newExecutor() {
        return Executors.newSingleThreadExecutor(body -> {
            Worker thread = new Worker(body);
            thread.setContextClassLoader(contextLoader);
            worker = thread;
            return thread;
        });
    }

    /** The user-code thread; once abandoned, woven snippet code running on it stops at its next check. */
    static final class Worker extends Thread {

        private volatile boolean abandoned;

        private Worker(Runnable body) {
            super(null, body, "jenzyme-user-code-" + THREAD_IDS.incrementAndGet(), STACK_BYTES);
            setDaemon(true);
        }

        boolean isAbandoned() {
            return abandoned;
        }

        void markAbandoned() {
            abandoned = true;
        }
    }
}
