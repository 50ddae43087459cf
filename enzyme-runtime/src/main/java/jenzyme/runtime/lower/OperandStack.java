package jenzyme.runtime.lower;

import java.lang.classfile.Opcode;
import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.error.Messages;

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

    private void pushAll(JValue... entries) {
        values.addAll(List.of(entries));
    }

    /** The dup/pop/swap family, which cares whether an entry is one JVM slot wide or two (long, double). */
    void apply(Opcode opcode) {
        switch (opcode) {
            case POP -> pop();
            case POP2 -> {
                if (!pop().kind().isWide()) {
                    pop();
                }
            }
            case DUP -> push(peek());
            case DUP_X1 -> {
                JValue v1 = pop();
                JValue v2 = pop();
                pushAll(v1, v2, v1);
            }
            case DUP_X2 -> {
                JValue v1 = pop();
                JValue v2 = pop();
                if (v2.kind().isWide()) {
                    pushAll(v1, v2, v1);
                } else {
                    JValue v3 = pop();
                    pushAll(v1, v3, v2, v1);
                }
            }
            case DUP2 -> {
                JValue v1 = pop();
                if (v1.kind().isWide()) {
                    pushAll(v1, v1);
                } else {
                    JValue v2 = pop();
                    pushAll(v2, v1, v2, v1);
                }
            }
            case DUP2_X1 -> {
                JValue v1 = pop();
                if (v1.kind().isWide()) {
                    JValue v2 = pop();
                    pushAll(v1, v2, v1);
                } else {
                    JValue v2 = pop();
                    JValue v3 = pop();
                    pushAll(v2, v1, v3, v2, v1);
                }
            }
            case DUP2_X2 -> dup2x2();
            case SWAP -> {
                JValue v1 = pop();
                JValue v2 = pop();
                pushAll(v1, v2);
            }
            default -> throw new IllegalArgumentException(Messages.NOT_A_STACK_INSTRUCTION.format(opcode));
        }
    }

    private void dup2x2() {
        JValue v1 = pop();
        if (v1.kind().isWide()) {
            JValue v2 = pop();
            if (v2.kind().isWide()) {
                pushAll(v1, v2, v1);
            } else {
                JValue v3 = pop();
                pushAll(v1, v3, v2, v1);
            }
        } else {
            JValue v2 = pop();
            JValue v3 = pop();
            if (v3.kind().isWide()) {
                pushAll(v2, v1, v3, v2, v1);
            } else {
                JValue v4 = pop();
                pushAll(v2, v1, v4, v3, v2, v1);
            }
        }
    }
}
