package jenzyme.magics.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import org.junit.jupiter.api.Test;

/**
 * The kernel's warm-up drops its failures (the first cell reports them), so this checks that it really compiles
 * its method, and that the gradient it warms is the analytic one.
 */
class PipelineWarmUpTest {

    @Test
    void theWarmUpCompilesItsMethodAndItsGradientIsTheAnalyticOne() throws Throwable {
        try (Pipeline pipeline = Pipeline.create()) {
            PipelineWarmUp warmUp = PipelineWarmUp.start(pipeline);
            warmUp.await(() -> false);
            assertTrue(warmUp.compiled());
            try (Derivative loss = pipeline.differentiate(PipelineWarmUp.method(), Mode.REVERSE,
                    Map.of("data", Activity.CONST), DifferentiationOptions.DEFAULT)) {
                double[] p = {0.7, -1.3}, dp = new double[2], data = {0.5, 2, -3}, out = new double[1];
                loss.handle().invokeExact(p, dp, data, 3, out);
                double value = 0, d0 = 0, d1 = 0;
                for (double x : data) {
                    value += Math.cos(p[0] * x) * p[1];
                    d0 += -Math.sin(p[0] * x) * x * p[1];
                    d1 += Math.cos(p[0] * x);
                }
                assertEquals(value, out[0], 1e-15);
                assertEquals(d0, dp[0], 1e-14);
                assertEquals(d1, dp[1], 1e-14);
            }
        }
    }
}
