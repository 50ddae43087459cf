package jenzyme.runtime.lower;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 * A method without such arrays pays nothing; one with them, one more lowering and worker call per round.
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
            "Mismatched activity for:\\s+%loop\\.(?:array|rows)(\\d+)\\b[^\\n]*const val:[^\\n]*@calloc");

    private ConstantLoopArrays() {}

    /** The loop allocation sites whose cells Enzyme's "mixed activity" refusal names with a constant calloc. */
    public static Set<Integer> named(String workerMessage) {
        Set<Integer> sites = new TreeSet<>();
        Matcher mismatched = MISMATCHED.matcher(workerMessage);
        while (mismatched.find()) {
            sites.add(Integer.parseInt(mismatched.group(1)));
        }
        return sites;
    }
}
