package jenzyme.runtime.lower;

import java.lang.classfile.CodeElement;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.LineNumber;
import java.util.Map;
import jenzyme.runtime.error.JavaWords;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.error.Messages;

/**
 * A refusal deep inside a library ({@code %maven}/{@code %classpath} jars, whose methods compile like the notebook's)
 * said only what the library's innermost method did, at a line of the library's source: commons-math3's
 * {@code Erf.erf} was refused in {@code FastMath.abs} ("calling Double.doubleToRawLongBits(double)", line 3125) with
 * no word of the user's call or of the way on (qa6 R8). It is now refused at the notebook's call of the library method
 * it reached, with the derivative rule that lets compiled code call that method back in the JVM, as a method of a
 * class the compiler cannot read is.
 */
final class LibraryRefusals {

    /** Library method {@code called} was called by notebook method {@code caller}. */
    record Reached(MethodRef called, LoweredFunction caller) {}

    private LibraryRefusals() {}

    /** Records how notebook code reached library method {@code required}, required while lowering {@code by}. */
    static void reach(LoweredFunction by, LoweredFunction required, Map<MethodRef, Reached> reached) {
        if (by == null || JavaWords.inNotebook(required.ref().owner())) {
            return;
        }
        Reached through = JavaWords.inNotebook(by.ref().owner()) ? new Reached(required.ref(), by)
                : reached.get(by.ref());
        if (through != null) {
            reached.put(required.ref(), through);
        }
    }

    /**
     * {@code refused}, the refusal of lowering {@code failed}, told at the notebook's call of the library method
     * that led there, with the rule to write, when that method takes and returns doubles; else as it is.
     */
    static LoweringException explained(LoweringException refused, LoweredFunction failed, LoweredFunctions functions) {
        return functions.reached(failed.ref()).filter(r -> DerivativeRule.fitsPrimal(r.called().descriptor()))
                .map(r -> {
                    MethodRef called = r.called();
                    MethodRef caller = r.caller().ref();
                    String problem = Messages.LIBRARY_METHOD_REFUSED.format(JavaWords.method(called.owner(),
                            called.name(), called.descriptor()), refused.getMessage(),
                            called.owner().replace('/', '.') + "." + called.name());
                    return new LoweringException(problem, caller.owner(), caller.name(), caller.descriptor(), -1,
                            lineOfCall(r.caller(), called), null);
                }).orElse(refused);
    }

    /** The source line of {@code caller}'s first call of {@code called}; -1 if the class file has no lines. */
    private static int lineOfCall(LoweredFunction caller, MethodRef called) {
        int line = -1;
        for (CodeElement element : caller.model().code().orElseThrow()) {
            if (element instanceof LineNumber number) {
                line = number.line();
            } else if (element instanceof InvokeInstruction invoke && invoke.owner().asInternalName()
                    .equals(called.owner()) && invoke.name().equalsString(called.name())
                    && invoke.type().equalsString(called.descriptor())) {
                return line;
            }
        }
        return -1;
    }
}
