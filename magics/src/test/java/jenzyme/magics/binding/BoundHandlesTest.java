package jenzyme.magics.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import jenzyme.runtime.error.BindingException;
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

    /**
     * Compiled code as a binding sees it: a call checks that the code is live before entering it (as JitModule and
     * NativeBinder do), after the work a binding does first (marshalling arguments) that the loop stands for.
     */
    static final class Code {
        final double factor;
        volatile boolean live = true;

        Code(double factor) {
            this.factor = factor;
        }

        double call(double x) {
            for (int i = 0; i < 50; i++) {
                Thread.onSpinWait();
            }
            if (!live) {
                throw BindingException.codeReleased("the native code of f was released", "f");
            }
            return factor * x;
        }

        MethodHandle handle() throws ReflectiveOperationException {
            return MethodHandles.lookup().findVirtual(Code.class, "call",
                    MethodType.methodType(double.class, double.class)).bindTo(this);
        }
    }

    /** Re-deriving with the same signature while threads call: each call runs the old or the new code (QA R2). */
    @Test
    void callsRacingARederivationRunTheOldOrTheNewCodeAndNeverFail() throws Throwable {
        Code first = new Code(1);
        String key = BoundHandles.put("race$reverse", first.handle());
        BoundHandles.commit(key);
        MethodHandle binding = BoundHandles.take(key);
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        List<Thread> callers = java.util.stream.IntStream.range(0, 3).mapToObj(t -> Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                try {
                    double y = (double) binding.invokeExact(2.0);
                    if (y != Math.rint(y) || y < 2) { // factors are 1, 2, 3, ...: 2 * factor
                        failures.add("wrong value " + y);
                    }
                } catch (Throwable e) {
                    failures.add(e.toString());
                }
            }
        })).toList();
        Code current = first;
        for (int rederivation = 2; rederivation <= 3000; rederivation++) {
            Code next = new Code(rederivation);
            assertEquals(key, BoundHandles.put("race$reverse", next.handle()));
            BoundHandles.commit(key);
            current.live = false; // CompilerSession.bind releases the old code once the new one is committed
            current = next;
        }
        stop.set(true);
        for (Thread caller : callers) {
            caller.join();
        }
        assertEquals(List.of(), List.copyOf(failures).subList(0, Math.min(3, failures.size())),
                failures.size() + " calls failed");
        assertEquals(6000.0, (double) binding.invokeExact(2.0));

        current.live = false; // released with nothing in its place (the kernel closed it): the refusal stands
        BindingException refused = assertThrows(BindingException.class,
                () -> { double unused = (double) binding.invokeExact(2.0); });
        assertTrue(refused.isCodeReleased());
    }
}
