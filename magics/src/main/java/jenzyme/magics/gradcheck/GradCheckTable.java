package jenzyme.magics.gradcheck;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Gradient-check stage: renders a {@link GradCheckResult} as an HTML table (for notebooks) or aligned text. Large
 * checks are abridged to {@value #MAX_ROWS} rows — every failure first, then the largest errors — since a 10 000
 * component gradient as 10 000 rows helps nobody; the result object keeps them all.
 */
final class GradCheckTable {

    static final int MAX_ROWS = 40;
    private static final int MAX_POINTS_LISTED = 10;
    private static final String[] HEADER = {"point", "component", "AD", "FD", "abs err", "rel err", "FD err est.", "pass/fail"};

    private GradCheckTable() {
    }

    static String html(GradCheckResult result) {
        StringBuilder out = new StringBuilder();
        String colour = result.passed() ? "#1a7f37" : "#cf222e";
        out.append("<div class=\"jenzyme-gradcheck\">\n");
        out.append("<p style=\"font-weight:bold;color:").append(colour).append("\">")
                .append(result.passed() ? "✔ " : "✘ ").append(escape(result.summary())).append("</p>\n");
        out.append("<table style=\"font-family:monospace;text-align:right\">\n<thead><tr>");
        for (String h : HEADER) {
            out.append("<th>").append(h).append("</th>");
        }
        out.append("</tr></thead>\n<tbody>\n");
        for (ComponentCheck c : rows(result)) {
            out.append("<tr>");
            for (String cell : cells(c)) {
                out.append("<td>").append(cell).append("</td>");
            }
            out.append("<td style=\"font-weight:bold;color:").append(c.passed() ? "#1a7f37" : "#cf222e").append("\">")
                    .append(c.passed() ? "pass" : "FAIL").append("</td></tr>\n");
        }
        out.append("</tbody>\n</table>\n");
        String note = abridgedNote(result);
        if (!note.isEmpty()) {
            out.append("<p><i>").append(escape(note)).append("</i></p>\n");
        }
        out.append("<p style=\"font-family:monospace\">");
        List<String> points = pointLines(result);
        out.append(String.join("<br/>\n", points.stream().map(GradCheckTable::escape).toList()));
        out.append("</p>\n</div>\n");
        return out.toString();
    }

    static String text(GradCheckResult result) {
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (ComponentCheck c : rows(result)) {
            String[] cells = Arrays.copyOf(cells(c), HEADER.length);
            cells[HEADER.length - 1] = c.passed() ? "pass" : "FAIL";
            rows.add(cells);
        }
        int[] widths = new int[HEADER.length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        StringBuilder out = new StringBuilder(result.summary()).append('\n');
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                out.append(i == 0 ? "" : "  ").append(" ".repeat(widths[i] - row[i].length())).append(row[i]);
            }
            out.append('\n');
        }
        String note = abridgedNote(result);
        if (!note.isEmpty()) {
            out.append(note).append('\n');
        }
        pointLines(result).forEach(line -> out.append(line).append('\n'));
        return out.toString();
    }

    private static String[] cells(ComponentCheck c) {
        return new String[] {Integer.toString(c.point()), Integer.toString(c.component()), number(c.ad()),
                number(c.fd()), error(c.absError()), error(c.relError()), error(c.fdError())};
    }

    /** All components if few; else every failure, then the largest relative errors, shown in point order. */
    private static List<ComponentCheck> rows(GradCheckResult result) {
        List<ComponentCheck> all = result.components();
        if (all.size() <= MAX_ROWS) {
            return all;
        }
        Comparator<ComponentCheck> worstFirst = Comparator
                .comparing((ComponentCheck c) -> c.passed())
                .thenComparing(c -> Double.isNaN(c.relError()) ? Double.POSITIVE_INFINITY : c.relError(),
                        Comparator.reverseOrder());
        return all.stream().sorted(worstFirst).limit(MAX_ROWS)
                .sorted(Comparator.comparingInt(ComponentCheck::point).thenComparingInt(ComponentCheck::component))
                .toList();
    }

    private static String abridgedNote(GradCheckResult result) {
        int total = result.components().size();
        return total <= MAX_ROWS ? "" : "showing " + MAX_ROWS + " of " + total
                + " components: failures first, then the largest relative errors";
    }

    private static List<String> pointLines(GradCheckResult result) {
        List<String> lines = new ArrayList<>();
        for (PointCheck p : result.points().subList(0, Math.min(MAX_POINTS_LISTED, result.points().size()))) {
            lines.add("point " + p.index() + ": x = " + vector(p.x()) + ", f(x) = " + number(p.value()));
        }
        if (result.points().size() > MAX_POINTS_LISTED) {
            lines.add("... and " + (result.points().size() - MAX_POINTS_LISTED) + " more points");
        }
        return lines;
    }

    /** A point for messages: all coordinates if few, else the first eight. */
    static String vector(double[] x) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < Math.min(x.length, 8); i++) {
            parts.add(number(x[i]));
        }
        if (x.length > 8) {
            parts.add("... (" + x.length + " coordinates)");
        }
        return "[" + String.join(", ", parts) + "]";
    }

    /** A value to 12 significant digits, trailing zeros dropped: enough to see where AD and FD part. */
    static String number(double v) {
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        if (v == 0) {
            return "0";
        }
        BigDecimal rounded = new BigDecimal(v).round(new MathContext(12)).stripTrailingZeros();
        double a = Math.abs(v);
        if (a >= 1e-4 && a < 1e9) {
            return rounded.toPlainString();
        }
        int exponent = rounded.precision() - rounded.scale() - 1;
        return rounded.movePointLeft(exponent).toPlainString() + "e" + exponent;
    }

    /** An error magnitude: two significant digits are all that matter. */
    static String error(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.1e", v) : Double.toString(v);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
