package jenzyme.magics.gradcheck;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GradCheckTableTest {

    private static final Function<double[], double[]> BUGGY_ROSENBROCK = x -> {
        double[] g = GradCheckTest.ROSENBROCK_GRADIENT.apply(x);
        g[1] *= 2;
        return g;
    };

    @Test
    void htmlTableHasOneRowPerComponentWithTheNumbersAndVerdicts() throws Exception {
        GradCheckResult result = GradCheck.of(GradCheckTest.ROSENBROCK, BUGGY_ROSENBROCK).at(new double[] {-1.2, 1}).run();
        Document html = parse(result.toHtml());
        List<String> header = texts(html.getElementsByTagName("th"));
        assertEquals(List.of("point", "component", "AD", "FD", "abs err", "rel err", "FD err est.", "pass/fail"), header);
        NodeList rows = html.getElementsByTagName("tbody").item(0).getChildNodes();
        List<List<String>> cells = new ArrayList<>();
        for (int r = 0; r < rows.getLength(); r++) {
            if (rows.item(r) instanceof Element row) {
                cells.add(texts(row.getElementsByTagName("td")));
            }
        }
        assertEquals(2, cells.size());
        assertEquals(List.of("0", "0"), cells.get(0).subList(0, 2));
        assertEquals("-215.6", cells.get(0).get(2));
        assertEquals(-215.6, Double.parseDouble(cells.get(0).get(3)), 1e-6);
        assertEquals("pass", cells.get(0).get(7));
        assertEquals("-176", cells.get(1).get(2), "AD of the doubled component: 2 × -88");
        assertEquals(-88, Double.parseDouble(cells.get(1).get(3)), 1e-6);
        assertEquals(88, Double.parseDouble(cells.get(1).get(4)), 1e-6);
        assertEquals(0.5, Double.parseDouble(cells.get(1).get(5)), 1e-6);
        assertEquals("FAIL", cells.get(1).get(7));
        String summary = html.getElementsByTagName("p").item(0).getTextContent();
        assertTrue(summary.startsWith("✘ gradcheck FAILED: 1 of 2 components; worst: point 0, component 1: AD -176 vs FD -88"),
                summary);
        assertTrue(result.toHtml().contains("point 0: x = [-1.2, 1], f(x) = 24.2"));
    }

    @Test
    void plainTextStartsWithTheSummaryAndAlignsTheColumns() {
        GradCheckResult result = GradCheck.of(GradCheckTest.ROSENBROCK, GradCheckTest.ROSENBROCK_GRADIENT)
                .at(new double[] {-1.2, 1}).run();
        String[] lines = result.toString().split("\n");
        assertEquals(result.summary(), lines[0]);
        assertTrue(lines[0].startsWith("gradcheck passed: 1 point × 2 components, max rel err "), lines[0]);
        assertEquals(lines[1].length(), lines[2].length(), "aligned columns");
        assertTrue(lines[2].trim().startsWith("0          0  -215.6"), lines[2]);
        assertTrue(lines[2].endsWith("pass"));
        Map<String, Object> bundle = result.mimeBundle();
        assertEquals(List.of("text/html", "text/plain"), List.copyOf(bundle.keySet()));
        assertEquals(result.toString(), bundle.get("text/plain"));
    }

    @Test
    void largeChecksShowEveryFailureAndTheLargestErrorsOnly() throws Exception {
        int n = 200;
        Function<double[], double[]> oneWrong = x -> {
            double[] g = GradCheckTest.ROSENBROCK_GRADIENT.apply(x);
            g[137] += 1;
            return g;
        };
        GradCheckResult result = GradCheck.of(GradCheckTest.ROSENBROCK, oneWrong).randomPoints(1, n, -1, 1).run();
        assertEquals(n, result.components().size());
        Document html = parse(result.toHtml());
        assertEquals(GradCheckTable.MAX_ROWS, html.getElementsByTagName("tbody").item(0).getChildNodes().getLength()
                - countText(html.getElementsByTagName("tbody").item(0).getChildNodes()));
        assertTrue(result.toHtml().contains("<td>137</td>"), "the failing component is listed");
        assertTrue(result.toHtml().contains("showing 40 of 200 components"));
        assertTrue(result.toString().contains("x = [") && result.toString().contains("... (200 coordinates)]"));
    }

    @Test
    void numbersKeepTwelveDigitsAndErrorsTwo() {
        assertEquals("-215.6", GradCheckTable.number(-215.60000000000002));
        assertEquals("1.23456789012e-7", GradCheckTable.number(1.234567890123456e-7));
        assertEquals("0", GradCheckTable.number(0));
        assertEquals("NaN", GradCheckTable.number(Double.NaN));
        assertEquals("3.1e-11", GradCheckTable.error(3.14e-11));
    }

    private static int countText(NodeList nodes) {
        int n = 0;
        for (int i = 0; i < nodes.getLength(); i++) {
            if (!(nodes.item(i) instanceof Element)) {
                n++;
            }
        }
        return n;
    }

    private static List<String> texts(NodeList nodes) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            out.add(nodes.item(i).getTextContent());
        }
        return out;
    }

    private static Document parse(String html) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new InputSource(new StringReader(html)));
    }
}
