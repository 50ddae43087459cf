package jenzyme.runtime.lower;

import java.lang.classfile.Label;
import java.lang.classfile.Opcode;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.SwitchCase;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The blocks of one lowered method and the jumps between them, for {@link MethodLowering}, which lowers the
 * instructions: an LLVM block per jump target, the operand stack spilled to frame slots at a jump and reloaded at its
 * target (the StackMapTable gives the shapes), strip-mined loops entered through their chunk's entry block
 * ({@link LoopShapes}, {@link ChunkedLoop}), and versioned loops lowered a second time without the bounds checks their
 * dispatch proves ({@link LoopVersion}), into blocks of their own.
 */
final class ControlFlow {

    /** The lowering state of one method that {@link MethodLowering} makes and shares with its helpers. */
    record Parts(IrModule module, LLVMValueRef function, CodePlan plan, OperandStack stack, FrameSlots slots,
                 ExitPaths exits, ArrayOps arrays, LoopAllocations loopArrays, CarriedArrays carried,
                 RecordValues records) {}

    private final Parts parts;
    private final IrBuilder ir;
    private final CodePlan plan;
    private final OperandStack stack;
    private final Map<Integer, LLVMBasicBlockRef> blocks = new HashMap<>();
    /** Strip-mined loops (see {@link LoopShapes}) by header offset, and by the offset of their exit test. */
    private final Map<Integer, ChunkedLoop> chunks = new HashMap<>();
    private final Map<Integer, ChunkedLoop> chunkTests = new HashMap<>();
    /** While lowering a versioned loop's unchecked copy: its shape, its blocks and what it proves. */
    private LoopShape fastLoop;
    private final Map<Integer, LLVMBasicBlockRef> fastBlocks = new HashMap<>();
    private LoopVersion version;
    /** Records under construction live across a jump (new R(c ? a : b)): no run-time value, so kept here. */
    private final Map<String, JValue> pendingAtJump = new HashMap<>();
    private boolean open = true;
    private int currentBlockStart = -1;
    /** The offset of the instruction being lowered. */
    private int bci;

    /** Takes over in the block the builder is in (the method's start block), which falls through so far. */
    ControlFlow(Parts parts, CodeAttribute code, LoopPolling polling) {
        this.parts = parts;
        this.ir = parts.module().ir();
        this.plan = parts.plan();
        this.stack = parts.stack();
        LoopShapes.of(code, plan, polling).forEach((header, shape) -> {
            ChunkedLoop chunk = new ChunkedLoop(parts.module(), parts.slots(), parts.exits(), parts.function(), shape);
            chunks.put(header, chunk);
            chunkTests.put(shape.branchBci(), chunk);
        });
    }

    /** Whether the code lowered last falls through (no jump or return ended it). */
    boolean isOpen() {
        return open;
    }

    /** The block ends here: a return, or a throw. */
    void ended() {
        open = false;
    }

    /** Before the instruction at {@code offset}: code after a jump that no label starts goes into a dead block. */
    void startInstruction(int offset) {
        bci = offset;
        currentBlockStart = -1;
        if (!open) {
            // Only reachable code follows a jump in javac output; keep any other code well formed but unreachable.
            ir.positionAtEnd(ir.appendBlock(parts.function(), "dead" + bci));
            open = true;
            stack.clear();
        }
    }

    /** The versioned loop whose header is {@code labelBci}, if its unchecked copy is still to be lowered. */
    ChunkedLoop uncheckedCopyDue(int labelBci) {
        ChunkedLoop chunk = chunks.get(labelBci);
        return chunk != null && chunk.shape().versioned() && chunk.dispatch() == null ? chunk : null;
    }

