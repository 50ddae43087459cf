package jenzyme.runtime.sparse;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

/** One way through the method: its call stack and its own heap, copied whole when an undecided branch forks it. */
final class TracedPath {

    final ArrayDeque<TracedFrame> frames = new ArrayDeque<>();
    /** The output argument y in this path's heap (null when y is the returned array). */
    final TracedArray y;

    TracedPath(TracedFrame entry, TracedArray y) {
        frames.push(entry);
        this.y = y;
    }

    private TracedPath(TracedArray y) {
        this.y = y;
    }

    TracedPath copy() {
        IdentityHashMap<TracedArray, TracedArray> copies = new IdentityHashMap<>();
        TracedPath copy = new TracedPath(y == null ? null : y.copy(copies));
        List<TracedFrame> bottomUp = new ArrayList<>(frames);
        for (int k = bottomUp.size() - 1; k >= 0; k--) {
            copy.frames.push(bottomUp.get(k).copy(copies));
        }
        return copy;
    }
}
