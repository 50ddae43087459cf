package jenzyme.kernel;

import jenzyme.runtime.error.Messages;
import org.dflib.jjava.jupyter.channels.HeartbeatChannel;
import org.dflib.jjava.jupyter.channels.JupyterConnection;
import org.dflib.jjava.jupyter.channels.Loop;
import org.dflib.jjava.jupyter.channels.ShellChannel;
import org.dflib.jjava.jupyter.kernel.KernelConnectionProperties;
import org.zeromq.ZMQ;

import java.lang.reflect.Field;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;

/**
 * jjava's connection, hardened: in jjava-jupyter 1.0-a6 a message with a bad HMAC signature (or unparseable JSON)
 * throws out of the shell channel's polling loop and ends that thread, so the kernel silently stops answering.
 * Here each such message is logged and dropped and the loop goes on. jjava offers no hook before the loop starts,
 * so the handler is attached to the loop thread (a private field) right after binding; a message arriving in
 * that instant would still hit the old behaviour.
 *
 * <p>It also shortens the loops' pause: jjava's shell and control loops take at most one message per 50 ms sleep,
 * which capped the kernel at 20 requests a second (measured: 54 ms per failing magic line, queued) and added up to
 * 50 ms to every interrupt. The heartbeat's loop slept 500 ms between polls: a ping waited up to half a second
 * (measured at load 18-19: 500-1500 ms round trips whether the kernel was idle, running a compiled endless loop or
 * had a thread allocating, i.e. never GC; CI's 632 ms was this sleep, not a stalled JVM). The sleep is a private
 * final field read when the loop starts, so it is set before binding.
 */
final class GuardedConnection extends JupyterConnection {

    private static final System.Logger LOG = System.getLogger(GuardedConnection.class.getName());
    /** Pause between polls of the control and heartbeat sockets (a poll costs microseconds; idle CPU ~1%). */
    private static final long LOOP_SLEEP_MS = 5;
    /**
     * Pause between polls of the shell socket, where every cell's request arrives: it waited half a pause on average
     * before the kernel saw it (kernel-side timestamps of ./bench --latency: 2.7 ms of a warm %autodiff's median at
     * 5 ms). 1 ms takes that to ~0.5 ms; an idle kernel then used 3.0% of a core instead of 2.2% (20 s idle, on a
     * machine loaded by other work, load 12-16).
     */
    private static final long SHELL_LOOP_SLEEP_MS = 1;

    GuardedConnection(KernelConnectionProperties properties) throws NoSuchAlgorithmException, InvalidKeyException {
        super(properties);
    }

    @Override
    public void connect() {
        setLoopSleep(ShellChannel.class, shell, SHELL_LOOP_SLEEP_MS);
        setLoopSleep(ShellChannel.class, control, LOOP_SLEEP_MS);
        setLoopSleep(HeartbeatChannel.class, heartbeat, LOOP_SLEEP_MS);
        super.connect();
        keepServingAfterBadMessages(shell, "shell");
        keepServingAfterBadMessages(control, "control");
    }

    /** Whether a request waits in the shell socket; only on the shell loop's thread (a ZMQ socket has one owner). */
    boolean shellRequestWaiting() {
        return (shell.getEvents() & ZMQ.Poller.POLLIN) != 0;
    }

    private static void keepServingAfterBadMessages(ShellChannel channel, String name) {
        Loop loop = loopOf(channel);
        loop.onError(failure -> {
            if (failure instanceof VirtualMachineError fatal) {
                throw fatal;
            }
            LOG.log(System.Logger.Level.WARNING, "rejected a message on the " + name + " channel ("
                    + failure + "); the kernel keeps serving");
            return LOOP_SLEEP_MS;
        });
    }

    private static void setLoopSleep(Class<?> type, Object channel, long millis) {
        try {
            Field sleep = type.getDeclaredField("sleep");
            sleep.setAccessible(true);
            sleep.setLong(channel, millis);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(Messages.JJAVA_SLEEP_MISSING.format(e), e);
        }
    }

    private static Loop loopOf(ShellChannel channel) {
        try {
            Field ioloop = ShellChannel.class.getDeclaredField("ioloop");
            ioloop.setAccessible(true);
            return (Loop) ioloop.get(channel);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(Messages.JJAVA_IOLOOP_MISSING.format(e), e);
        }
    }
}
