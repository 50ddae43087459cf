package jenzyme.kernel;

import org.dflib.jjava.jupyter.kernel.history.HistoryEntry;
import org.dflib.jjava.jupyter.kernel.history.HistoryManager;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The inputs (and text results) of this kernel session, for history_request. In memory only: there is one session,
 * numbered {@link #SESSION}; a request for session 0 or {@link #SESSION} means this one (IPython's convention that
 * non-positive numbers count back from the current session).
 */
final class SessionHistory implements HistoryManager {

    static final int SESSION = 1;

    private record Cell(int number, String input, String output) {
    }

    private final List<Cell> cells = new ArrayList<>();

    synchronized void record(int number, String input, String textOutput) {
        cells.add(new Cell(number, input, textOutput));
    }

    @Override
    public synchronized List<HistoryEntry> lookupTail(int length, Set<ResultFlag> flags) {
        int from = Math.max(0, cells.size() - Math.max(0, length));
        return entries(cells.subList(from, cells.size()), flags);
    }

    @Override
    public synchronized List<HistoryEntry> lookupRange(int session, int start, int stop, Set<ResultFlag> flags) {
        if (session != 0 && session != SESSION) {
            return List.of();
        }
        return entries(cells.stream().filter(c -> c.number() >= start && (stop <= 0 || c.number() < stop)).toList(), flags);
    }

    @Override
    public synchronized List<HistoryEntry> search(String glob, int length, Set<ResultFlag> flags) {
        Pattern pattern = globPattern(glob);
        List<Cell> matches = new ArrayList<>(cells.stream().filter(c -> pattern.matcher(c.input()).matches()).toList());
        if (flags.contains(ResultFlag.UNIQUE)) {
            Set<String> seen = new LinkedHashSet<>();
            // Keep the latest occurrence of each input, as IPython does.
            List<Cell> latestFirst = new ArrayList<>(matches.reversed());
            latestFirst.removeIf(c -> !seen.add(c.input()));
            matches = new ArrayList<>(latestFirst.reversed());
        }
        int from = length > 0 ? Math.max(0, matches.size() - length) : 0;
        return entries(matches.subList(from, matches.size()), flags);
    }

    private static List<HistoryEntry> entries(List<Cell> cells, Set<ResultFlag> flags) {
        boolean withOutput = flags.contains(ResultFlag.INCLUDE_OUTPUT);
        return cells.stream()
                .map(c -> new HistoryEntry(SESSION, c.number(), c.input(), withOutput ? c.output() : null))
                .toList();
    }

    /** sqlite GLOB, as history_request specifies: {@code *}, {@code ?} and {@code [...]} (with {@code ^} negation). */
    static Pattern globPattern(String glob) {
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append('.');
                case '[' -> {
                    int close = glob.indexOf(']', i + 2);
                    if (close < 0) {
                        regex.append("\\[");
                    } else {
                        String set = glob.substring(i + 1, close);
                        regex.append('[').append(set.startsWith("^") ? "^" + set.substring(1).replace("\\", "\\\\")
                                : set.replace("\\", "\\\\")).append(']');
                        i = close;
                    }
                }
                default -> regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }
}
