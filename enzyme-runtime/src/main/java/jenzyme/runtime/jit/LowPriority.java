package jenzyme.runtime.jit;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Lowers the calling thread's scheduling priority (its Linux nice value), for background work that must not slow the
 * cell a user waits for: the JIT's full tier ({@link OrcJit}) compiling while the magic that asked for it replies
 * and the next cell starts, on a machine with two cores that HotSpot's own compiler threads share. Raising it again
 * would need a privilege, so only threads that stay in the background call this. Elsewhere (no Linux {@code
 * setpriority}) it does nothing.
 */
final class LowPriority {

    private static final int PRIO_PROCESS = 0;

    private LowPriority() {}

    /** Sets this thread's nice value to {@code nice} (0 normal, 19 lowest), if the system lets it. */
    static void ofThisThread(int nice) {
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle gettid = linker.downcallHandle(linker.defaultLookup().find("gettid").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT));
            MethodHandle setpriority = linker.downcallHandle(linker.defaultLookup().find("setpriority").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT));
            int tid = (int) gettid.invokeExact();
            int ignored = (int) setpriority.invokeExact(PRIO_PROCESS, tid, nice);
        } catch (Throwable unavailable) {
            // Not Linux, or no such symbol: the thread keeps the normal priority, which is only slower for the cell.
        }
    }
}
