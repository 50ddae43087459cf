package jenzyme.runtime.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The order of stored states and segments, on a loop that only counts its iterations (state[0]): every segment the
 * backward pass visits starts where the forward pass was at that state, the segments cover the trip count exactly
 * once, last to first, and the adaptive length keeps at most its maximum of states.
 */
class SegmentsTest {

    /** A loop of {@code trips} iterations: a step runs min(segment, what is left) of them and flags the end. */
    private static Segments.Step counting(long trips, List<long[]> visited) {
        return (state, ints, segment) -> {
            long from = (long) state[0];
            long to = Math.min(trips, from + segment);
            if (visited != null) {
                visited.add(new long[] {from, to});
            }
            state[0] = to;
            ints[0] = to == trips ? 1 : 0;
        };
    }

    private static void coversEachIterationOnceBackwards(long trips, Segments segments, int maxStates)
            throws Throwable {
        double[] state = {0};
        long[] ints = {0};
        Segments.Run run = segments.forward(state, ints, 0, counting(trips, null));
        assertEquals(trips, (long) run.state()[0], "the forward pass ran the whole loop");
        assertTrue(run.states().size() <= maxStates, run.states().size() + " states");
        List<long[]> visited = new ArrayList<>();
        run.backward(counting(trips, visited));
        long expectedEnd = trips;
        for (long[] segment : visited) {
            assertEquals(expectedEnd, segment[1], "segments are visited last to first, each ending where the next began");
            expectedEnd = segment[0];
        }
        assertEquals(0, expectedEnd, "the first segment starts at iteration 0");
    }

    @Test
    void adaptiveSegmentsThinTheStatesAndCoverTheLoop() throws Throwable {
        // 16 states at most, segments from 64: 10^5 iterations force several thinnings (K up to 2^13).
        coversEachIterationOnceBackwards(100_000, new Segments(0, 16), 16);
        coversEachIterationOnceBackwards(1, new Segments(0, 16), 16);
        coversEachIterationOnceBackwards(64 * 16, new Segments(0, 16), 16);
    }

    @Test
    void fixedSegmentsStoreAStateEveryKIterations() throws Throwable {
        Segments every7 = new Segments(7);
        coversEachIterationOnceBackwards(1000, every7, 143);
        double[] state = {0};
        assertEquals(143, every7.forward(state, new long[] {0}, 0, counting(1000, null)).states().size());
    }
}
