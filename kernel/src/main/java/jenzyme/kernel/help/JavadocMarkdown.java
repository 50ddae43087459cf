package jenzyme.kernel.help;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Javadoc comment (HTML with inline {@code {@tag}}s and block tags, as javac and JShell hand it out) as Markdown,
 * which JupyterLab renders in the inspector and the pager: paragraphs, lists, code spans, {@code <pre>} examples as
 * Java code blocks, and the block tags as "Parameters", "Returns" and "Throws" lists. Tags a reader of a tooltip
 * does not need ({@code @since}, {@code @author}, {@code @implNote}...) are dropped.
 */
public final class JavadocMarkdown {

    private static final Pattern BLOCK_TAG = Pattern.compile("(?m)^[ \\t]*@(\\w+)\\b[ \\t]*");
    private static final Pattern PRE = Pattern.compile("(?is)<pre[^>]*>(.*?)</pre>");
    private static final Pattern TAG = Pattern.compile("(?is)<(/?)(\\w+)[^>]*>");
    private static final Pattern ANCHOR = Pattern.compile("(?is)<a\\s[^>]*>(.*?)</a>");
    private static final char CODE_BLOCK = '\u0000';

    private JavadocMarkdown() {
    }

    public static String toMarkdown(String javadoc) {
        if (javadoc == null || javadoc.isBlank()) {
            return "";
        }
        List<int[]> examples = PRE.matcher(javadoc).results().map(m -> new int[] {m.start(), m.end()}).toList();
        Matcher tag = BLOCK_TAG.matcher(javadoc);
        int descriptionEnd = nextBlockTag(tag, 0, examples);
        StringBuilder out = new StringBuilder(inline(javadoc.substring(0, descriptionEnd)));
        List<String> params = new ArrayList<>(), throwsList = new ArrayList<>(), notes = new ArrayList<>();
        String returns = null;
        int start = descriptionEnd;
        while (start < javadoc.length()) {
            nextBlockTag(tag, start, examples);
            String name = tag.group(1);
            int bodyStart = tag.end();
            int next = nextBlockTag(tag, bodyStart, examples);
            String body = javadoc.substring(bodyStart, next).strip();
            switch (name) {
                case "param" -> params.add(item(body));
                case "throws", "exception" -> throwsList.add(item(body));
                case "return" -> returns = inline(body);
                case "apiNote" -> notes.add(inline(body));
                case "see" -> notes.add("See also " + inline(body.startsWith("<") || body.startsWith("\"") ? body
                        : "{@link " + body + "}"));
                default -> { }  // since, author, version, implSpec, implNote, serial, hidden, spec, jls
            }
            start = next;
        }
        section(out, "Parameters", params);
        if (returns != null) {
            out.append("\n\n**Returns** ").append(returns);
        }
        section(out, "Throws", throwsList);
        notes.forEach(note -> out.append("\n\n").append(note));
        return out.toString().strip();
    }

    /** Where the next block tag at or after {@code from} starts (an {@code @Override} inside an example is none). */
    private static int nextBlockTag(Matcher tag, int from, List<int[]> examples) {
        int at = from;
        while (tag.find(at)) {
            int found = tag.start();
            if (examples.stream().noneMatch(e -> e[0] <= found && found < e[1])) {
                return found;
            }
            at = tag.end();
        }
        return tag.regionEnd();
    }

    /** Markdown as a terminal-style page: no emphasis marks, code blocks indented. */
    public static String toPlainText(String markdown) {
        StringBuilder out = new StringBuilder();
        boolean inCode = false;
        for (String line : markdown.split("\n", -1)) {
            if (line.startsWith("```")) {
                inCode = !inCode;
                continue;
            }
            out.append(inCode ? "    " + line : line.replace("**", "").replace("`", "")).append('\n');
        }
        return out.toString().strip();
    }

    private static void section(StringBuilder out, String title, List<String> items) {
        if (!items.isEmpty()) {
            out.append("\n\n**").append(title).append("**\n");
            items.forEach(i -> out.append("\n- ").append(i));
        }
    }

    /** "{@code name rest}" of a @param or @throws: the name as code, then its description. */
    private static String item(String body) {
        String[] parts = body.split("\\s+", 2);
        String name = parts[0].replaceAll("^<(\\w+)>$", "$1");  // type parameters: @param <T>
        return "`" + inline(name).replace("`", "") + "`" + (parts.length > 1 ? " — " + inline(parts[1]) : "");
    }

