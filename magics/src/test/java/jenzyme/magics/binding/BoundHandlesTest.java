package jenzyme.magics.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import org.junit.jupiter.api.Test;

/**
 * JShell may initialise a holder class many times (every recompilation); its handle must be there each time. A new
 * handle of the same type reaches the holder already defined; one of another type needs new stubs (a new key).
 */
class BoundHandlesTest {

    private static final MethodHandle ONE = MethodHandles.constant(int.class, 1);
    private static final MethodHandle TWO = MethodHandles.constant(int.class, 2);
    private static final MethodHandle HALF = MethodHandles.constant(double.class, 0.5);

    @Test
    void aHolderReadsItsHandleOnEveryInitialisation() throws Throwable {
        String key = BoundHandles.put("g$reverse", ONE);
        BoundHandles.commit(key);
        assertEquals(1, (int) BoundHandles.take(key).invokeExact());
        assertEquals(1, (int) BoundHandles.take(key).invokeExact(), "a recompiled holder initialises again");
    }

    @Test
    void aNewHandleOfTheSameTypeRetargetsTheDefinedHolderOnceCommitted() throws Throwable {
        String key = BoundHandles.put("h$reverse", ONE);
        MethodHandle defined = BoundHandles.take(key);
        String other = BoundHandles.put("k$forward", ONE);
        BoundHandles.commit(other);
        assertEquals(key, BoundHandles.put("h$reverse", TWO), "same type: the same stubs, the same key");
        assertEquals(1, (int) defined.invokeExact(), "not before the binding succeeded");
        BoundHandles.commit(key);
        assertEquals(2, (int) defined.invokeExact());
        assertEquals(1, (int) BoundHandles.take(other).invokeExact());
        String refused = BoundHandles.put("h$reverse", ONE);
        BoundHandles.discard(refused);
        assertEquals(2, (int) defined.invokeExact(), "refused stubs leave the holder as it was");
    }

    @Test
    void aHandleOfAnotherTypeGetsANewKeyAndDropsTheOldOne() {
        String old = BoundHandles.put("m$reverse", ONE);
        BoundHandles.commit(old);
        String fresh = BoundHandles.put("m$reverse", HALF);
        assertNotEquals(old, fresh);
        BoundHandles.commit(fresh);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> BoundHandles.take(old));
        assertTrue(e.getMessage().contains("replaced by a newer one"), e.getMessage());
    }
}
