package jenzyme.magics.binding;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;

/**
 * The cell output of a compiling magic: what was bound (exact signatures), with which activities, and how long it
 * took (each phase with {@code --verbose}); as HTML for notebooks and as text for consoles. Optional IR dumps follow in collapsed blocks.
 */
public record CompileSummary(String title, List<String> signatures, List<String> activities, Map<String, Duration> timings,
                      Map<String, String> dumps) {

    /** The same summary with one more phase at the end. */
    public CompileSummary withPhase(String phase, Duration time) {
        Map<String, Duration> more = new java.util.LinkedHashMap<>(timings);
        more.put(phase, time);
        return new CompileSummary(title, signatures, activities, more, dumps);
    }

    public DisplayData toDisplayData(boolean verbose) {
        DisplayData data = new DisplayData(text(verbose));
        data.putHTML(html(verbose));
        return data;
    }

    String text(boolean verbose) {
        StringBuilder text = new StringBuilder(title).append('\n');
        signatures.forEach(s -> text.append("  ").append(s).append('\n'));
        if (!activities.isEmpty()) {
            text.append("activities: ").append(String.join(", ", activities)).append('\n');
        }
        text.append("time: ").append(timingText(verbose)).append('\n');
        dumps.forEach((name, ir) -> text.append("--- ").append(name).append(" ---\n").append(ir).append('\n'));
        return text.toString();
    }

    private String html(boolean verbose) {
        StringBuilder html = new StringBuilder("<div class=\"jenzyme-summary\"><b>").append(escape(title))
                .append("</b><ul>");
        signatures.forEach(s -> html.append("<li><code>").append(escape(s)).append("</code></li>"));
        html.append("</ul>");
        if (!activities.isEmpty()) {
            html.append("<div>activities: <code>").append(escape(String.join(", ", activities)))
                    .append("</code></div>");
        }
        html.append("<div>time: ").append(escape(timingText(verbose))).append("</div>");
        dumps.forEach((name, ir) -> html.append("<details><summary>").append(escape(name))
                .append("</summary><pre>").append(escape(ir)).append("</pre></details>"));
        return html.append("</div>").toString();
    }

    private String timingText(boolean verbose) {
        Duration total = timings.values().stream().reduce(Duration.ZERO, Duration::plus);
        if (!verbose) {
            return millis(total);
        }
        StringBuilder text = new StringBuilder(millis(total)).append(" (");
        timings.forEach((phase, time) -> text.append(phase).append(' ').append(millis(time)).append(", "));
        text.setLength(text.length() - 2);
        return text.append(')').toString();
    }

    private static String millis(Duration duration) {
        return String.format("%.1f ms", duration.toNanos() / 1e6);
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
