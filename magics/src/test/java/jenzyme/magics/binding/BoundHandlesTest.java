package jenzyme.magics.binding;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import org.junit.jupiter.api.Test;

/** JShell may initialise a holder class many times (every recompilation); its handle must be there each time. */
class BoundHandlesTest {

    private static final MethodHandle ONE = MethodHandles.constant(int.class, 1);
    private static final MethodHandle TWO = MethodHandles.constant(int.class, 2);

    @Test
    void aHolderReadsItsHandleOnEveryInitialisation() {
        String key = BoundHandles.put("g$reverse", ONE);
        assertSame(ONE, BoundHandles.take(key));
        assertSame(ONE, BoundHandles.take(key), "a recompiled holder initialises again");
    }

    @Test
    void bindingTheSameNameAgainDropsTheOldHandleOnly() {
        String old = BoundHandles.put("h$reverse", ONE);
        String other = BoundHandles.put("k$forward", ONE);
        String fresh = BoundHandles.put("h$reverse", TWO);
        assertSame(TWO, BoundHandles.take(fresh));
        assertSame(ONE, BoundHandles.take(other));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> BoundHandles.take(old));
        assertTrue(e.getMessage().contains("replaced by a newer one"), e.getMessage());
    }
}
