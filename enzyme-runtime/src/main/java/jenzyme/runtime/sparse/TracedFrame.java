package jenzyme.runtime.sparse;

import java.lang.classfile.Opcode;
import java.util.Arrays;
import java.util.IdentityHashMap;

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

    /** DUP, POP, SWAP and friends, on a stack of whole values (a long or double is one entry). */
    void shuffle(Opcode op) throws DependencyTracer.Untraceable {
        switch (op) {
            case POP -> pop();
            case POP2 -> {
                if (!pop().kind().wide()) {
                    pop();
                }
            }
            case DUP -> push(peek());
            case DUP2 -> {
                TracedValue top = pop();
                if (top.kind().wide()) {
                    push(top);
                    push(top);
                } else {
                    TracedValue under = pop();
                    push(under);
                    push(top);
                    push(under);
                    push(top);
                }
            }
            case DUP_X1 -> {
                TracedValue top = pop();
                TracedValue under = pop();
                push(top);
                push(under);
                push(top);
            }
            case DUP2_X1 -> { // only its use on a long or double, e.g. a[i] = s += x
                TracedValue top = pop();
                if (!top.kind().wide()) {
                    throw new DependencyTracer.Untraceable("DUP2_X1 of two values");
                }
                TracedValue under = pop();
                push(top);
                push(under);
                push(top);
            }
            case SWAP -> {
                TracedValue top = pop();
                TracedValue under = pop();
                push(top);
                push(under);
            }
            default -> throw new DependencyTracer.Untraceable(op.name());
        }
    }
}
