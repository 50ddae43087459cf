package jenzyme.runtime.jit;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import jenzyme.runtime.error.JitException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.llvm.AllocationGuards;
import jenzyme.runtime.llvm.Diagnostics;
import jenzyme.runtime.llvm.HostTarget;
import jenzyme.runtime.llvm.Lljit;
import jenzyme.runtime.llvm.LlvmFailure;
import jenzyme.runtime.llvm.LlvmModules;
import jenzyme.runtime.llvm.LlvmModules.Signature;
import jenzyme.runtime.llvm.VectorState;
import jenzyme.runtime.lower.StatusCode;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMMemoryBufferRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMOrcResourceTrackerRef;
import org.bytedeco.llvm.LLVM.LLVMOrcThreadSafeContextRef;
import org.bytedeco.llvm.LLVM.LLVMTargetMachineRef;

/**
 * Pipeline stage 3: LLVM ORC LLJIT inside the JVM. Takes bitcode from the frontend (optimised here at O3) or from
 * the Enzyme worker (optimised there, or here with the worker's post-AD pipeline; Debian LLVM 19.1.7 output reads fine
 * in Bytedeco's 19.1.3), links it against
 * the process (libm, malloc/free) and the runtime symbols given at creation (the interrupt flag), compiles it at once
 * and hands out a {@link JitModule}; the binder (stage 4) turns its addresses into method handles.
 *
 * <p>Every exported definition is renamed with a per-module suffix before it is added, so the same function can be
 * loaded twice (a {@code %jit} module and the worker's module of its derivative both define it) and an old module
 * can be released independently; weak definitions become internal, each module's own. {@link JitModule#address}
 * takes the original names.
 *
 * <p>A JIT created {@linkplain #createQuickFirst quick first} (the notebook's) compiles a worker's module twice: at
 * once without optimisation (fast instruction selection and register allocation: about a quarter of the
 * instructions of full code generation on the latency method of {@code ./bench --latency}), so that the magic can
 * bind and return, then fully on a background thread, whose code every later call runs from the moment it is ready
 * ({@link Trampolines}; {@link JitModule#fullCode()}). The worker's module comes {@linkplain #addWorkerModule
 * unoptimised} to such a JIT: the quick tier compiles it as Enzyme left it, and the full tier runs the worker's
 * post-AD pipeline first, off the magic's path too. Strict code gives the same values either way (the optimiser
 * keeps IEEE semantics without fast-math flags; the notebook defers only strict modules): only speed differs, for
 * the 40-55 ms the full tier takes (the RK4 method of {@code ./bench --latency}; its quick code is 1.3-1.9x slower).
 */
public final class OrcJit implements AutoCloseable {

    /** See {@link LowPriority}: nice 10 gets a tenth of a core that a normal thread also wants, all of an idle one. */
    private static final int FULL_TIER_NICE = 10;
    /** The longest a {@linkplain #holdFullTiers hold} delays full tiers, should its release never come. */
    private static final long LONGEST_HOLD_NANOS = 2_000_000_000L;
    /** What {@link #add} runs first when asked to optimise (a {@code %jit} module). */
    private static final String O3 = "default<O3>";

    private final Lljit jit;
    private final boolean quickFirst;
    private ExecutorService fullTier; // created with the first quick module
    private final List<JitModule> modules = new ArrayList<>();
    private final Set<String> runtimeSymbols = new java.util.HashSet<>();
    private int serial;
    private volatile boolean closed; // read by the full-tier thread without the lock
    private final Object hold = new Object();
    private long heldUntil; // System.nanoTime() until which full tiers wait, guarded by hold; 0: not held
    private boolean disposed;

    private OrcJit(Lljit jit, boolean quickFirst) {
        this.jit = jit;
        this.quickFirst = quickFirst;
    }

    /** A JIT that compiles every module fully before {@link #add} returns. */
    public static OrcJit create(Map<String, MemorySegment> runtimeSymbols) {
        return create(runtimeSymbols, false);
    }

    /** A JIT that gives the worker's modules quick code first and full code a moment later (see the class comment). */
    public static OrcJit createQuickFirst(Map<String, MemorySegment> runtimeSymbols) {
        return create(runtimeSymbols, true);
    }

