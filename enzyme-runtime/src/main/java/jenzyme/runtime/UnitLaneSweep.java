package jenzyme.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.bind.LaneTable;

/**
 * A dense sweep of a {@link Jacobian} in Enzyme's vector mode, forward (columns) or reverse (rows): the handle as
 * {@code Jacobian.sweep} shapes it, the lane tables and scratch of the calling thread.
 */
final class UnitLaneSweep {

    private UnitLaneSweep() {}

    /**
     * One sweep of {@code handle} in Enzyme's vector mode of {@code width} lanes, the seeded side's lane l (x's
     * tangents forward, y's cotangents in reverse) the unit vector of entry {@code first + l} for l below
     * {@code lanes}; returns the other side's lanes, lane l's entry i at {@code l * length + i}. Both tables are
     * zeroed first: forward, f may write x (its lanes then hold tangents) or leave y entries unwritten (their lanes
     * would keep the last sweep's tangents); in reverse, adjoints accumulate and an output f does not write leaves
     * its cotangent unconsumed.
     */
    static double[] run(MethodHandle handle, Mode mode, int width, int first, int lanes, double[] x, double[] y,
                        double[] out, Object[] rest, JacobianScratch s) throws Throwable {
        LaneTable xLanes = s.xLanes(width);
        LaneTable yLanes = s.yLanes(width);
        MemorySegment dx = xLanes.ensure(x.length);
        MemorySegment dy = yLanes.ensure(y.length);
        xLanes.clear();
        yLanes.clear();
        LaneTable seeded = mode == Mode.FORWARD ? xLanes : yLanes;
        for (int lane = 0; lane < lanes; lane++) {
            seeded.set(lane, first + lane, 1);
        }
        s.arguments.beforeSweep();
        handle.invokeExact((Object) x, (Object) dx, (Object) y, (Object) dy, out, rest);
        // One bulk copy out of native memory: 400 single reads of the native lanes cost about 2.5x this (measured
        // on the 20x20 bench row, load 14: 780 ns of 5.1 us).
        LaneTable result = mode == Mode.FORWARD ? yLanes : xLanes;
        double[] values = s.lanes(width * (mode == Mode.FORWARD ? y.length : x.length));
        result.copyAllOut(values);
        return values;
    }
}
