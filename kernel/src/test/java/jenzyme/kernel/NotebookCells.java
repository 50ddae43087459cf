package jenzyme.kernel;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;

/** Cells run in an in-process kernel and read back as the notebook shows them: for the magics' JUnit tests. */
final class NotebookCells {

    private final JEnzymeKernel kernel;

    NotebookCells(JEnzymeKernel kernel) {
        this.kernel = kernel;
    }

    /** The text the notebook shows as {@code cell}'s value. */
    String text(String cell) throws Exception {
        return String.valueOf(kernel.runCell(cell).value().orElseThrow().getData(MIMEType.TEXT_PLAIN));
    }

    /** The values of the comma-separated double expressions, evaluated in the notebook. */
    double[] numbers(String expressions) throws Exception {
        return parse(text("java.util.Arrays.toString(new double[] {" + expressions + "})"));
    }

    /** The rows of a double[][] expression, evaluated in the notebook. */
    double[][] matrix(String expression) throws Exception {
        String shown = text("java.util.Arrays.deepToString(" + expression + ")");
        String inner = shown.substring(shown.indexOf("[[") + 2, shown.lastIndexOf("]]"));
        return Arrays.stream(inner.split("\\],\\s*\\[")).map(NotebookCells::parse).toArray(double[][]::new);
    }

    /** How the notebook shows the error of {@code cell} (a magic's or the Java code's), which must fail. */
    String refusal(String cell) {
        Exception failure = assertThrows(Exception.class, () -> kernel.runCell(cell));
        ErrorReport report = kernel.report(failure);
        return report.value() + "\n" + String.join("\n", report.traceback());
    }

    /** The numbers of {@code [1.0, -2.5E-3]} (the brackets and a String value's quotes left out). */
    private static double[] parse(String list) {
        return Arrays.stream(list.replaceAll("[^0-9eE+\\-.,]", "").split(",")).mapToDouble(Double::parseDouble)
                .toArray();
    }
}
