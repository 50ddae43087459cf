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
    private Object[] rest = new Object[0];

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

    /** The arguments other than x and y (at {@code output} -1: the hidden result array), in order. */
    Object[] rest(Object[] arguments, int input, int output) {
        int count = arguments.length - (output < 0 ? 1 : 2);
        if (rest.length != count) {
            rest = new Object[count];
        }
        int k = 0;
        for (int a = 0; a < arguments.length; a++) {
            if (a != input && a != output) {
                rest[k++] = arguments[a];
            }
        }
        return rest;
    }
}
