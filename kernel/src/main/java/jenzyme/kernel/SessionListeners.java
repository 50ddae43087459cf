package jenzyme.kernel;

import jenzyme.magics.NotebookSession.InterruptRegistration;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Callbacks for a moment of the session that magics act on: an interrupt, which must reach besides JShell's user code
 * compiled native loops (the runtime's stop flag), a pending Enzyme worker request, anything a magic waits on (run
 * on the control thread); the end of a magic, after which background work may take the cores (run on the shell
 * thread).
 */
final class SessionListeners {

    private static final System.Logger LOG = System.getLogger(SessionListeners.class.getName());

    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final String moment;

    /** @param moment what the listeners hear of, for the log ({@code interrupt}, {@code magic end}) */
    SessionListeners(String moment) {
        this.moment = moment;
    }

    InterruptRegistration add(Runnable listener) {
        Runnable registered = listener::run; // a fresh identity, so closing removes exactly this registration
        listeners.add(registered);
        return () -> listeners.remove(registered);
    }

    void fire() {
        for (Runnable listener : listeners) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                // One broken listener must not keep the others (or the reply) from running.
                LOG.log(System.Logger.Level.WARNING, moment + " listener failed", e);
            }
        }
    }
}
