package jenzyme.runtime;

import static jenzyme.runtime.testing.CentralDifferences.along;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.HessianVectorFixtures;
import jenzyme.runtime.testing.SettledAllocation;
import org.junit.jupiter.api.Test;

/**
 * A Hessian-vector product allocates nothing per call once the JIT has compiled it, as the other derivative
 * bindings: its arrays pass as the thread's cached heap segments ({@code bind.ArraySegments}) and its inner
 * gradient's shadows and slots are the thread's scratch ({@code bind.ThreadScratch}). Before, each call collected
 * its arguments into an {@code Object[]}, boxed its scalars and made its scratch, status block and segments. Two
 * products ({@link HessianVectorFixtures}), each alone and then in turn: Rosenbrock in 40 parameters, and a method
 * with an array, an Active scalar (its part of H·v in {@code out}) and Const data. Like {@link JacobianAllocationTest} it runs in a JVM of its own
 * with C2's escape analysis off (enzyme-runtime's pom), so nothing relies on the JIT removing an allocation. After
 * the measured calls, H·v is held to central differences of the reverse gradient along v.
 */
class HessianVectorAllocationTest {

    private static final double STEP = 1e-5;

    @Test
    void hessianVectorProductsAllocateNothingAndMatchDifferencesOfTheGradient() throws Throwable {
        CompiledClasses classes = HessianVectorFixtures.compile();
        JavaMethod rosenbrock = new JavaMethod(classes, HessianVectorFixtures.CLASS, "rosenbrock", "([D)D");
        JavaMethod scaled = new JavaMethod(classes, HessianVectorFixtures.CLASS, "scaled", "([DD[D)D");
        Map<String, Activity> data = Map.of("d", Activity.CONST);
        Random random = new Random(5);
        int n = 40; // 320 bytes an array: calls with less than 256 bytes of arrays always copy, which allocates
        try (Pipeline pipeline = Pipeline.create();
             Derivative rosenbrockHvp = pipeline.hvp(rosenbrock);
             Derivative scaledHvp = pipeline.hvp(scaled, data);
             Derivative rosenbrockGradient = pipeline.differentiate(rosenbrock, Mode.REVERSE, Map.of(),
                     DifferentiationOptions.DEFAULT);
             Derivative scaledGradient = pipeline.differentiate(scaled, Mode.REVERSE, data,
                     DifferentiationOptions.DEFAULT)) {
            double[] p = random.doubles(n, -2, 2).toArray(), v = random.doubles(n, -1, 1).toArray();
            double[] hv = new double[n], none = new double[0];
            MethodHandle first = rosenbrockHvp.handle(); // (p, v, hv, out)
            SettledAllocation.Call rosenbrockCall = () -> { first.invokeExact(p, v, hv, none); };
            double[] w = random.doubles(n, -1, 1).toArray(), vw = random.doubles(n, -1, 1).toArray();
            double[] d = random.doubles(n, 0, 2).toArray(), hw = new double[n], out = new double[1];
            double c = 0.7, vc = -0.4;
            MethodHandle second = scaledHvp.handle(); // (w, vw, hw, c, vc, d, out)
            SettledAllocation.Call scaledCall = () -> { second.invokeExact(w, vw, hw, c, vc, d, out); };
            List<SettledAllocation.Call> calls = List.of(rosenbrockCall, scaledCall);
            for (int count = 1; count <= calls.size(); count++) {
                assertEquals(0, SettledAllocation.bytesPerRound(List.of(calls.get(count - 1))),
                        "product " + count + " alone: bytes per call");
                assertEquals(0, SettledAllocation.bytesPerRound(calls.subList(0, count)),
                        count + " products in turn: bytes per round");
            }

            // Rosenbrock's H·v against differences of its gradient along v
            MethodHandle g = rosenbrockGradient.handle(); // (p, dp, out)
            double[] up = new double[n], down = new double[n];
            g.invokeExact(along(p, v, STEP), up, new double[1]);
            g.invokeExact(along(p, v, -STEP), down, new double[1]);
            for (int i = 0; i < n; i++) {
                double fd = (up[i] - down[i]) / (2 * STEP);
                assertEquals(fd, hv[i], 1e-6 * (1 + Math.abs(fd)), "Rosenbrock (H v)_" + i);
            }

            // scaled: H·v in w and in c (c's part in out[0]) against differences of the gradient along (vw, vc)
            MethodHandle gs = scaledGradient.handle(); // (w, dw, c, d, out): out holds the value and d/dc
            int slots = scaledGradient.convention().slots().size(), dc = scaledGradient.convention().adjointSlot(1);
            double[] dwUp = new double[n], dwDown = new double[n], outUp = new double[slots], outDown = new double[slots];
            gs.invokeExact(along(w, vw, STEP), dwUp, c + STEP * vc, d, outUp);
            gs.invokeExact(along(w, vw, -STEP), dwDown, c - STEP * vc, d, outDown);
            for (int i = 0; i < n; i++) {
                double fd = (dwUp[i] - dwDown[i]) / (2 * STEP);
                assertEquals(fd, hw[i], 1e-6 * (1 + Math.abs(fd)), "scaled (H v)_w" + i);
            }
            double fdC = (outUp[dc] - outDown[dc]) / (2 * STEP);
            assertEquals(fdC, out[0], 1e-6 * (1 + Math.abs(fdC)), "scaled (H v)_c");
        }
    }
}
