package jenzyme.runtime;

import java.util.HashMap;
import java.util.Map;
import jenzyme.runtime.bind.LaneTable;

/** One thread's buffers for {@link Jacobian#into}, grown on demand and reused, so that a call allocates nothing. */
final class JacobianScratch {
    /** The lane tables of x and y for each width used, and the latest ones. */
    private final Map<Integer, LaneTable[]> laneTables = new HashMap<>();
    private LaneTable[] latest = {new LaneTable(0), new LaneTable(0)};
    private double[] out = new double[0];
    private double[] dx = new double[0];
    private double[] dy = new double[0];
    private double[] result = new double[0];
    private double[] lanes = new double[0];
    /** The handle's other arguments and the state each sweep starts from. */
    final JacobianSweepArguments arguments;

    JacobianScratch(JacobianSweepArguments.Layout layout) {
        this.arguments = new JacobianSweepArguments(layout);
    }

    LaneTable xLanes(int width) {
        return tables(width)[0];
    }

    LaneTable yLanes(int width) {
        return tables(width)[1];
    }

    private LaneTable[] tables(int width) {
        if (latest[0].width() != width) {
            latest = laneTables.computeIfAbsent(width, w -> new LaneTable[] {new LaneTable(w), new LaneTable(w)});
        }
        return latest;
    }

    double[] out(int slots) {
        return out.length == slots ? out : (out = new double[slots]);
    }

    double[] dx(int n) {
        return dx.length == n ? dx : (dx = new double[n]);
    }

    double[] dy(int m) {
        return dy.length == m ? dy : (dy = new double[m]);
    }

    double[] lanes(int size) {
        return lanes.length == size ? lanes : (lanes = new double[size]);
    }

    double[] result(int m) {
        return result.length == m ? result : (result = new double[m]);
    }
}
