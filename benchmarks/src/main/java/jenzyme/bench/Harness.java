package jenzyme.bench;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The timing loop: each contender is warmed up (HotSpot code long enough for C2), calibrated to a batch of calls
 * lasting about {@link Settings#sampleSeconds()}, then sampled once per round. Rounds interleave all contenders of a
 * workload (in a rotating order), so a change of machine load hits every column alike and the per-round ratios to
 * our gradient stay meaningful on a shared machine.
 */
final class Harness {

    /**
     * @param rounds                samples per contender
     * @param sampleSeconds         target duration of one sample (a batch of back-to-back calls)
     * @param hotspotWarmupSeconds  warm-up of code HotSpot compiles (JVM primal, finite differences)
     * @param warmupSeconds         warm-up of native code and JAX (caches, page faults, lazy binding)
     */
    record Settings(int rounds, double sampleSeconds, double hotspotWarmupSeconds, double warmupSeconds) {

        static Settings full() {
            return new Settings(15, 0.05, 2.0, 0.3);
        }

        static Settings quick() {
            return new Settings(3, 0.005, 0.3, 0.05);
        }

        Settings withRounds(int value) {
            return new Settings(value, sampleSeconds, hotspotWarmupSeconds, warmupSeconds);
        }
    }

    private final Settings settings;

    Harness(Settings settings) {
        this.settings = settings;
    }

    /** Seconds per call of each contender (its scale applied), one entry per round. */
    Map<Column, double[]> measure(List<Contender> contenders) throws Exception {
        int[] reps = new int[contenders.size()];
        for (int c = 0; c < contenders.size(); c++) {
            Contender contender = contenders.get(c);
            double perCall = warmUp(contender.timer(),
                    contender.column().hotspot() ? settings.hotspotWarmupSeconds() : settings.warmupSeconds());
            reps[c] = (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.ceil(settings.sampleSeconds() / perCall)));
        }
        Map<Column, double[]> samples = new EnumMap<>(Column.class);
        contenders.forEach(c -> samples.put(c.column(), new double[settings.rounds()]));
        List<Integer> order = new ArrayList<>();
        for (int c = 0; c < contenders.size(); c++) {
            order.add(c);
        }
        for (int round = 0; round < settings.rounds(); round++) {
            for (int c : order) {
                Contender contender = contenders.get(c);
                samples.get(contender.column())[round] =
                        contender.timer().seconds(reps[c]) / reps[c] * contender.scale();
            }
            order.add(order.removeFirst());
        }
        return samples;
    }

    /** Runs batches of growing size until {@code seconds} have passed; returns the last batch's time per call. */
    private static double warmUp(Timer timer, double seconds) throws Exception {
        double spent = 0, perCall = Double.POSITIVE_INFINITY;
        int reps = 1, batches = 0;
        while (spent < seconds || batches < 3) {
            double batch = timer.seconds(reps);
            spent += batch;
            batches++;
            perCall = batch / reps;
            if (batch < 0.01) {
                reps *= 2;
            }
        }
        return perCall;
    }
}
