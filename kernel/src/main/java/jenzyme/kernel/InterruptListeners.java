package jenzyme.kernel;

import jenzyme.magics.NotebookSession.InterruptRegistration;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Whom an interrupt must reach besides JShell's user code: compiled native loops (the runtime's stop flag), a
 * pending Enzyme worker request, anything a magic waits on. Listeners run on the control thread.
 */
final class InterruptListeners {

    private static final System.Logger LOG = System.getLogger(InterruptListeners.class.getName());

    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

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
                // One broken listener must not keep the others (or the interrupt reply) from running.
                LOG.log(System.Logger.Level.WARNING, "interrupt listener failed", e);
            }
        }
    }
}
