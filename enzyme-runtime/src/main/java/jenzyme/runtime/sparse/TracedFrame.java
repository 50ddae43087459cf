package jenzyme.runtime.sparse;

import java.lang.classfile.Opcode;
import java.util.Arrays;
import java.util.IdentityHashMap;
import jenzyme.runtime.lower.StackShuffle;

/** One method activation of a traced path: where it is, its locals and its operand stack (one entry per value). */
final class TracedFrame {

    final TracedCode code;
    int pc;
    final TracedValue[] locals;
    private TracedValue[] stack;
    private int size;

    TracedFrame(TracedCode code, TracedValue[] locals) {
        this.code = code;
        this.locals = locals;
        this.stack = new TracedValue[8];
    }

    private TracedFrame(TracedFrame other, IdentityHashMap<TracedArray, TracedArray> copies) {
        code = other.code;
        pc = other.pc;
        locals = other.locals.clone();
        for (int k = 0; k < locals.length; k++) {
            locals[k] = TracedArray.copy(locals[k], copies);
        }
        stack = Arrays.copyOf(other.stack, other.stack.length);
        size = other.size;
        for (int k = 0; k < size; k++) {
            stack[k] = TracedArray.copy(stack[k], copies);
        }
    }

    TracedFrame copy(IdentityHashMap<TracedArray, TracedArray> copies) {
        return new TracedFrame(this, copies);
    }

    void push(TracedValue value) {
        if (size == stack.length) {
            stack = Arrays.copyOf(stack, 2 * size);
        }
        stack[size++] = value;
    }

    TracedValue pop() {
        return stack[--size];
    }

    TracedValue peek() {
        return stack[size - 1];
    }

    /** DUP, POP, SWAP and friends, on a stack of whole values (a long or double is one entry): the lowering's. */
    void shuffle(Opcode op) {
        StackShuffle.apply(op, this::pop, this::push, value -> value.kind().wide());
    }
}
