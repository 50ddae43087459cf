package jenzyme.magics.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * JShell may initialise a holder class many times (every recompilation); its handle must be there each time. Threads
 * still running an old holder's stubs follow a re-binding of the same calling convention.
 */
class BoundHandlesTest {

    private static final MethodHandle ONE = MethodHandles.constant(int.class, 1);
    private static final MethodHandle TWO = MethodHandles.constant(int.class, 2);
    private static final MethodHandle HALF = MethodHandles.constant(double.class, 0.5);

    private static String bound(String holder, MethodHandle handle, int slots) {
        String key = BoundHandles.put(holder, handle, slots);
        BoundHandles.commit(List.of(key));
        return key;
    }

    @Test
    void aHolderReadsItsHandleOnEveryInitialisation() throws Throwable {
        String key = bound("g$reverse", ONE, 2);
        assertEquals(1, (int) BoundHandles.take(key).invokeExact());
        assertEquals(1, (int) BoundHandles.take(key).invokeExact(), "a recompiled holder initialises again");
    }

    @Test
    void bindingTheSameNameAgainDropsTheOldHandleOnlyAndOldStubsCallTheNewCode() throws Throwable {
        String old = bound("h$reverse", ONE, 2);
        MethodHandle oldStubs = BoundHandles.take(old); // what a thread running the old stubs holds
        String other = bound("k$forward", ONE, 2);
        String fresh = bound("h$reverse", TWO, 2);
        assertEquals(2, (int) BoundHandles.take(fresh).invokeExact());
        assertEquals(1, (int) BoundHandles.take(other).invokeExact());
        assertEquals(2, (int) oldStubs.invokeExact(), "the old holder's stubs follow the new binding");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> BoundHandles.take(old));
        assertTrue(e.getMessage().contains("replaced by a newer one"), e.getMessage());
    }

    @Test
    void aNewCallingConventionLeavesOldStubsOnTheOldCode() throws Throwable {
        MethodHandle oldStubs = BoundHandles.take(bound("m$reverse", ONE, 2));
        bound("m$reverse", TWO, 3); // other output slots: the old stubs' buffer would not fit
        assertEquals(1, (int) oldStubs.invokeExact());
        String changedType = bound("m$reverse", HALF, 3);
        assertEquals(0.5, (double) BoundHandles.take(changedType).invokeExact());
    }

    @Test
    void stubsJShellRefusedChangeNothing() throws Throwable {
        String current = bound("r$reverse", ONE, 2);
        String refused = BoundHandles.put("r$reverse", TWO, 2);
        BoundHandles.discard();
        assertEquals(1, (int) BoundHandles.take(current).invokeExact());
        assertThrows(IllegalStateException.class, () -> BoundHandles.take(refused));
        String abandoned = BoundHandles.put("r$reverse", TWO, 2); // built, then the magic failed before binding
        bound("s$reverse", ONE, 2);
        assertEquals(1, (int) BoundHandles.take(current).invokeExact());
        assertThrows(IllegalStateException.class, () -> BoundHandles.take(abandoned));
    }
}
