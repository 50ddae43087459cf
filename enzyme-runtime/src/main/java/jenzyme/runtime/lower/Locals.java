package jenzyme.runtime.lower;

import java.lang.classfile.TypeKind;
import java.util.HashMap;
import java.util.Map;

/**
 * The JVM locals of one lowered method, in frame slots ({@link FrameSlots}): a record local is its components, each
 * in a slot of its own ({@code local5.0}, {@code local5.1}); a written object's local its address
 * ({@link WrittenObjects}). Loads and stores of arrays go through the ownership
 * rules: {@link LoopAllocations} follows arrays allocated in a loop, {@link CarriedArrays} copies one assigned to a
 * variable declared outside its loop into the variable's own array. An array component of a record local is such a
 * variable too ({@code s.y}): {@code s = step(s, h)} in a loop copies the arrays of the record {@code step} returned
 * into those {@code s} holds, and sets its other components.
 */
final class Locals {

    private final FrameSlots slots;
    private final CodePlan plan;
    private final LoopAllocations loopArrays;
    private final CarriedArrays carried;
    private final RecordValues records;
    /** The record shape each local slot last received (javac's scoped slots make program order reliable). */
    private final Map<Integer, RecordShape> recordLocals = new HashMap<>();

    Locals(FrameSlots slots, CodePlan plan, LoopAllocations loopArrays, CarriedArrays carried, RecordValues records) {
        this.slots = slots;
        this.plan = plan;
        this.loopArrays = loopArrays;
        this.carried = carried;
        this.records = records;
    }

    /** The frame-slot key of local {@code slot}. */
    static String key(int slot) {
        return "local" + slot;
    }

    /** The value of local {@code slot} (of JVM type {@code kind}), loaded at {@code bci}. */
    JValue load(int slot, TypeKind kind, int bci) {
        String name = plan.localName(slot);
        if (kind == TypeKind.REFERENCE) {
            if (slot == 0 && records.underConstruction() != null) {
                return records.underConstruction();
            }
            RecordShape shape = recordLocals.get(slot);
            if (shape != null) {
                JValue record = slots.load(key(slot), shape, name);
                followArrays(key(slot), name, record, bci);
                return record;
            }
        }
        JValue value = slots.load(key(slot), ValueKind.of(kind), name);
        followArrays(key(slot), name, value, bci);
        return value;
    }

    /** The arrays in {@code value}, just loaded from {@code variable}, tagged with what is known of the variable. */
    private void followArrays(String variable, String name, JValue value, int bci) {
        if (value.kind() == ValueKind.ARRAY) {
            carried.loaded(variable, name, loopArrays.loaded(variable, value), bci);
        } else if (value.isObjectRef()) {
            loopArrays.loaded(variable, value);
        } else if (value.kind() == ValueKind.RECORD) {
            forEachComponent(variable, name, value, (key, componentName, component) ->
                    followArrays(key, componentName, component, bci));
        }
    }

    /** {@code value} stored into local {@code slot} at {@code bci}, by the ownership rules. */
    void store(int slot, JValue value, int bci) {
        if (value.kind() == ValueKind.RECORD) {
            recordLocals.put(slot, value.shape());
        } else if (value.kind() == ValueKind.ARRAY) {
            recordLocals.remove(slot);
        }
        store(slot, key(slot), plan.localName(slot), value, bci);
    }

    private void store(int slot, String variable, String name, JValue value, int bci) {
        if (value.kind() == ValueKind.RECORD && value.components() != null) {
            forEachComponent(variable, name, value, (key, componentName, component) ->
                    store(slot, key, componentName, component, bci));
            return;
        }
        if (value.kind() == ValueKind.ARRAY || value.isObjectRef()) {
            if (loopArrays.stored(slot, variable, name, value, bci)) { // an array: an object made in the loop throws
                carried.carry(variable, value, bci, name);
                return; // the variable keeps its array, which now holds the values
            }
        }
        if (value.kind() == ValueKind.ARRAY) {
            carried.stored(variable, name, value, bci);
        }
        slots.store(variable, value, name);
    }

    /** A parameter's value into its local: the caller's arrays, shared as on the JVM. */
    void storeParameter(int slot, JValue value, String name) {
        if (value.kind() == ValueKind.RECORD) {
            recordLocals.put(slot, value.shape());
        }
        slots.store(key(slot), value, name);
    }

    private interface ComponentVisitor {
        void visit(String key, String name, JValue component);
    }

    /** Each component of {@code record} with its frame-slot key and name, as {@link FrameSlots} keeps them. */
    private static void forEachComponent(String variable, String name, JValue record, ComponentVisitor visitor) {
        for (int i = 0; i < record.components().size(); i++) {
            visitor.visit(variable + "." + i, name + "." + record.shape().components().get(i).name(),
                    record.components().get(i));
        }
    }
}