    /**
     * @param runtimeSymbols data symbols compiled code may reference, by name, at fixed addresses (e.g. the
     *     interrupt flag's native word)
     */
    private static OrcJit create(Map<String, MemorySegment> runtimeSymbols, boolean quickFirst) {
        try {
            Lljit jit = Lljit.createForHost();
            // --fast-math code calls libmvec's vector functions: let the process symbols resolve them.
            jenzyme.runtime.llvm.VectorMaths.loadLibrary();
            jit.addProcessSymbolGenerator();
            runtimeSymbols.forEach((name, segment) -> jit.defineAbsoluteSymbol(name, segment.address()));
            NativeMemory.symbols().forEach((name, segment) -> jit.defineAbsoluteSymbol(name, segment.address()));
            addCheckedAllocator(jit);
            return new OrcJit(jit, quickFirst);
        } catch (LlvmFailure failure) {
            throw new JitException(Messages.JIT_START_FAILED.format(failure.getMessage()), failure);
        }
    }

    /** The allocator every module's malloc/realloc/free is renamed to; it stays for the JIT's lifetime. */
    private static void addCheckedAllocator(Lljit jit) {
        LLVMOrcThreadSafeContextRef context = Lljit.newThreadSafeContext();
        try {
            LLVMModuleRef module = LlvmModules.parseIr(Lljit.contextOf(context),
                    AllocationGuards.runtimeIr(StatusCode.NATIVE_MEMORY.code(), StatusCode.INTERRUPTED.code(),
                            StatusCode.BLOCK_INTS * Integer.BYTES), "jenzyme.checked_allocation");
            jit.addModule(jit.newResourceTracker(), context, module);
        } finally {
            Lljit.dispose(context);
        }
    }

    /**
     * Defines a function compiled code may call by name (an FFM upcall stub, {@code jenzyme.runtime.bind.JvmCalls}),
     * once: later definitions of the same name are ignored, so the address must stay valid for the JIT's lifetime.
     */
    public synchronized void defineRuntimeSymbol(String name, MemorySegment address) {
        if (runtimeSymbols.add(name)) {
            try {
                jit.defineAbsoluteSymbol(name, address.address());
            } catch (LlvmFailure failure) {
                runtimeSymbols.remove(name);
                throw new JitException(Messages.JIT_START_FAILED.format(failure.getMessage()), failure);
            }
        }
    }

    /**
     * Adds a module, optionally runs {@code default<O3>} on it first, compiles it and resolves its exports.
     *
     * @throws JitException with the module's IR if the bitcode is invalid, does not verify, or references a symbol
     *     neither the module, the process nor the runtime symbols define
     */
    public JitModule add(String moduleName, byte[] bitcode, boolean optimise) {
        return add(moduleName, bitcode, optimise ? O3 : "", false);
    }

    /**
     * Adds a worker's module with the passes the worker left to the JIT ({@code DifferentiatedModule#postOptimisation()};
     * empty: none, the module is optimised). A JIT created {@linkplain #createQuickFirst quick first} compiles quick
     * code from the module as it is and runs the passes on the full tier's thread before the full code generation; any
     * other JIT, or a module that cannot run in two tiers, runs them first, as {@link #add} runs O3.
     *
     * @throws JitException as {@link #add}, and if the passes fail where they run first
     */
    public JitModule addWorkerModule(String moduleName, byte[] bitcode, String passes) {
        return add(moduleName, bitcode, passes, true);
    }