    /**
     * A versioned loop ({@link LoopVersion}): its entry block, then its code lowered once by {@code lowerLoop}
     * without the bounds checks the dispatch proves, then the dispatch; the caller lowers the same code again,
     * checked, as every other loop.
     */
    void lowerUncheckedCopy(ChunkedLoop chunk, Runnable lowerLoop) {
        LoopShape shape = chunk.shape();
        if (open) {
            spillFor(shape.header());
            ir.br(chunk.outsideEntry());
        }
        chunk.emitEntry();
        fastLoop = shape;
        version = new LoopVersion(parts.module(), parts.slots(), shape);
        parts.arrays().provedBy(version);
        startCopy();
        lowerLoop.run();
        if (open) {
            throw Unsupported.malformed("a loop that does not end with its backward jump");
        }
        ir.positionAtEnd(chunk.dispatch());
        LLVMBasicBlockRef unchecked = fastBlocks.get(shape.header());
        fastLoop = null;
        parts.arrays().provedBy(null);
        LLVMValueRef chosen = version.chosen();
        if (shape.oneChunk()) {
            chosen = ir.and(chosen, ir.xor(version.hasTrips(shape.chunk() + 1), ir.constInt(ir.i1(), 1)));
        }
        ir.condBr(chosen, unchecked, blockAt(shape.header()));
        if (shape.plainWhenShort()) {
            LoopVersion proved = version;
            chunk.emitGate(() -> proved.hasTrips(LoopShapes.LONG_TRIPS), blockAt(shape.header()));
        }
        version = null;
        fastBlocks.clear();
        startCopy();
    }

    /** Before lowering code a second time: no block is open. */
    private void startCopy() {
        open = false;
        currentBlockStart = -1;
    }

    /** A label: the block it starts, entered with the operand stack its frame describes. */
    void enterLabel(int labelBci) {
        if (!plan.isBlockStart(labelBci) || labelBci == currentBlockStart) {
            return;
        }
        ChunkedLoop chunk = fastLoop == null ? chunks.get(labelBci) : null;
        LLVMBasicBlockRef block = blockAt(labelBci);
        if (open) {
            spillFor(labelBci);
            ir.br(chunk != null ? chunk.outsideEntry() : block);
        }
        if (chunk != null && chunk.emitEntry()) {
            ir.br(block);
        }
        ir.positionAtEnd(block);
        open = true;
        currentBlockStart = labelBci;
        if (plan.isLoopHeader(labelBci) && pollsEveryIteration(labelBci)) {
            // Polled on entry to the header rather than before each back-edge: every cycle still passes a poll.
            // Measured on Rosenbrock's reverse gradient (5.6 -> 2.6 us at n=1000): with the poll before the
            // back-edge, post-AD O3 paired the shadow updates a[i], a[i+1] into 16-byte loads/stores that overlap
            // across iterations (store-forwarding stalls); with the poll here they stay scalar.
            parts.exits().pollInterrupt();
        }
        stack.clear();
        List<ValueKind> kinds = plan.entryStack(labelBci);
        for (int depth = 0; depth < kinds.size(); depth++) {
            if (kinds.get(depth) != ValueKind.RECORD) {
                stack.push(parts.loopArrays().arrived(labelBci, depth, parts.carried().arrived(labelBci, depth,
                        parts.slots().load("stack" + depth, kinds.get(depth), "stack" + depth))));
                continue;
            }
            String key = "stack" + depth;
            JValue pending = pendingAtJump.get(labelBci + ":" + depth);
            stack.push(pending != null ? pending : plan.entryStackClass(labelBci, depth)
                    .map(name -> parts.slots().load(key, parts.records().shape(name), key))
                    .orElseThrow(() -> Unsupported.malformed("an unconstructed object at a jump target")));
        }
    }

    /** Whether the loop at {@code header}, in the copy being lowered, polls at its header: it is not strip-mined. */
    private boolean pollsEveryIteration(int header) {
        ChunkedLoop chunk = chunks.get(header);
        return chunk == null || fastLoop == null && (chunk.shape().plainWhenShort() || chunk.shape().oneChunk());
    }

    private void spillFor(int targetBci) {
        List<ValueKind> expected = plan.entryStack(targetBci);
        List<ValueKind> actual = stack.kinds();
        if (!expected.equals(actual)) {
            throw Unsupported.malformed("operand stack " + actual + " at a jump to offset " + targetBci
                    + " whose frame expects " + expected);
        }
        List<JValue> values = stack.values();
        values.stream().filter(parts.arrays()::isMatrixLiteral).findFirst().ifPresent(literal -> {
            throw Unsupported.construct(Messages.LITERAL_ACROSS_JUMP, literal.arrayType().javaName());
        });
        for (int depth = 0; depth < values.size(); depth++) {
            parts.loopArrays().crosses(targetBci, depth, values.get(depth));
        }
        values.forEach(v -> parts.carried().escapes(v, bci));
        for (int depth = 0; depth < values.size(); depth++) {
            if (values.get(depth).isUnconstructed()) {
                pendingAtJump.put(targetBci + ":" + depth, values.get(depth));
            } else {
                parts.carried().spilled(targetBci, depth, values.get(depth));
                parts.slots().store("stack" + depth, values.get(depth), "stack" + depth);
            }
        }
    }

