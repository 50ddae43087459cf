package jenzyme.kernel.cell;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * First step of running a cell: splits it into Java code and magic calls. A cell whose first line starts with
 * {@code %%name} is a cell magic with the rest as its body; otherwise every line that starts with {@code %name}
 * (after optional blanks) is a line magic, run in order between the Java around it. A Java line never starts with
 * {@code %} followed by a letter, except a continued modulo expression, which must then keep a space after the
 * {@code %}.
 */
public final class CellParser {

    private static final Pattern CELL_MAGIC = Pattern.compile("\\A\\s*%%([A-Za-z_][\\w-]*)(.*)");
    private static final Pattern LINE_MAGIC = Pattern.compile("^\\s*%([A-Za-z_][\\w-]*)(.*)$");

    private CellParser() {
    }

    /** Whether {@code line} (one line of a cell, not its first line of a cell magic) is a line magic. */
    public static boolean isLineMagic(String line) {
        return LINE_MAGIC.matcher(line).matches();
    }

    public static List<CellPart> parse(String cell) {
        Matcher cellMagic = CELL_MAGIC.matcher(cell);
        if (cellMagic.lookingAt()) {
            int bodyStart = cellMagic.end() < cell.length() ? cellMagic.end() + 1 : cell.length();
            return List.of(new CellPart.CellMagicCall(cellMagic.group(1), MagicArguments.split(cellMagic.group(2)),
                    cell.substring(bodyStart)));
        }
        List<CellPart> parts = new ArrayList<>();
        String[] lines = cell.split("\n", -1);
        StringBuilder java = new StringBuilder();
        boolean hasJava = false;
        for (int i = 0; i < lines.length; i++) {
            Matcher lineMagic = LINE_MAGIC.matcher(lines[i]);
            if (lineMagic.matches()) {
                if (hasJava) {
                    parts.add(new CellPart.JavaCode(java.toString()));
                    hasJava = false;
                }
                parts.add(new CellPart.LineMagicCall(lineMagic.group(1), MagicArguments.split(lineMagic.group(2)), i + 1));
                java.setLength(0);
                java.append("\n".repeat(i + 1));
            } else {
                java.append(lines[i]);
                if (i < lines.length - 1) {
                    java.append('\n');
                }
                hasJava |= !lines[i].isBlank();
            }
        }
        if (hasJava) {
            parts.add(new CellPart.JavaCode(java.toString()));
        }
        return parts;
    }
}