    /** @param passesWithFullTier whether {@code passes} may run with a full tier rather than before the first code */
    private synchronized JitModule add(String moduleName, byte[] bitcode, String passes, boolean passesWithFullTier) {
        java.util.Objects.requireNonNull(moduleName, "moduleName");
        if (bitcode == null || bitcode.length == 0) {
            throw new JitException(Messages.NO_BITCODE.format(moduleName, java.util.Arrays.toString(bitcode)), moduleName,
                    null, null, null);
        }
        if (closed) {
            throw new JitException(Messages.JIT_CLOSED.format(), moduleName, null, null, null);
        }
        String suffix = ".jit" + (++serial);
        Diagnostics.drain(); // forget anything an earlier, unrelated operation left
        LLVMOrcThreadSafeContextRef context = Lljit.newThreadSafeContext();
        LLVMModuleRef module = null;
        LLVMOrcResourceTrackerRef tracker = null;
        try {
            module = parse(moduleName, bitcode, context);
            var problem = LlvmModules.verify(module);
            if (problem.isPresent()) {
                throw new JitException(Messages.MODULE_DOES_NOT_VERIFY.format(moduleName, problem.get()),
                        moduleName, null, LlvmModules.irText(module), null);
            }
            Map<String, String> renamed = LlvmModules.renameExternalDefinitions(module, suffix);
            LlvmModules.internaliseWeakDefinitions(module);
            boolean twoTiers = quickFirst && (passes.isEmpty() || passesWithFullTier);
            Map<String, Signature> entries = twoTiers ? tierable(module, renamed.values(), !passes.isEmpty()) : Map.of();
            String fullTierPasses = entries.isEmpty() ? "" : passes;
            boolean passesFirst = !passes.isEmpty() && entries.isEmpty();
            if (passesFirst) {
                LlvmModules.runPassesForHost(module, passes);
            }
            // Kept as bitcode and printed only when asked: printing every module's IR cost ~2 ms of each warm
            // %autodiff (30-line method), for a text that only tests read.
            byte[] compiled = passesFirst ? LlvmModules.writeBitcode(module) : bitcode;
            // Before the guards: the full tier's passes must see the allocator calls as they are (O3 removes or
            // merges malloc/free pairs it knows), and the full tier guards its own module.
            byte[] fullTierBitcode = entries.isEmpty() ? null : LlvmModules.writeBitcode(module);
            VectorState.clearOnEntry(module, renamed.values());
            AllocationGuards.apply(module);
            tracker = jit.newResourceTracker();
            if (entries.isEmpty()) {
                LLVMModuleRef handedOver = module;
                module = null; // owned by the JIT from here on, even if adding fails
                jit.addModule(tracker, context, handedOver);
            } else {
                addQuickTier(tracker, module, entries);
            }
            Map<String, Long> addresses = new HashMap<>();
            for (var export : renamed.entrySet()) {
                addresses.put(export.getKey(), jit.lookup(export.getValue()));
            }
            List<String> errors = Diagnostics.drain();
            if (!errors.isEmpty()) {
                throw new LlvmFailure(String.join("; ", errors));
            }
            JitModule added = new JitModule(this, moduleName, tracker, addresses, compiled, suffix,
                    fullTierBitcode == null);
            modules.add(added);
            if (fullTierBitcode != null) {
                FullTier full = new FullTier(fullTierBitcode, fullTierPasses, List.copyOf(renamed.values()));
                LLVMOrcResourceTrackerRef code = tracker;
                fullTier().execute(() -> addFullTier(added, code, full, entries.keySet()));
            }
            return added;
        } catch (LlvmFailure failure) {
            if (tracker != null) {
                releaseQuietly(tracker);
            }
            List<String> reported = Diagnostics.drain();
            String cause = reported.isEmpty() ? failure.getMessage() : String.join("; ", reported);
            throw new JitException(Messages.MODULE_COMPILE_FAILED.format(moduleName, cause.replace(suffix, "")),
                    moduleName, null, LlvmModules.irTextOf(bitcode, moduleName), failure);
        } finally {
            if (module != null) {
                LlvmModules.dispose(module);
            }
            Lljit.dispose(context);
        }
    }

    /**
     * The entries of a module that can run in two tiers with their signatures, or none: every export must be a
     * function without varargs, and the module must hold no global variable its code may write, since each tier would
     * get its own copy. An unoptimised module must also allocate stack only in its functions' entry blocks: code
     * generated without optimisation grows the stack at each run of an {@code alloca} elsewhere, so one in a loop would
     * overflow it where the optimised code (SROA, the inliner's hoisting) allocates once.
     */
    private static Map<String, Signature> tierable(LLVMModuleRef module, Collection<String> exports,
                                                   boolean unoptimised) {
        if (LlvmModules.definesMutableGlobals(module)
                || unoptimised && LlvmModules.allocatesOutsideEntryBlocks(module)) {
            return Map.of();
        }
        Map<String, Signature> entries = new LinkedHashMap<>();
        for (String export : exports) {
            Optional<Signature> signature = LlvmModules.signature(module, export);
            if (signature.isEmpty()) {
                return Map.of();
            }
            entries.put(export, signature.get());
        }
        return entries;
    }

