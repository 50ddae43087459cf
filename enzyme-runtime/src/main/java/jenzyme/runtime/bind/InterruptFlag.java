package jenzyme.runtime.bind;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import jenzyme.runtime.lower.RuntimeSymbols;

/**
 * The process-wide interrupt flag of compiled code: one native {@code i32} that every compiled loop reads at its
 * headers (the JIT resolves {@link RuntimeSymbols#INTERRUPT_FLAG} to {@link #segment()}). The kernel's interrupt
 * handler calls {@link #raise()} from its own thread; the running native call then returns with the INTERRUPTED
 * status and its binding throws {@link CompiledCodeInterruptedException}, clearing the flag. A raise while no
 * compiled code runs stays pending until {@link #clear()} (the kernel clears it when a cell starts).
 */
public final class InterruptFlag {

    private static final InterruptFlag GLOBAL = new InterruptFlag(Arena.global().allocate(ValueLayout.JAVA_INT));
    private static final VarHandle WORD = ValueLayout.JAVA_INT.varHandle();

    private final MemorySegment word;

    private InterruptFlag(MemorySegment word) {
        this.word = word;
    }

    public static InterruptFlag global() {
        return GLOBAL;
    }

    /** The symbol name compiled code uses for this flag. */
    public static String symbol() {
        return RuntimeSymbols.INTERRUPT_FLAG;
    }

    /** The native word itself, for the JIT to define the symbol at. */
    public MemorySegment segment() {
        return word;
    }

    public void raise() {
        WORD.setVolatile(word, 0L, 1);
    }

    public void clear() {
        WORD.setVolatile(word, 0L, 0);
    }

    public boolean isRaised() {
        return (int) WORD.getVolatile(word, 0L) != 0;
    }
}
