package jenzyme.runtime.sparse;

import java.util.IdentityHashMap;

/** An array of the {@link DependencyTracer}'s heap: its elements, copied when a traced path forks. */
final class TracedArray {

    final TracedValue[] elements;

    TracedArray(TracedValue[] elements) {
        this.elements = elements;
    }

    /** This array in a forked heap: {@code copies} maps each array of the old heap to its copy, made once. */
    TracedArray copy(IdentityHashMap<TracedArray, TracedArray> copies) {
        TracedArray copy = copies.get(this);
        if (copy == null) {
            copy = new TracedArray(elements.clone());
            copies.put(this, copy);
        }
        return copy;
    }

    static TracedValue copy(TracedValue value, IdentityHashMap<TracedArray, TracedArray> copies) {
        return value == null || value.array() == null ? value
                : TracedValue.reference(value.array().copy(copies));
    }
}
