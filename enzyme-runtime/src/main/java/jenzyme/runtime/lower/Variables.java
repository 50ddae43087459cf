package jenzyme.runtime.lower;

import java.util.ArrayList;
import java.util.List;

/**
 * The variables whose arrays {@link CarriedArrays} and {@link LoopAllocations} follow, as numbers: a local is its
 * slot; an array component of a record local ({@code s.y} of {@code State s}, frame-slot key {@code local5.1}) is a
 * variable of its own, numbered from {@link #COMPONENTS} on, so that {@code s = step(s, h)} in a loop carries each of
 * the record's arrays like a one-dimensional {@code y = step(y)}.
 */
final class Variables {

    /** The first number of a record component (JVM slots stay below 65536). */
    static final int COMPONENTS = 1 << 20;

    private final CodePlan plan;
    private final List<String> keys = new ArrayList<>();
    private final List<String> names = new ArrayList<>();
    private final List<Integer> slots = new ArrayList<>();

    Variables(CodePlan plan) {
        this.plan = plan;
    }

    /** The frame-slot key of local {@code slot}. */
    static String key(int slot) {
        return "local" + slot;
    }

    /** The variable of the component with frame-slot key {@code key} ({@code name}: {@code s.y}) of local {@code slot}. */
    int component(String key, String name, int slot) {
        int index = keys.indexOf(key);
        if (index < 0) {
            keys.add(key);
            names.add(name);
            slots.add(slot);
            index = keys.size() - 1;
        }
        return COMPONENTS + index;
    }

    boolean isComponent(int variable) {
        return variable >= COMPONENTS;
    }

    /** The frame-slot key of {@code variable}. */
    String keyOf(int variable) {
        return isComponent(variable) ? keys.get(variable - COMPONENTS) : key(variable);
    }

    /** Its name in messages: the local's, or {@code s.y}. */
    String name(int variable) {
        return isComponent(variable) ? names.get(variable - COMPONENTS) : plan.localName(variable);
    }

    /** The JVM local it lives in (a component: its record's). */
    int slot(int variable) {
        return isComponent(variable) ? slots.get(variable - COMPONENTS) : variable;
    }
}
