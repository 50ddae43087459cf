package jenzyme.kernel;

import java.util.List;

/** A failed cell as Jupyter shows it: error name, value and traceback lines ({@link ErrorRenderer} builds it). */
record ErrorReport(String name, String value, List<String> traceback) {
}
