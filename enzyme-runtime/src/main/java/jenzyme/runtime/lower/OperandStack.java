package jenzyme.runtime.lower;

import java.lang.classfile.Opcode;
import java.util.ArrayList;
import java.util.List;

/**
 * The JVM operand stack of the instruction being lowered, holding LLVM values instead of runtime values. Long and
 * double entries are one element here but count as two JVM slots, which the dup/pop family has to respect.
 */
final class OperandStack {

    private final List<JValue> values = new ArrayList<>();

    void push(JValue value) {
        values.add(value);
    }

    JValue pop() {
        if (values.isEmpty()) {
            throw Unsupported.malformed("operand stack underflow");
        }
        return values.removeLast();
    }

    /** Removes the top {@code count} entries and returns them bottom first (a call's arguments in order). */
    List<JValue> popArguments(int count) {
        if (values.size() < count) {
            throw Unsupported.malformed("operand stack underflow");
        }
        List<JValue> arguments = new ArrayList<>(values.subList(values.size() - count, values.size()));
        values.subList(values.size() - count, values.size()).clear();
        return arguments;
    }

    /** Replaces every entry that is {@code old} (by identity) by {@code replacement}. */
    void replaceAll(JValue old, JValue replacement) {
        values.replaceAll(v -> v == old ? replacement : v);
    }

    void clear() {
        values.clear();
    }

    /** The entries, bottom first. */
    List<JValue> values() {
        return List.copyOf(values);
    }

    List<ValueKind> kinds() {
        return values.stream().map(JValue::kind).toList();
    }

    JValue peek() {
        if (values.isEmpty()) {
            throw Unsupported.malformed("operand stack underflow");
        }
        return values.getLast();
    }

    /** The dup/pop/swap family, which cares whether an entry is one JVM slot wide or two (long, double). */
    void apply(Opcode opcode) {
        StackShuffle.apply(opcode, this::pop, this::push, value -> value.kind().isWide());
    }
}