    /**
     * Compiles {@code module} quickly under {@code tracker}, its entries renamed {@code .quick} and reached through
     * {@link Trampolines}; {@code module} stays the caller's. Code generation here and in the full tier uses target
     * machines of its own: the LLJIT's compiler serves one thread at a time, and the full tier runs on another.
     */
    private void addQuickTier(LLVMOrcResourceTrackerRef tracker, LLVMModuleRef module, Map<String, Signature> entries) {
        entries.keySet().forEach(entry -> LlvmModules.rename(module, entry, entry + Trampolines.QUICK));
        LLVMTargetMachineRef machine = HostTarget.get().createQuickMachine();
        LLVMContextRef context = LlvmModules.newContext();
        try {
            jit.addObjectFile(tracker, LlvmModules.emitObject(module, machine));
            LLVMModuleRef trampolines = LlvmModules.parseIr(context, Trampolines.ir(entries, HostTarget.get()),
                    "jenzyme.trampolines");
            try {
                jit.addObjectFile(tracker, LlvmModules.emitObject(trampolines, machine));
            } finally {
                LlvmModules.dispose(trampolines);
            }
        } finally {
            HostTarget.dispose(machine);
            LlvmModules.disposeContext(context);
        }
    }

    /**
     * What a full tier compiles: a module's bitcode (renamed, not yet guarded), the passes still to run on it (empty:
     * none), and its exports as renamed (what {@link VectorState#clearOnEntry} needs).
     */
    private record FullTier(byte[] bitcode, String passes, List<String> exports) {}

    /**
     * The full tier of {@code module}, on the {@link #fullTier} thread: generates its {@linkplain #fullCode code},
     * adds it and points each entry's slot at it. It adds under the module's {@linkplain JitModule#fullTierLock()
     * lock}, under which {@link #release} marks the module released first, so the tracker stays valid while it is used
     * here; it does not hold the JIT's lock, so that a cell meanwhile adds and releases other modules without waiting.
     * A failure leaves the quick code in place.
     */
    private void addFullTier(JitModule module, LLVMOrcResourceTrackerRef tracker, FullTier tier, Set<String> entries) {
        awaitRelease();
        if (closed || !module.isLive()) {
            module.fullCodeSkipped();
            return;
        }
        Diagnostics.drain();
        LLVMMemoryBufferRef object = null;
        try {
            object = fullCode(module.name(), tier, entries);
            synchronized (module.fullTierLock()) {
                if (closed || module.trackerReleased() || !module.isLive()) {
                    return;
                }
                LLVMMemoryBufferRef handedOver = object;
                object = null; // owned by the JIT from here on, even if adding fails
                jit.addObjectFile(tracker, handedOver);
                Map<String, Long> code = new HashMap<>();
                for (String entry : entries) {
                    code.put(entry, jit.lookup(entry + Trampolines.FULL));
                }
                List<String> errors = Diagnostics.drain();
                if (!errors.isEmpty()) {
                    throw new LlvmFailure(String.join("; ", errors));
                }
                for (String entry : entries) {
                    Trampolines.point(jit.lookup(entry + Trampolines.SLOT), code.get(entry));
                }
                module.fullCodeReady();
            }
        } catch (RuntimeException failure) {
            Diagnostics.drain();
            System.getLogger(OrcJit.class.getName()).log(System.Logger.Level.WARNING, Messages.FULL_TIER_FAILED
                    .format(module.name(), failure.getMessage()));
        } finally {
            if (object != null) {
                LlvmModules.disposeObject(object);
            }
            module.fullCodeSkipped(); // no effect once ready; otherwise whoever waits for the full code learns
        }
    }

    /**
     * The full tier's object file: {@code tier}'s passes, the guards {@link #add} applies, its entries renamed
     * {@code .full}, code generated as the LLJIT would. Everything here is the tier's own (context, module, target
     * machine), so it runs without the module's lock: a cell releasing the module meanwhile waits only for the object
     * to be added, not for the optimisation.
     */
    private static LLVMMemoryBufferRef fullCode(String moduleName, FullTier tier, Set<String> entries) {
        LLVMContextRef context = LlvmModules.newContext();
        LLVMTargetMachineRef machine = HostTarget.get().createJitMachine();
        try {
            LLVMModuleRef full = LlvmModules.parseBitcode(context, tier.bitcode(), moduleName);
            try {
                if (!tier.passes().isEmpty()) {
                    LlvmModules.runPasses(full, tier.passes(), machine);
                }
                VectorState.clearOnEntry(full, tier.exports());
                AllocationGuards.apply(full);
                entries.forEach(entry -> LlvmModules.rename(full, entry, entry + Trampolines.FULL));
                return LlvmModules.emitObject(full, machine);
            } finally {
                LlvmModules.dispose(full);
            }
        } finally {
            HostTarget.dispose(machine);
            LlvmModules.disposeContext(context);
        }
    }


