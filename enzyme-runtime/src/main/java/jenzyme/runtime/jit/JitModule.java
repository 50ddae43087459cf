package jenzyme.runtime.jit;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Set;
import jenzyme.runtime.error.JitException;
import org.bytedeco.llvm.LLVM.LLVMOrcResourceTrackerRef;

/**
 * Compiled code of one module in an {@link OrcJit}: the addresses of the functions and globals it exports, under
 * the names they had in the module. Closing it frees the code; bindings check {@link #isLive()} before every call
 * so a stale handle raises an exception instead of jumping into freed memory.
 */
public final class JitModule implements AutoCloseable {

    private final OrcJit jit;
    private final String name;
    private final LLVMOrcResourceTrackerRef tracker;
    private final Map<String, Long> addresses;
    private final String compiledIr;
    private volatile boolean live = true;

    JitModule(OrcJit jit, String name, LLVMOrcResourceTrackerRef tracker, Map<String, Long> addresses, String compiledIr) {
        this.jit = jit;
        this.name = name;
        this.tracker = tracker;
        this.addresses = Map.copyOf(addresses);
        this.compiledIr = compiledIr;
    }

    /** The module as compiled (after the JIT's own optimisation, if it ran one), for {@code --dump}. */
    public String compiledIr() {
        return compiledIr;
    }

    public String name() {
        return name;
    }

    /** Names of the functions and globals the module defines with external linkage. */
    public Set<String> exportedSymbols() {
        return addresses.keySet();
    }

    /** Address of an exported symbol as a zero-length segment, ready for {@code Linker.downcallHandle}. */
    public MemorySegment address(String symbol) {
        if (!live) {
            throw new JitException("module " + name + " was released; its code is gone", name, symbol, null, null);
        }
        Long address = addresses.get(symbol);
        if (address == null) {
            throw new JitException("expected one of the symbols " + addresses.keySet() + " of module " + name
                    + ", got " + symbol, name, symbol, null, null);
        }
        return MemorySegment.ofAddress(address);
    }

    public boolean isLive() {
        return live;
    }

    /** Frees the module's code and data. Idempotent. */
    @Override
    public void close() {
        if (live) {
            live = false;
            jit.release(this, tracker);
        }
    }

    @Override
    public String toString() {
        return "JitModule[" + name + (live ? "" : ", released") + ", " + addresses.keySet() + "]";
    }
}
