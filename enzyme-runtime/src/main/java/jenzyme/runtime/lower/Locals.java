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
    private final Variables variables;
    private final LoopAllocations loopArrays;
    private final CarriedArrays carried;
    private final RecordValues records;
    /** The record shape each local slot last received (javac's scoped slots make program order reliable). */
    private final Map<Integer, RecordShape> recordLocals = new HashMap<>();

    Locals(FrameSlots slots, CodePlan plan, Variables variables, LoopAllocations loopArrays, CarriedArrays carried,
           RecordValues records) {
        this.slots = slots;
        this.plan = plan;
        this.variables = variables;
        this.loopArrays = loopArrays;
        this.carried = carried;
        this.records = records;
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
                JValue record = slots.load(Variables.key(slot), shape, name);
                followArrays(slot, Variables.key(slot), name, record, bci);
                return record;
            }
        }
        JValue value = slots.load(Variables.key(slot), ValueKind.of(kind), name);
        followArrays(slot, Variables.key(slot), name, value, bci);
        return value;
    }

    /** The arrays in {@code value}, just loaded from local {@code slot} (or its component {@code key}), tagged. */
    private void followArrays(int slot, String key, String name, JValue value, int bci) {
        int variable = variable(slot, key, name);
        if (value.kind() == ValueKind.ARRAY) {
            carried.loaded(variable, loopArrays.loaded(variable, value), bci);
        } else if (value.isObjectRef()) {
            loopArrays.loaded(variable, value);
        } else if (value.kind() == ValueKind.RECORD) {
            forEachComponent(key, name, value, (componentKey, componentName, component) ->
                    followArrays(slot, componentKey, componentName, component, bci));
        }
    }

    /** The {@link Variables} number of local {@code slot} ({@code key} itself) or of its component {@code key}. */
    private int variable(int slot, String key, String name) {
        return key.equals(Variables.key(slot)) ? slot : variables.component(key, name, slot);
    }

    /** {@code value} stored into local {@code slot} at {@code bci}, by the ownership rules. */
    void store(int slot, JValue value, int bci) {
        if (value.kind() == ValueKind.RECORD) {
            recordLocals.put(slot, value.shape());
        } else if (value.kind() == ValueKind.ARRAY) {
            recordLocals.remove(slot);
        }
        store(slot, Variables.key(slot), plan.localName(slot), value, bci);
    }

    private void store(int slot, String variable, String name, JValue value, int bci) {
        if (value.kind() == ValueKind.RECORD && value.components() != null) {
            forEachComponent(variable, name, value, (key, componentName, component) ->
                    store(slot, key, componentName, component, bci));
            return;
        }
        int number = variable(slot, variable, name);
        if (value.kind() == ValueKind.ARRAY || value.isObjectRef()) {
            if (loopArrays.stored(slot, number, name, value, bci)) { // an array: an object made in the loop throws
                carried.carry(number, value, bci, name);
                return; // the variable keeps its array, which now holds the values
            }
        }
        if (value.kind() == ValueKind.ARRAY) {
            carried.stored(number, value, bci);
        }
        slots.store(variable, value, name);
    }

    /** A parameter's value into its local: the caller's arrays, shared as on the JVM. */
    void storeParameter(int slot, JValue value, String name) {
        if (value.kind() == ValueKind.RECORD) {
            recordLocals.put(slot, value.shape());
        }
        slots.store(Variables.key(slot), value, name);
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
