package jenzyme.kernel;

import java.util.function.BooleanSupplier;

/**
 * Completion requests that waited behind a cell. jjava's shell loop handles one message at a time, so the completions
 * a frontend asks for while a long cell runs wait in the socket, and were all answered after it, a JShell analysis
 * each, before the next cell could start (issue 15: 4.7 s; measured 6.8 s for 30 requests during a 3 s cell at load
 * 20). Their answers are stale anyway: the user typed on, and a frontend shows only the answer to its latest request.
 * So while the shell works through what queued up during a cell, a completion with another request already waiting
 * behind it gets no matches; the last one is answered. Outside such a backlog nothing changes (a completion that a
 * frontend sends together with an inspection is answered as before).
 *
 * <p>Message timestamps cannot tell the backlog apart: jjava parses them to the minute. Used on the shell thread only.
 */
final class QueuedCompletions {

    private final BooleanSupplier requestWaiting;
    private boolean backlog;

    /** @param requestWaiting whether another request waits in the shell socket (asked on the shell thread) */
    QueuedCompletions(BooleanSupplier requestWaiting) {
        this.requestWaiting = requestWaiting;
    }

    void cellStarted() {
        backlog = false;
    }

    void cellEnded() {
        backlog = requestWaiting.getAsBoolean();
    }

    /** Whether to answer the completion now being handled without looking: it is stale and holds up newer requests. */
    boolean skip() {
        backlog = backlog && requestWaiting.getAsBoolean();
        return backlog;
    }
}
