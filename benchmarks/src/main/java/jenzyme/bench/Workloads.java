package jenzyme.bench;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import jenzyme.bench.Workload.CSource;
import jenzyme.bench.Workload.LengthOf;
import jenzyme.bench.Workload.Param;
import jenzyme.bench.workloads.HipparchusForms;
import jenzyme.bench.workloads.LogisticRegression;
import jenzyme.bench.workloads.LotkaVolterraFit;
import jenzyme.bench.workloads.Rosenbrock;
import jenzyme.bench.workloads.TranscendentalLoop;
import jenzyme.runtime.ad.Activity;

/** The benchmark's rows (issue 7) with fixed-seed inputs, so that every run and every implementation sees the same numbers. */
public final class Workloads {

    static final int ODE_STEPS = 1000;
    static final int SAMPLES = 10_000;
    static final int FEATURES = 32;
    static final int COMPOSITE_ITERATIONS = 10_000;

    private Workloads() {
    }

    public static List<Workload> all() {
        return List.of(rosenbrock(1_000, "rosenbrock-1e3", "Rosenbrock n=10^3", Integer.MAX_VALUE),
                rosenbrock(1_000_000, "rosenbrock-1e6", "Rosenbrock n=10^6", 4),
                odeLoss(), logisticRegression(), composite());
    }

    private static Workload rosenbrock(int n, String id, String label, int fdComponents) {
        double[] x = new Random(1).doubles(n, -2, 2).toArray();
        return new Workload(id, label, Rosenbrock.class, "rosenbrock", List.of(x), Map.of(),
                new CSource("rosenbrock.c", "rosenbrock", List.of(new Param(0), new LengthOf(0))),
                "rosenbrock", false, fdComponents,
                Optional.of(new Workload.Hipparchus(HipparchusForms::rosenbrock, true)));
    }

    /** Lotka–Volterra parameters near a periodic orbit, fitted to a smooth synthetic trajectory. */
    private static Workload odeLoss() {
        double[] p = {1.0, 0.5, 0.2, 0.6, 2.0, 1.0};
        double[] obs = new double[2 * ODE_STEPS];
        for (int k = 0; k < ODE_STEPS; k++) {
            double t = (k + 1) * LotkaVolterraFit.SPAN / ODE_STEPS;
            obs[2 * k] = 2.5 + Math.sin(0.8 * t);
            obs[2 * k + 1] = 1.5 + 0.5 * Math.cos(0.9 * t);
        }
        return new Workload("ode-rk4", "ODE RK4 1000 steps", LotkaVolterraFit.class, "odeLoss",
                List.of(p, obs, ODE_STEPS), Map.of("obs", Activity.CONST),
                new CSource("ode_loss.c", "ode_loss", List.of(new Param(0), new Param(1), new Param(2))),
                "ode_loss", true, Integer.MAX_VALUE,
                Optional.of(new Workload.Hipparchus(HipparchusForms::odeLoss, false)));
    }

    /** Gaussian features, labels from a planted separator with 10% flipped, weights near zero. */
    private static Workload logisticRegression() {
        Random random = new Random(3);
        double[] planted = random.doubles(FEATURES).map(v -> (v - 0.5) * 2).toArray();
        double[] X = new double[SAMPLES * FEATURES];
        double[] y = new double[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            double z = 0;
            for (int j = 0; j < FEATURES; j++) {
                X[i * FEATURES + j] = random.nextGaussian();
                z += X[i * FEATURES + j] * planted[j];
            }
            y[i] = (z > 0) == (random.nextDouble() > 0.1) ? 1 : -1;
        }
        double[] w = random.doubles(FEATURES + 1).map(v -> (v - 0.5) * 0.2).toArray();
        return new Workload("logreg", "LogReg 10^4x32", LogisticRegression.class, "logreg",
                List.of(w, X, y, SAMPLES, FEATURES), Map.of("X", Activity.CONST, "y", Activity.CONST),
                new CSource("logreg.c", "logreg",
                        List.of(new Param(0), new Param(1), new Param(2), new Param(3), new Param(4))),
                "logreg", true, Integer.MAX_VALUE,
                Optional.of(new Workload.Hipparchus(HipparchusForms::logreg, false)));
    }

    private static Workload composite() {
        return new Workload("composite", "Transcendental loop 10^4", TranscendentalLoop.class, "composite",
                List.of(0.7, 1.3, 0.4, COMPOSITE_ITERATIONS), Map.of(),
                new CSource("composite.c", "composite",
                        List.of(new Param(0), new Param(1), new Param(2), new Param(3))),
                "composite", true, Integer.MAX_VALUE,
                Optional.of(new Workload.Hipparchus(HipparchusForms::composite, false)));
    }
}
