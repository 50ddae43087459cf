package jenzyme.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The gates of {@code ./bench --check} as a JUnit XML report (one test case per workload), so that {@code ./test}
 * counts them in its closing line like every other suite.
 */
final class JunitReport {

    private JunitReport() {
    }

    static void write(List<Gates.Verdict> verdicts, Path file) throws IOException {
        long failed = verdicts.stream().filter(v -> !v.passed()).count();
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        xml.append(String.format("<testsuite name=\"bench --check\" tests=\"%d\" failures=\"%d\" errors=\"0\" "
                + "skipped=\"0\">%n", verdicts.size(), failed));
        for (Gates.Verdict verdict : verdicts) {
            xml.append("  <testcase classname=\"bench.check\" name=\"").append(escape(verdict.workload()))
                    .append("\">");
            if (!verdict.passed()) {
                xml.append("<failure message=\"").append(escape(String.join("; ", verdict.failures())))
                        .append("\"/>");
            }
            xml.append("<system-out>").append(escape(verdict.measured())).append("</system-out></testcase>\n");
        }
        xml.append("</testsuite>\n");
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, xml);
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
