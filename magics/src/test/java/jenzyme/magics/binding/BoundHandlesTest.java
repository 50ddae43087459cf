package jenzyme.magics.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
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
        BoundHandles.commit(key, null);
        assertEquals(1, (int) BoundHandles.take(key).invokeExact());
        assertEquals(1, (int) BoundHandles.take(key).invokeExact(), "a recompiled holder initialises again");
    }

    @Test
    void aNewHandleOfTheSameTypeRetargetsTheDefinedHolderOnceCommitted() throws Throwable {
        String key = BoundHandles.put("h$reverse", ONE);
        MethodHandle defined = BoundHandles.take(key);
        String other = BoundHandles.put("k$forward", ONE);
        BoundHandles.commit(other, null);
        assertEquals(key, BoundHandles.put("h$reverse", TWO), "same type: the same stubs, the same key");
        assertEquals(1, (int) defined.invokeExact(), "not before the binding succeeded");
        BoundHandles.commit(key, null);
        assertEquals(2, (int) defined.invokeExact());
        assertEquals(1, (int) BoundHandles.take(other).invokeExact());
        String refused = BoundHandles.put("h$reverse", ONE);
        BoundHandles.discard(refused);
        assertEquals(2, (int) defined.invokeExact(), "refused stubs leave the holder as it was");
    }

    @Test
    void aHandleOfAnotherTypeGetsANewKeyAndDropsTheOldOne() throws Throwable {
        Code code = new Code(1);
        String old = BoundHandles.put("m$reverse", code.handle());
        BoundHandles.commit(old, null);
        MethodHandle oldStubs = BoundHandles.take(old);
        String fresh = BoundHandles.put("m$reverse", ONE);
        assertNotEquals(old, fresh);
        BoundHandles.commit(fresh, code::close);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> BoundHandles.take(old));
        assertTrue(e.getMessage().contains("replaced by a newer one"), e.getMessage());
        assertFalse(code.live, "no call was inside the replaced code: closed at once");
        // A thread still running the old stubs (JShell keeps a running method's old class) is refused in words.
        BindingException refused = assertThrows(BindingException.class,
                () -> { double unused = (double) oldStubs.invokeExact(2.0); });
        assertTrue(refused.getMessage().contains("the native code of m was released"), refused.getMessage());
    }

    /**
     * Compiled code as a binding sees it: a call checks that the code is live when it enters (as JitModule does) and
     * again when it leaves, after work that stands for running native code: a close in between would free code under
     * the call (the SIGSEGV of issue 15).
     */
    static final class Code implements AutoCloseable {
        final double factor;
        volatile boolean live = true;
        final CountDownLatch entered = new CountDownLatch(1);
        volatile CountDownLatch leave;

        Code(double factor) {
            this.factor = factor;
        }

        double call(double x) throws InterruptedException {
            if (!live) {
                throw new BindingException("the native code of f was released", "f", null);
            }
            entered.countDown();
            if (leave != null) {
                leave.await();
            }
            for (int i = 0; i < 50; i++) {
                Thread.onSpinWait();
            }
            if (!live) {
                throw new AssertionError("closed while a call was inside");
            }
            return factor * x;
        }

        @Override
        public void close() {
            live = false;
        }

        MethodHandle handle() throws ReflectiveOperationException {
            return MethodHandles.lookup().findVirtual(Code.class, "call",
                    MethodType.methodType(double.class, double.class)).bindTo(this);
        }
    }

    @Test
    void replacedCodeIsClosedWhenTheLastCallInsideItReturns() throws Throwable {
        Code first = new Code(1);
        first.leave = new CountDownLatch(1);
        String key = BoundHandles.put("held$reverse", first.handle());
        BoundHandles.commit(key, null);
        MethodHandle binding = BoundHandles.take(key);
        double[] result = new double[1];
        Thread caller = Thread.ofPlatform().start(() -> {
            try {
                result[0] = (double) binding.invokeExact(2.0);
            } catch (Throwable e) {
                result[0] = Double.NaN;
            }
        });
        first.entered.await();
        Code second = new Code(2);
        BoundHandles.put("held$reverse", second.handle());
        BoundHandles.commit(key, first);
        assertTrue(first.live, "a call is inside the replaced code");
        assertEquals(4.0, (double) binding.invokeExact(2.0), "new calls run the new code");
        first.leave.countDown();
        caller.join();
        assertEquals(2.0, result[0], "the call inside finished on the old code");
        assertFalse(first.live, "closed by the last call that left it");
        assertTrue(second.live);
    }

    /**
     * Re-deriving with the same signature while threads call (QA R2, issue 15 Deliver 1): each call runs the old or
     * the new code, none is refused, no code is closed under a call, and every replaced code is closed in the end.
     */
    @Test
    void callsRacingARederivationRunTheOldOrTheNewCodeAndNeverFail() throws Throwable {
        Code first = new Code(1);
        String key = BoundHandles.put("race$reverse", first.handle());
        BoundHandles.commit(key, null);
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
        List<Code> replaced = new java.util.ArrayList<>();
        Code current = first;
        for (int rederivation = 2; rederivation <= 3000; rederivation++) {
            Code next = new Code(rederivation);
            assertEquals(key, BoundHandles.put("race$reverse", next.handle()));
            BoundHandles.commit(key, current); // as CompilerSession.bind hands over the code it replaces
            replaced.add(current);
            current = next;
        }
        stop.set(true);
        for (Thread caller : callers) {
            caller.join();
        }
        assertEquals(List.of(), List.copyOf(failures).subList(0, Math.min(3, failures.size())),
                failures.size() + " calls failed");
        assertEquals(6000.0, (double) binding.invokeExact(2.0));
        assertEquals(0, replaced.stream().filter(code -> code.live).count(), "replaced code left open");
        assertTrue(current.live);
    }
}
