package jenzyme.runtime.lower;

import java.lang.classfile.Opcode;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import jenzyme.runtime.error.Messages;

/**
 * The JVM's dup/pop/swap family on an operand stack of whole values (a long or double is one entry but two JVM
 * slots, which these instructions respect). The one definition shared by the two interpreters of bytecode: the
 * lowering ({@link OperandStack}, LLVM values) and the Jacobian sparsity tracer ({@code sparse.TracedFrame},
 * dependency sets). Both decode with {@code java.lang.classfile}; what else they do per instruction differs (IR
 * against abstract values), so only this is shared. The tracer need not keep up with every construct the lowering
 * learns: where it cannot follow the code it leaves the Jacobian dense, which is slower, never wrong.
 */
public final class StackShuffle {

    /** The stack the instruction works on; {@code wide}: whether a value takes two JVM slots (long, double). */
    private record Stack<T>(Supplier<T> popper, Consumer<T> pusher, Predicate<T> wideness) {
        T pop() {
            return popper.get();
        }

        void push(T value) {
            pusher.accept(value);
        }

        boolean wide(T value) {
            return wideness.test(value);
        }
    }

    private StackShuffle() {}

    /**
     * Applies {@code opcode}, one of POP, POP2, DUP, DUP_X1, DUP_X2, DUP2, DUP2_X1, DUP2_X2, SWAP, to the stack
     * {@code pop} and {@code push} work on.
     */
    public static <T> void apply(Opcode opcode, Supplier<T> pop, Consumer<T> push, Predicate<T> wide) {
        Stack<T> stack = new Stack<>(pop, push, wide);
        switch (opcode) {
            case POP -> stack.pop();
            case POP2 -> {
                if (!stack.wide(stack.pop())) {
                    stack.pop();
                }
            }
            case DUP -> {
                T v1 = stack.pop();
                pushAll(stack, v1, v1);
            }
            case DUP_X1 -> {
                T v1 = stack.pop();
                T v2 = stack.pop();
                pushAll(stack, v1, v2, v1);
            }
            case DUP_X2 -> {
                T v1 = stack.pop();
                T v2 = stack.pop();
                if (stack.wide(v2)) {
                    pushAll(stack, v1, v2, v1);
                } else {
                    T v3 = stack.pop();
                    pushAll(stack, v1, v3, v2, v1);
                }
            }
            case DUP2 -> {
                T v1 = stack.pop();
                if (stack.wide(v1)) {
                    pushAll(stack, v1, v1);
                } else {
                    T v2 = stack.pop();
                    pushAll(stack, v2, v1, v2, v1);
                }
            }
            case DUP2_X1 -> {
                T v1 = stack.pop();
                T v2 = stack.pop();
                if (stack.wide(v1)) {
                    pushAll(stack, v1, v2, v1);
                } else {
                    T v3 = stack.pop();
                    pushAll(stack, v2, v1, v3, v2, v1);
                }
            }
            case DUP2_X2 -> dup2x2(stack);
            case SWAP -> {
                T v1 = stack.pop();
                T v2 = stack.pop();
                pushAll(stack, v1, v2);
            }
            default -> throw new IllegalArgumentException(Messages.NOT_A_STACK_INSTRUCTION.format(opcode));
        }
    }

    private static <T> void dup2x2(Stack<T> stack) {
        T v1 = stack.pop();
        T v2 = stack.pop();
        if (stack.wide(v1)) {
            if (stack.wide(v2)) {
                pushAll(stack, v1, v2, v1);
            } else {
                T v3 = stack.pop();
                pushAll(stack, v1, v3, v2, v1);
            }
        } else {
            T v3 = stack.pop();
            if (stack.wide(v3)) {
                pushAll(stack, v2, v1, v3, v2, v1);
            } else {
                T v4 = stack.pop();
                pushAll(stack, v2, v1, v4, v3, v2, v1);
            }
        }
    }

    @SafeVarargs
    private static <T> void pushAll(Stack<T> stack, T... values) {
        List.of(values).forEach(stack::push);
    }
}
