package jenzyme.runtime.ship;

import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.ad.WrapperSignature;
import jenzyme.runtime.bind.DerivativeBinder;
import jenzyme.runtime.bind.InterruptFlag;
import jenzyme.runtime.jit.JitModule;
import jenzyme.runtime.jit.OrcJit;

/**
 * The receiving end of a {@link CompiledArtifact}: one ORC JIT per JVM that compiles each artefact once (keyed by
 * its content hash) and binds it with {@link DerivativeBinder} from the artefact's own calling-convention model.
 * It needs Bytedeco LLVM and this runtime only — no Enzyme worker, no JShell, no class of the notebook — so a Spark
 * executor (or any JVM) can run a derivative the kernel made.
 *
 * <p>Thread-safe: Spark runs several tasks of one executor at once; the first to need an artefact compiles it and
 * the others wait for that. A {@link Derivative} handed out stays compiled for the JVM's life; closing it frees
 * the code and the next {@link #load} compiles it again.
 */
public final class ArtifactRuntime {

    private static ArtifactRuntime shared;

    private final OrcJit jit;
    private final Map<String, Derivative> loaded = new HashMap<>();
    private long compileNanos;
    private int compiled;

    private ArtifactRuntime(OrcJit jit) {
        this.jit = jit;
    }

    /** This JVM's runtime, started on first use (its JIT links the interrupt flag, like the kernel's). */
    public static synchronized ArtifactRuntime shared() {
        if (shared == null) {
            shared = new ArtifactRuntime(OrcJit.create(Map.of(InterruptFlag.symbol(), InterruptFlag.global().segment())));
        }
        return shared;
    }

    /**
     * The artefact compiled in this JVM and bound as a {@link Derivative} whose handle has
     * {@link CallingConvention#handleType()}: compiled at the first call, the same object afterwards.
     *
     * @throws jenzyme.runtime.error.BindingException if the artefact does not match its hash
     * @throws jenzyme.runtime.error.JitException if LLVM cannot compile its bitcode
     */
    public synchronized Derivative load(CompiledArtifact artifact) {
        // Verified before the cache: an artefact claiming a loaded one's hash must not be served that one's code.
        artifact.verify();
        Derivative cached = loaded.get(artifact.hash());
        if (cached != null && cached.isLive()) {
            return cached;
        }
        long start = System.nanoTime();
        CallingConvention convention = CallingConvention.of(artifact.model());
        WrapperSignature wrapper = artifact.wrapper();
        JitModule code = jit.addWorkerModule("shipped." + artifact.hash().substring(0, 16), artifact.bitcode(),
                artifact.postOptimisation());
        long jitted = System.nanoTime();
        try {
            MethodHandle handle = code.guard(DerivativeBinder.bind(code.address(wrapper.symbol()), convention, wrapper,
                    code::isLive));
            long bound = System.nanoTime();
            Map<String, Duration> timings = new LinkedHashMap<>();
            timings.put("jit", Duration.ofNanos(jitted - start));
            timings.put("bind", Duration.ofNanos(bound - jitted));
            Derivative derivative = new Derivative(convention, wrapper, handle, java.util.Optional.empty(), timings, "",
                    "", List.of(), code, artifact.bitcode(), artifact.postOptimisation());
            loaded.put(artifact.hash(), derivative);
            compiled++;
            compileNanos += bound - start;
            return derivative;
        } catch (RuntimeException e) {
            code.close();
            throw e;
        }
    }

    /** How many artefacts this JVM compiled, and how long that took in all: the cost of shipping per executor. */
    public synchronized Stats stats() {
        return new Stats(compiled, Duration.ofNanos(compileNanos));
    }

    /** @param compiled artefacts compiled (a reload after a close counts again) @param compileTime their JIT+bind time */
    public record Stats(int compiled, Duration compileTime) implements java.io.Serializable {}
}