    /** HTML and inline tags of running text as Markdown; {@code <pre>} blocks keep their lines. */
    static String inline(String html) {
        List<String> blocks = new ArrayList<>();
        Matcher pre = PRE.matcher(html);
        StringBuilder text = new StringBuilder();
        while (pre.find()) {
            blocks.add(codeBlock(pre.group(1)));
            pre.appendReplacement(text, Matcher.quoteReplacement("\n\n" + CODE_BLOCK + (blocks.size() - 1)
                    + CODE_BLOCK + "\n\n"));
        }
        pre.appendTail(text);
        String flowing = inlineTags(text.toString()).replaceAll("[ \\t\\r\\n]+", " ");
        flowing = ANCHOR.matcher(flowing).replaceAll("$1");
        Matcher tag = TAG.matcher(flowing);
        StringBuilder md = new StringBuilder();
        while (tag.find()) {
            boolean closing = !tag.group(1).isEmpty();
            tag.appendReplacement(md, Matcher.quoteReplacement(switch (tag.group(2).toLowerCase()) {
                case "p", "div", "blockquote", "table", "dl" -> "\n\n";
                case "br", "tr" -> "\n";
                case "ul", "ol" -> closing ? "\n\n" : "\n";
                case "li" -> closing ? "" : "\n- ";
                case "dt" -> closing ? "" : "\n- ";
                case "dd" -> closing ? "" : ": ";
                case "code", "tt", "samp", "kbd" -> "`";
                case "b", "strong" -> "**";
                case "i", "em", "var", "cite", "dfn" -> "*";
                case "h1", "h2", "h3", "h4", "h5", "h6" -> closing ? "\n\n" : "\n\n#### ";
                case "td", "th" -> closing ? "" : " | ";
                default -> "";
            }));
        }
        tag.appendTail(md);
        String result = entities(md.toString()).replaceAll(" *\n *", "\n").replaceAll("\n{3,}", "\n\n")
                .replaceAll("\n- \n", "\n").strip();
        for (int i = 0; i < blocks.size(); i++) {
            result = result.replace(CODE_BLOCK + String.valueOf(i) + CODE_BLOCK, blocks.get(i));
        }
        return result;
    }

    /** {@code {@code x}}, {@code {@link A#b label}}... with nested braces, e.g. {@code {@code new double[] {1}}}. */
    private static String inlineTags(String text) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            int open = text.indexOf("{@", i);
            if (open < 0) {
                out.append(text, i, text.length());
                break;
            }
            out.append(text, i, open);
            int depth = 0, end = open;
            for (; end < text.length(); end++) {
                char c = text.charAt(end);
                if (c == '{') depth++;
                if (c == '}' && --depth == 0) break;
            }
            String inner = text.substring(open + 2, Math.min(end, text.length()));
            String[] parts = inner.split("\\s+", 2);
            String arg = parts.length > 1 ? parts[1].strip() : "";
            out.append(switch (parts[0]) {
                case "code" -> "`" + arg + "`";
                case "literal", "index", "summary" -> arg;
                case "link", "linkplain" -> {
                    String[] target = arg.split("\\s+", 2);
                    yield target.length > 1 ? "`" + target[1] + "`" : "`" + reference(target[0]) + "`";
                }
                case "value" -> arg.isEmpty() ? "" : "`" + reference(arg) + "`";
                default -> "";  // inheritDoc, docRoot, return (inline) ...
            });
            i = end + 1;
        }
        return out.toString();
    }

    private static String reference(String target) {
        String shown = target.startsWith("#") ? target.substring(1) : target.replace('#', '.');
        return shown.replaceAll("\\([^)]*\\)", "()");
    }

    private static String codeBlock(String body) {
        String code = body.strip();
        if (code.startsWith("{@code") && code.endsWith("}")) {
            code = code.substring("{@code".length(), code.length() - 1);
        }
        List<String> lines = new ArrayList<>(List.of(entities(code).split("\n", -1)));
        while (!lines.isEmpty() && lines.getFirst().isBlank()) lines.removeFirst();
        while (!lines.isEmpty() && lines.getLast().isBlank()) lines.removeLast();
        int indent = lines.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        return "```java\n" + String.join("\n", lines.stream().map(l -> l.length() >= indent ? l.substring(indent)
                : l.strip()).toList()) + "\n```";
    }

    private static String entities(String text) {
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
                .replace("&#64;", "@").replace("&nbsp;", " ").replace("&amp;", "&");
    }
}
