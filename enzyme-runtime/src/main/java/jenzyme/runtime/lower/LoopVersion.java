package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The copy of a versioned loop ({@link LoopShapes}) without bounds checks, and the test that chooses it. While
 * {@link MethodLowering} lowers this copy, every array index of the form {@code i + inv} (the counter {@code i},
 * {@code inv} built from constants and locals the loop does not store) on an array whose length is such a value is
 * accessed unchecked ({@link #proves}). The header's condition {@code i + k < limit} (or {@code <=}) bounds the
 * counter. Before each chunk the dispatch computes, in 64 bits, the largest counter value the chunk can reach and
 * checks every such index at both ends of the range: if all are inside, the chunk runs in this copy, else in the
 * checked copy, which throws the JVM's exception at the JVM's iteration. Indices of any other form keep their check
 * in both copies.
 *
 * <p>Why this is exact: the counter only grows by one per iteration, every index read before the step sees the
 * iteration's value, and 32-bit index arithmetic that ends inside {@code [0, length)} equals the 64-bit sum.
 */
final class LoopVersion {

    private static final long INT_MIN = Integer.MIN_VALUE;
    private static final long INT_MAX = Integer.MAX_VALUE;

    /** {@code counter? i : 0} plus the sum of {@code signs[j] * terms[j]}, each term loop-invariant. */
    private record Affine(LLVMValueRef counter, List<LLVMValueRef> terms, List<Boolean> negated) {

        Affine plus(Affine other, boolean negate) {
            List<LLVMValueRef> t = new ArrayList<>(terms);
            List<Boolean> n = new ArrayList<>(negated);
            t.addAll(other.terms);
            other.negated.forEach(s -> n.add(s ^ negate));
            return new Affine(counter != null ? counter : other.counter, t, n);
        }
    }

    private record Access(Affine index, LLVMValueRef length) {}

    private record Bound(Affine counter, LLVMValueRef limit, boolean inclusive) {}

    private final IrBuilder ir;
    private final FrameSlots slots;
    private final LoopShape shape;
    private final List<Access> accesses = new ArrayList<>();
    private Bound bound;

    LoopVersion(IrModule module, FrameSlots slots, LoopShape shape) {
        this.ir = module.ir();
        this.slots = slots;
        this.shape = shape;
    }

    /** Whether the dispatch will have checked {@code index} against {@code length}; if so the access needs no check. */
    boolean proves(LLVMValueRef index, LLVMValueRef length) {
        Affine affine = affine(index);
        if (affine == null || !isInvariant(length)) {
            return false;
        }
        accesses.add(new Access(affine, length));
        return true;
    }

    /** The header's exit test: {@code condition} leaves the loop when it is {@code exitWhen}. */
    void exitTest(LLVMValueRef condition, boolean exitWhen) {
        int predicate = ir.icmpPredicate(condition);
        if (predicate < 0) {
            return;
        }
        int stay = exitWhen ? inverse(predicate) : predicate;
        LLVMValueRef left = ir.operand(condition, 0), right = ir.operand(condition, 1);
        if (stay == LLVMIntSGT || stay == LLVMIntSGE) {
            LLVMValueRef swap = left;
            left = right;
            right = swap;
            stay = stay == LLVMIntSGT ? LLVMIntSLT : LLVMIntSLE;
        }
        Affine counter = affine(left);
        if ((stay == LLVMIntSLT || stay == LLVMIntSLE) && counter != null && counter.counter() != null
                && isInvariant(right)) {
            bound = new Bound(counter, right, stay == LLVMIntSLE);
        }
    }

    /**
     * At the builder's position before the loop: whether the header's condition holds for at least {@code trips}
     * more counter values (an {@code i1}; false when the condition is not a bound on the counter).
     */
    LLVMValueRef hasTrips(int trips) {
        if (bound == null) {
            return ir.constInt(ir.i1(), 0);
        }
        return ir.icmp(LLVMIntSGE, ir.sub(lastStaying(sum(bound.counter())), first()), wide(trips - 1));
    }

    /** At the end of the dispatch block: whether the next chunk may run in this copy (an {@code i1}). */
    LLVMValueRef chosen() {
        if (bound == null) {
            return ir.constInt(ir.i1(), 0);
        }
        LLVMValueRef first = first();
        LLVMValueRef k = sum(bound.counter());
        LLVMValueRef lastStaying = lastStaying(k);
        LLVMValueRef reach = ir.add(first, wide(shape.chunk() - 1));
        LLVMValueRef last = ir.select(ir.icmp(LLVMIntSLT, reach, lastStaying), reach, lastStaying);
        // The header's i + k must not wrap for any counter value it sees, up to one past the last iteration.
        LLVMValueRef ok = ir.and(ir.icmp(LLVMIntSGE, ir.add(first, k), wide(INT_MIN)),
                ir.icmp(LLVMIntSLE, ir.add(ir.add(last, wide(1)), k), wide(INT_MAX)));
        for (Access access : accesses) {
            LLVMValueRef offset = sum(access.index());
            LLVMValueRef length = ir.sext(rematerialise(access.length()), ir.i64());
            LLVMValueRef low = access.index().counter() == null ? offset : ir.add(first, offset);
            LLVMValueRef high = access.index().counter() == null ? offset : ir.add(last, offset);
            ok = ir.and(ok, ir.and(ir.icmp(LLVMIntSGE, low, wide(0)), ir.icmp(LLVMIntSLT, high, length)));
        }
        return ok;
    }

    /** The counter's value now, in 64 bits. */
    private LLVMValueRef first() {
        return ir.sext(ir.load(ir.i32(), bound.counter().counter(), "chunk.first"), ir.i64());
    }

    /** The largest counter value for which the header's {@code i + k < limit} (or {@code <=}) holds, in 64 bits. */
    private LLVMValueRef lastStaying(LLVMValueRef k) {
        LLVMValueRef limit = ir.sext(rematerialise(bound.limit()), ir.i64());
        return ir.sub(bound.inclusive() ? limit : ir.sub(limit, wide(1)), k);
    }

    // ---- index expressions

    private Affine affine(LLVMValueRef value) {
        if (isInvariant(value)) {
            return new Affine(null, List.of(value), List.of(false));
        }
        int opcode = ir.opcode(value);
        if (opcode == LLVMLoad && slots.localOf(ir.operand(value, 0)) == shape.inductionSlot()
                && ir.typeOf(value).address() == ir.i32().address()) {
            return new Affine(ir.operand(value, 0), List.of(), List.of());
        }
        if (opcode != LLVMAdd && opcode != LLVMSub) {
            return null;
        }
        Affine a = affine(ir.operand(value, 0)), b = affine(ir.operand(value, 1));
        if (a == null || b == null || b.counter() != null && (a.counter() != null || opcode == LLVMSub)) {
            return null;
        }
        return a.plus(b, opcode == LLVMSub);
    }

    /** Constants, parameters, locals the loop does not store, and integer arithmetic of them. */
    private boolean isInvariant(LLVMValueRef value) {
        if (ir.isConstantIntOrArgument(value)) {
            return true;
        }
        return switch (ir.opcode(value)) {
            case LLVMLoad -> {
                int local = slots.localOf(ir.operand(value, 0));
                yield local >= 0 && !shape.storedLocals().contains(local);
            }
            case LLVMAdd, LLVMSub, LLVMMul, LLVMShl -> isInvariant(ir.operand(value, 0)) && isInvariant(ir.operand(value, 1));
            default -> false;
        };
    }

    /** An invariant value computed again at the builder's position (the dispatch block, before the loop). */
    private LLVMValueRef rematerialise(LLVMValueRef value) {
        return switch (ir.opcode(value)) {
            case 0 -> value;
            case LLVMLoad -> ir.load(ir.typeOf(value), ir.operand(value, 0), "");
            case LLVMAdd -> ir.add(rematerialise(ir.operand(value, 0)), rematerialise(ir.operand(value, 1)));
            case LLVMSub -> ir.sub(rematerialise(ir.operand(value, 0)), rematerialise(ir.operand(value, 1)));
            case LLVMMul -> ir.mul(rematerialise(ir.operand(value, 0)), rematerialise(ir.operand(value, 1)));
            case LLVMShl -> ir.shl(rematerialise(ir.operand(value, 0)), rematerialise(ir.operand(value, 1)));
            default -> throw Unsupported.malformed("rematerialising a value that varies in the loop");
        };
    }

    /** The invariant part of {@code affine} in 64 bits (each 32-bit term as Java computes it, sign-extended). */
    private LLVMValueRef sum(Affine affine) {
        LLVMValueRef total = wide(0);
        for (int j = 0; j < affine.terms().size(); j++) {
            LLVMValueRef term = ir.sext(rematerialise(affine.terms().get(j)), ir.i64());
            total = affine.negated().get(j) ? ir.sub(total, term) : ir.add(total, term);
        }
        return total;
    }

    private LLVMValueRef wide(long value) {
        return ir.constInt(ir.i64(), value);
    }

    private static int inverse(int predicate) {
        return switch (predicate) {
            case LLVMIntEQ -> LLVMIntNE;
            case LLVMIntNE -> LLVMIntEQ;
            case LLVMIntSLT -> LLVMIntSGE;
            case LLVMIntSGE -> LLVMIntSLT;
            case LLVMIntSGT -> LLVMIntSLE;
            case LLVMIntSLE -> LLVMIntSGT;
            default -> -1;
        };
    }
}
