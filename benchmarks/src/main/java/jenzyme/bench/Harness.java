package jenzyme.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The timing loop. Each contender is warmed up (HotSpot code long enough for C2 to compile it) and calibrated to
 * batches of calls lasting about {@link Settings#batchSeconds()}. A sample is the fastest of
 * {@link Settings#batches()} consecutive batches: on a machine shared with other work, a batch that was preempted
 * only ever gets slower, so the fastest one is the implementation's own speed. In every round, each contender's
 * sample is taken right after a fresh sample of our reverse gradient and the ratio of the two is that round's
 * ratio, so that both numbers of a ratio saw the same machine. The order of the contenders rotates per round, and
 * every round starts by moving each contender to freshly placed arrays ({@link Contender#reseat}, {@link Placement}):
 * a row's numbers are over placements, not the one a fresh JVM happens to choose.
 */
final class Harness {

    /**
     * @param rounds                paired samples per contender
     * @param batchSeconds          target duration of one batch of back-to-back calls (at least one call)
     * @param batches               batches per sample, of which the fastest counts
     * @param hotspotWarmupSeconds  warm-up of code HotSpot compiles (JVM primal, finite differences)
     * @param warmupSeconds         warm-up of native code and JAX (caches, page faults, lazy binding)
     */
    record Settings(int rounds, double batchSeconds, int batches, double hotspotWarmupSeconds,
                    double warmupSeconds) {

        static Settings full() {
            return new Settings(31, 0.004, 7, 2.0, 0.3);
        }

        static Settings quick() {
            return new Settings(3, 0.002, 2, 0.3, 0.05);
        }

        /**
         * For {@code --check}: at least 7 rounds (placements) and 7 batches per sample, so that a gate judges the
         * fastest of several batches even in quick mode (measured under load 6–15 on 2 cores: with 2 batches a
         * preempted batch often was the faster one, and ratios moved by 0.2–0.4), and sees each side at a placement
         * that does not slow it (about 45% of placements slow our Rosenbrock gradient: 0.45^7 < 0.4%).
         */
        Settings forGates() {
            return new Settings(Math.max(rounds, 7), batchSeconds, Math.max(batches, 7), hotspotWarmupSeconds,
                    warmupSeconds);
        }

        Settings withRounds(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("expected at least 1 round, got " + value);
            }
            return new Settings(value, batchSeconds, batches, hotspotWarmupSeconds, warmupSeconds);
        }
    }

    /** Per-call seconds of each sample, and each sample's ratio to the reverse-gradient sample taken just before. */
    record Samples(double[] seconds, double[] ratios) {}

    private final Settings settings;

    Harness(Settings settings) {
        this.settings = settings;
    }

    /** @param contenders must include {@link Column#REVERSE}, the reference of every ratio */
    Map<Column, Samples> measure(List<Contender> contenders) throws Exception {
        Contender reference = contenders.stream().filter(c -> c.column() == Column.REVERSE).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("expected the reverse gradient among the contenders"));
        List<Contender> others = new ArrayList<>(contenders);
        others.remove(reference);
        Map<Column, Integer> reps = new EnumMap<>(Column.class);
        for (Contender contender : contenders) {
            double perCall = warmUp(contender.timer(),
                    contender.column().hotspot() ? settings.hotspotWarmupSeconds() : settings.warmupSeconds());
            reps.put(contender.column(),
                    (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.ceil(settings.batchSeconds() / perCall))));
        }
        int rounds = settings.rounds();
        Map<Column, Samples> samples = new EnumMap<>(Column.class);
        others.forEach(c -> samples.put(c.column(), new Samples(new double[rounds], new double[rounds])));
        double[] referenceSeconds = new double[rounds * Math.max(1, others.size())];
        int taken = 0;
        for (int round = 0; round < rounds; round++) {
            contenders.forEach(c -> c.reseat().run());
            for (Contender contender : others) {
                double before = sample(reference, reps);
                double own = sample(contender, reps);
                referenceSeconds[taken++] = before;
                samples.get(contender.column()).seconds()[round] = own;
                samples.get(contender.column()).ratios()[round] = own / before;
            }
            if (others.isEmpty()) {
                referenceSeconds[taken++] = sample(reference, reps);
            }
            others.add(others.removeFirst());
        }
        double[] ones = new double[referenceSeconds.length];
        Arrays.fill(ones, 1.0);
        samples.put(Column.REVERSE, new Samples(referenceSeconds, ones));
        return samples;
    }

    private double sample(Contender contender, Map<Column, Integer> reps) throws Exception {
        int n = reps.get(contender.column());
        double fastest = Double.POSITIVE_INFINITY;
        for (int batch = 0; batch < settings.batches(); batch++) {
            fastest = Math.min(fastest, contender.timer().seconds(n) / n);
        }
        return fastest * contender.scale();
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