    /**
     * Keeps full tiers from starting until {@link #releaseFullTiers} (at most {@link #LONGEST_HOLD_NANOS}): the
     * notebook holds them while a magic compiles and binds, so that the full tier's code generation does not share
     * the cores with the very magic whose wait it shortened (measured: 8-10 ms more of a warm magic's time went
     * outside its phases while the full tier ran beside its binding and reply).
     */
    public void holdFullTiers() {
        synchronized (hold) {
            heldUntil = System.nanoTime() + LONGEST_HOLD_NANOS;
        }
    }

    /** Lets held full tiers start. */
    public void releaseFullTiers() {
        synchronized (hold) {
            heldUntil = 0;
            hold.notifyAll();
        }
    }

    private void awaitRelease() {
        synchronized (hold) {
            long left;
            while (heldUntil != 0 && (left = heldUntil - System.nanoTime()) > 0) {
                try {
                    hold.wait(left / 1_000_000 + 1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * Waits until every module added so far runs its full code (or had its full tier skipped): what a timing of the
     * code's speed waits for, as a user's next cell does in practice (the full tier takes about as long as the
     * magic's quick code generation plus its reply).
     */
    public void awaitFullTiers() {
        ExecutorService tier;
        synchronized (this) {
            tier = fullTier;
        }
        if (tier == null) {
            return;
        }
        try {
            tier.submit(() -> { }).get(); // one thread, in order: done once everything queued before it is
        } catch (RejectedExecutionException closedMeanwhile) {
            // the JIT was closed: nothing more will be compiled
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /** The thread that compiles full tiers, one module at a time, in the order they were added. */
    private ExecutorService fullTier() {
        if (fullTier == null) {
            fullTier = Executors.newSingleThreadExecutor(
                    task -> Thread.ofPlatform().daemon().name("jenzyme-full-tier").unstarted(() -> {
                        LowPriority.ofThisThread(FULL_TIER_NICE);
                        task.run();
                    }));
        }
        return fullTier;
    }

    private static LLVMModuleRef parse(String moduleName, byte[] bitcode, LLVMOrcThreadSafeContextRef context) {
        try {
            LLVMContextRef llvmContext = Lljit.contextOf(context);
            Diagnostics.install(llvmContext);
            return LlvmModules.parseBitcode(llvmContext, bitcode, moduleName);
        } catch (LlvmFailure failure) {
            throw new JitException(failure.getMessage(), moduleName, null, null, failure);
        }
    }

    void release(JitModule module, LLVMOrcResourceTrackerRef tracker) {
        module.markTrackerReleased(); // waits for its full tier, if that is being compiled right now
        releaseTracker(module, tracker);
    }

    private synchronized void releaseTracker(JitModule module, LLVMOrcResourceTrackerRef tracker) {
        modules.remove(module);
        try {
            Lljit.removeAndRelease(tracker);
        } catch (LlvmFailure failure) {
            throw new JitException(Messages.MODULE_RELEASE_FAILED.format(module.name(), failure.getMessage()),
                    module.name(), null, null, failure);
        } finally {
            if (closed) {
                disposeIfIdle();
            }
        }
    }

    private static void releaseQuietly(LLVMOrcResourceTrackerRef tracker) {
        try {
            Lljit.removeAndRelease(tracker);
        } catch (LlvmFailure ignored) {
            // The add already failed; that error is the one worth reporting.
        }
    }

    /**
     * Refuses new modules and calls (bound handles of its modules then raise instead of calling) and releases every
     * module and the JIT itself — the JIT when the last call still inside one of its modules returns, as for a
     * re-derived module: disposing it at once freed the code (and the checked allocator) under running calls.
     * A call that never returns keeps the JIT until the process ends.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (fullTier != null) {
            fullTier.shutdown(); // full tiers still queued find the JIT closed and leave their modules as they are
        }
        for (JitModule module : List.copyOf(modules)) {
            module.close();
        }
        disposeIfIdle();
    }

    /** Whether the JIT itself is gone (closed and no call was left inside its code). */
    synchronized boolean isDisposed() {
        return disposed;
    }

    private void disposeIfIdle() {
        if (!disposed && modules.isEmpty()) {
            disposed = true;
            jit.close();
        }
    }
}
