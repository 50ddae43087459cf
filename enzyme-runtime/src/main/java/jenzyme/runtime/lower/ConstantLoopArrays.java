package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.LLVMIntEQ;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Arrays allocated inside a loop that hold no derivative (a Jacobian literal's row {@code {1, -h}} with {@code h}
 * fixed, a matrix {@code {{1, -h}, {0, 1}}}), found by Enzyme and allocated inactive when the method is lowered again.
 *
 * <p>Why: such an array made in a loop inside a loop reaches its frees (the next iteration's, the exit's) through the
 * phis of its allocation cell across both loops. Enzyme's forward mode proves the allocation constant from its uses but
 * takes those phis for active, and refuses: "Mismatched activity for: %loop.array7.2.lcssa = phi ptr ... const val:
 * %37 = calloc(...)" (measured with the worker CLI on the lowered module of a time loop around a Newton loop). Marked
 * {@code enzyme_inactive} at its calloc and freed through {@link RuntimeSymbols#FREE_INACTIVE} (as the row-length
 * table, {@link IrModule#freeRowLengths}), the same module differentiates. Which sites hold no derivative is Enzyme's
 * own verdict (its "const val"), not a guess of ours: the lowering cannot see what depends on the inputs, so the
 * pipeline asks Enzyme first and lowers again with the sites it names ({@link #named}); each cell is named by its
 * site ({@link #CELL}, {@link #ROWS_CELL}), numbered in lowering order across the module, the same in every lowering.
 * A method without such arrays pays nothing; one with them, one more lowering and worker call per round. An array a
 * callee hands over at such a site ({@code J = chordMatrix(h)}) is allocated by the callee, which other calls may
 * make active: the caller keeps an inactive copy ({@link #ownCopy}).
 */
public final class ConstantLoopArrays {

    /** The name of an array's allocation cell inside a loop, followed by its site number. */
    static final String CELL = "loop.array";
    /** The name of a matrix's row-table cell inside a loop, followed by its site number. */
    static final String ROWS_CELL = "loop.rows";

    /**
     * LLVM's names of a cell's phis start with the cell's ({@code %loop.array7.2.lcssa}, {@code %loop.rows3.1224}):
     * the site number ends at the first character that is not a digit.
     */
    private static final Pattern MISMATCHED = Pattern.compile(
            "Mismatched activity for:\\s+%loop\\.(?:array|rows)(\\d+)\\b[^\\n]*const val:[^\\n]*@(?:calloc|malloc)\\(");

    private ConstantLoopArrays() {}

    /**
     * A callee's result {@code handed} (an array or a matrix), adopted inside a loop at a site Enzyme found constant:
     * copied into arrays allocated inactive, and the callee's freed at once, so that no phi of the caller's cell holds
     * the callee's allocation (the refusal measured: "Mismatched activity for: %new.rows.297 = phi ... const val:
     * %65 = malloc(...)", the callee inlined). The caller's cell then holds the copy, freed out of Enzyme's sight.
     */
    static JValue ownCopy(IrModule module, ExitPaths exits, FrameSlots slots, JValue handed) {
        IrBuilder ir = module.ir();
        if (!handed.isMatrix()) {
            LLVMValueRef own = inactiveCopy(module, exits, slots, handed);
            ir.call(module.free().type(), module.free().function(), handed.value());
            return JValue.array(own, handed.length(), handed.arrayType());
        }
        JavaType type = handed.arrayType();
        LLVMValueRef count = handed.length();
        LLVMValueRef table = inactiveAllocation(module, exits, count, 8);
        LLVMValueRef lengths = module.zeroedAllocation(ir.mul(ir.zext(count, ir.i64()), ir.constInt(ir.i64(), 4)));
        module.rowLengthsAllocated(lengths);
        exits.failIf(ir.icmp(LLVMIntEQ, lengths, ir.zero(ir.ptr())), StatusCode.OUT_OF_MEMORY, count, null);
        CountedLoop.emit(ir, slots.newInitialisedSlot(ir.i32(), ir.zero(ir.i32()), "constant.row"), count,
                "constant.rows", r -> {
                    LLVMValueRef wide = ir.zext(r, ir.i64());
                    LLVMValueRef row = ir.load(ir.ptr(), ir.inBoundsGep(ir.ptr(), handed.value(), wide), "row");
                    module.tbaa().attach(row, type);
                    LLVMValueRef length = ir.load(ir.i32(), ir.inBoundsGep(ir.i32(), handed.rowLengths(), wide),
                            "row.len");
                    module.tbaa().attach(length, JavaType.INT);
                    LLVMValueRef own = inactiveCopy(module, exits, slots, JValue.array(row, length, type.row()));
                    module.tbaa().attach(ir.store(own, ir.inBoundsGep(ir.ptr(), table, wide)), type);
                    module.tbaa().attach(ir.store(length, ir.inBoundsGep(ir.i32(), lengths, wide)), JavaType.INT);
                    ir.call(module.free().type(), module.free().function(), row);
                });
        ir.call(module.free().type(), module.free().function(), handed.value());
        module.freeRowLengths(handed.rowLengths());
        return JValue.matrix(table, count, lengths, type);
    }

    /** A copy of the one-dimensional {@code array} in a new allocation marked inactive. */
    private static LLVMValueRef inactiveCopy(IrModule module, ExitPaths exits, FrameSlots slots, JValue array) {
        JavaType element = ArrayOps.elementOf(array.arrayType());
        LLVMValueRef own = inactiveAllocation(module, exits, array.length(), ArrayOps.byteSize(element));
        ArrayOps.copyElements(module, element, array, own,
                slots.newInitialisedSlot(module.ir().i32(), module.ir().zero(module.ir().i32()), "constant.i"));
        return own;
    }

    /** A zeroed allocation of {@code count} elements of {@code size} bytes, inactive for Enzyme; OutOfMemoryError. */
    private static LLVMValueRef inactiveAllocation(IrModule module, ExitPaths exits, LLVMValueRef count, int size) {
        IrBuilder ir = module.ir();
        LLVMValueRef own = module.zeroedAllocation(ir.mul(ir.zext(count, ir.i64()), ir.constInt(ir.i64(), size)));
        ir.inactiveForAd(own);
        exits.failIf(ir.icmp(LLVMIntEQ, own, ir.zero(ir.ptr())), StatusCode.OUT_OF_MEMORY, count, null);
        return own;
    }

    /** The loop allocation sites whose cells Enzyme's "mixed activity" refusal names with a constant allocation. */
    public static Set<Integer> named(String workerMessage) {
        Set<Integer> sites = new TreeSet<>();
        Matcher mismatched = MISMATCHED.matcher(workerMessage);
        while (mismatched.find()) {
            sites.add(Integer.parseInt(mismatched.group(1)));
        }
        return sites;
    }
}
