package jenzyme.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Where the JVM puts a contender's arrays, varied from round to round. One compiled reverse gradient of Rosenbrock
 * n = 10^3 took 3.7 or 5.8 µs depending on the distance between {@code x} and its shadow (a pad array between them,
 * 8 doubles at a time: slow for about 45% of the distances on this AMD EPYC), while the C reference varied only
 * between 3.0 and 3.7 µs. A fresh JVM's bump allocation places the arrays the same way every time, so without this
 * a run measured one placement. Each round allocates every contender's arguments anew behind a pad of random
 * length, so that a row's median is over placements, as a user's calls are.
 */
final class Placement {

    /** Pads of up to 4 KiB cover every distance modulo a page. */
    private static final int MAX_PAD_DOUBLES = 512;

    private final Random random;
    /** Kept reachable so that a collection does not close the gaps while the round runs. */
    private final List<double[]> pads = new ArrayList<>();

    Placement(long seed) {
        this.random = new Random(seed);
    }

    /**
     * Fresh copies of the workload's arguments, each array behind a pad of random length; the pads of the previous
     * call are let go (one placement per contender: each contender has its own).
     */
    Object[] arguments(Workload workload) {
        pads.clear();
        return workload.arguments().stream().map(a -> a instanceof double[] array ? behindPad(array::clone) : a)
                .toArray();
    }

    /** A fresh zeroed array of {@code length} behind a pad of random length (a shadow). */
    double[] zeros(int length) {
        return behindPad(() -> new double[length]);
    }

    /** Allocates a pad, then runs {@code allocate}: a bump allocator puts its array right behind the pad. */
    private double[] behindPad(Supplier<double[]> allocate) {
        pads.add(new double[random.nextInt(MAX_PAD_DOUBLES)]);
        return allocate.get();
    }
}
