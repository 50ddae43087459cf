package jenzyme.runtime.testing;

import java.util.LinkedHashMap;
import java.util.Map;
import jenzyme.runtime.ad.JacobianOptions;
import jenzyme.runtime.ad.Mode;

/** The Jacobian modes a test compares, by name, so that every such test checks the same set. */
public final class JacobianModes {
    private JacobianModes() {}

    /** Forward in sweeps of 1, 3 and 8 lanes, reverse, and both compiled (each call picks). */
    public static Map<String, JacobianOptions> all() {
        Map<String, JacobianOptions> modes = new LinkedHashMap<>();
        modes.put("forward x1", JacobianOptions.DEFAULT.withMode(Mode.FORWARD).withWidth(1));
        modes.put("forward x3", JacobianOptions.DEFAULT.withMode(Mode.FORWARD).withWidth(3));
        modes.put("forward x8", JacobianOptions.DEFAULT.withMode(Mode.FORWARD));
        modes.put("reverse", JacobianOptions.DEFAULT.withMode(Mode.REVERSE));
        modes.put("both", JacobianOptions.DEFAULT);
        return modes;
    }
}
