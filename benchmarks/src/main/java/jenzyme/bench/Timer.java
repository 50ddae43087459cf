package jenzyme.bench;

/** How a contender is timed: the wall-clock seconds taken by {@code reps} back-to-back calls. */
@FunctionalInterface
public interface Timer {

    double seconds(int reps) throws Exception;

    /** One call of code that runs in this JVM. */
    @FunctionalInterface
    interface Body {
        void run() throws Throwable;
    }

    /** Times {@code body} in this JVM with {@link System#nanoTime()} around the whole batch. */
    static Timer local(Body body) {
        return reps -> {
            long start = System.nanoTime();
            try {
                for (int i = 0; i < reps; i++) {
                    body.run();
                }
            } catch (Exception | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            return (System.nanoTime() - start) * 1e-9;
        };
    }
}
