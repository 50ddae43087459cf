package jenzyme.runtime;

import static jenzyme.runtime.testing.ScratchFixtures.WORK_CONST;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.JacobianOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.bind.LaneTable;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.ScratchFixtures;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * A Const work buffer written and read back (scratch, lower/ScratchArrays) keeps its path in the other modes: H·v,
 * batched forward lanes and Jacobians, each against its analytic formula (ScratchArraysTest: the analysis, reverse
 * and forward mode).
 */
class ScratchArraysModesTest {

    private static final CompiledClasses classes = ScratchFixtures.compile();
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    /** H·v with the buffer Const: sum x^3 has H = diag(6x), sum x sin x has H = diag(2 cos x - x sin x). */
    @Test
    void hessianVectorProductsKeepThePathThroughTheBuffer() throws Throwable {
        try (Derivative cubes = pipeline.hvp(ScratchFixtures.method(classes, "cubes", "([D[D)D"), WORK_CONST);
             Derivative callees = pipeline.hvp(ScratchFixtures.method(classes, "viaCallees", "([D[D)D"), WORK_CONST)) {
            Random random = new Random(13);
            for (int trial = 0; trial < 8; trial++) {
                int n = 1 + trial;
                double[] x = random.doubles(n, -2, 2).toArray(), v = random.doubles(n, -1, 1).toArray();
                double[] hv = new double[n], out = new double[1];
                cubes.handle().invoke(x, v, hv, new double[n], out);
                double[] hvCallees = new double[n];
                callees.handle().invoke(x, v, hvCallees, new double[n], out);
                for (int k = 0; k < n; k++) {
                    assertEquals(6 * x[k] * v[k], hv[k], 1e-12 * (1 + Math.abs(hv[k])), "cubes (H v)_" + k);
                    double second = 2 * Math.cos(x[k]) - x[k] * Math.sin(x[k]);
                    assertEquals(second * v[k], hvCallees[k], 1e-12, "viaCallees (H v)_" + k);
                }
            }
        }
    }

    /** Two lanes at once (--width 2) equal two directional derivatives 3 x^2 · v. */
    @Test
    void batchedForwardModeKeepsThePathInEveryLane() throws Throwable {
        try (Derivative lanes = pipeline.differentiate(ScratchFixtures.method(classes, "cubes", "([D[D)D"), Mode.FORWARD,
                WORK_CONST, DifferentiationOptions.DEFAULT, 2)) {
            Random random = new Random(17);
            LaneTable tangents = new LaneTable(2);
            for (int n : new int[] {1, 4, 9}) {
                double[] x = random.doubles(n, -2, 2).toArray();
                MemorySegment table = tangents.ensure(n);
                double[][] v = {random.doubles(n, -1, 1).toArray(), random.doubles(n, -1, 1).toArray()};
                tangents.copyIn(0, v[0]);
                tangents.copyIn(1, v[1]);
                double[] out = new double[lanes.convention().slots().size()];
                lanes.handle().invoke(x, table, new double[n], out);
                for (int lane = 0; lane < 2; lane++) {
                    double expected = 0;
                    for (int k = 0; k < n; k++) {
                        expected += 3 * x[k] * x[k] * v[lane][k];
                    }
                    assertEquals(expected, out[lanes.convention().returnTangentSlot(lane)],
                            1e-12 * (1 + Math.abs(expected)), "lane " + lane + " n=" + n);
                }
            }
        }
    }

    /** The Jacobian of y = x^2 + 0.5 (shifted x)^2 through a Const buffer, forward and reverse, against the formula. */
    @Test
    void jacobiansKeepThePathThroughTheBuffer() throws Throwable {
        for (Mode mode : Mode.values()) {
            try (Jacobian jacobian = pipeline.jacobian(ScratchFixtures.method(classes, "smooth", "([D[D[D)V"),
                    JacobianOptions.DEFAULT.withWrt("x").withOut("y").withMode(mode).withDense(true))) {
                int n = 5;
                double[] x = new Random(19).doubles(n, -2, 2).toArray();
                double[][] j = new double[n][n];
                jacobian.into(j, x, new double[n], new double[n]);
                for (int i = 0; i < n; i++) {
                    for (int k = 0; k < n; k++) {
                        double expected = (k == i ? 2 * x[i] : 0) + (k == (i + 1) % n ? x[k] : 0);
                        assertEquals(expected, j[i][k], 1e-14, mode + " dy" + i + "/dx" + k);
                    }
                }
            }
        }
    }
}