    private LLVMBasicBlockRef blockAt(int targetBci) {
        boolean unchecked = fastLoop != null && fastLoop.contains(targetBci);
        return (unchecked ? fastBlocks : blocks).computeIfAbsent(targetBci,
                b -> ir.appendBlock(parts.function(), (unchecked ? "u" : "b") + b));
    }

    /** Where a jump from the current instruction goes: into a strip-mined loop from outside, to its entry block. */
    private LLVMBasicBlockRef jumpTarget(int targetBci) {
        ChunkedLoop chunk = chunks.get(targetBci);
        return chunk != null && !chunk.shape().contains(bci) ? chunk.outsideEntry() : blockAt(targetBci);
    }

    private void jumpTo(int targetBci) {
        spillFor(targetBci);
        ir.br(jumpTarget(targetBci));
        open = false;
    }

    /** {@code goto} and the conditional jumps; {@code arithmetic} makes the conditions. */
    void branch(BranchInstruction branch, Arithmetic arithmetic) {
        Opcode opcode = branch.opcode();
        int target = plan.bci(branch.target());
        switch (opcode) {
            case GOTO, GOTO_W -> jumpTo(target);
            case IFEQ, IFNE, IFLT, IFGE, IFGT, IFLE ->
                    branchIf(arithmetic.branchCondition(opcode, stack.pop().value(), null), target);
            case IF_ICMPEQ, IF_ICMPNE, IF_ICMPLT, IF_ICMPGE, IF_ICMPGT, IF_ICMPLE -> {
                JValue b = stack.pop();
                JValue a = stack.pop();
                branchIf(arithmetic.branchCondition(opcode, a.value(), b.value()), target);
            }
            default -> throw Unsupported.construct(Messages.BYTECODE_INSTRUCTION, SubsetRules.opcodeName(opcode));
        }
    }

    private void branchIf(LLVMValueRef condition, int targetBci) {
        spillFor(targetBci);
        ChunkedLoop chunk = chunkTests.get(bci);
        if (chunk != null && !pollsEveryIteration(chunk.shape().header())) {
            if (version != null) {
                version.exitTest(condition, true);
            }
            if (chunk.shape().oneChunk()) {
                // The dispatch admitted the whole trip (at most one chunk): no budget, and no nest of loops.
                LLVMBasicBlockRef next = ir.appendBlock(parts.function(), "u" + bci + ".next");
                ir.condBr(condition, blockAt(targetBci), next);
                ir.positionAtEnd(next);
                return;
            }
            chunk.exitTest(parts.function(), ir.xor(condition, ir.constInt(ir.i1(), 1)), blockAt(targetBci),
                    fastLoop != null ? "u" : "b");
            return;
        }
        LLVMBasicBlockRef next = ir.appendBlock(parts.function(), "b" + bci + ".next");
        ir.condBr(condition, jumpTarget(targetBci), next);
        ir.positionAtEnd(next);
    }

    /** {@code tableswitch} and {@code lookupswitch}. */
    void switchOn(Label defaultTarget, List<SwitchCase> cases) {
        LLVMValueRef key = stack.pop().value();
        int defaultBci = plan.bci(defaultTarget);
        spillFor(defaultBci);
        for (SwitchCase c : cases) {
            spillFor(plan.bci(c.target()));
        }
        LLVMValueRef instruction = ir.switchOn(key, jumpTarget(defaultBci), cases.size());
        for (SwitchCase c : cases) {
            ir.addCase(instruction, ir.constInt(ir.i32(), c.caseValue()), jumpTarget(plan.bci(c.target())));
        }
        open = false;
    }
}
