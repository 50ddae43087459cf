package jenzyme.magics.spark;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.ship.CompiledArtifact;

/**
 * Hands the artefacts {@code %spark ship} made to the cell variable it defines (JShell binds values only through
 * source, as {@code BoundHandles} explains for method handles). Each is taken once.
 */
public final class Shipments {

    private static final Map<String, CompiledArtifact> WAITING = new ConcurrentHashMap<>();
    private static final AtomicLong NEXT = new AtomicLong();

    private Shipments() {}

    static String put(CompiledArtifact artifact) {
        String key = "a" + NEXT.incrementAndGet();
        WAITING.put(key, artifact);
        return key;
    }

    /** Called by the definition {@code %spark ship} evaluates. */
    public static CompiledArtifact take(String key) {
        CompiledArtifact artifact = WAITING.remove(key);
        if (artifact == null) {
            throw new IllegalStateException(Messages.SHIPMENT_GONE.format(key));
        }
        return artifact;
    }
}
