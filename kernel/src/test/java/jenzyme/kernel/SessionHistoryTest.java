package jenzyme.kernel;

import org.dflib.jjava.jupyter.kernel.history.HistoryEntry;
import org.dflib.jjava.jupyter.kernel.history.HistoryManager.ResultFlag;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SessionHistoryTest {

    private static final Set<ResultFlag> NONE = EnumSet.noneOf(ResultFlag.class);

    private final SessionHistory history = new SessionHistory();

    {
        history.record(1, "int a = 6;", "");
        history.record(2, "a * 7", "42");
        history.record(3, "a * 7", "42");
        history.record(4, "double b = 1;", "");
    }

    private static List<String> inputs(List<HistoryEntry> entries) {
        return entries.stream().map(HistoryEntry::getInput).toList();
    }

    @Test
    void tailReturnsTheLastCellsInOrder() {
        assertEquals(List.of("a * 7", "double b = 1;"), inputs(history.lookupTail(2, NONE)));
        assertEquals(4, history.lookupTail(10, NONE).size());
    }

    @Test
    void rangeIsHalfOpenAndKnowsOnlyThisSession() {
        List<HistoryEntry> range = history.lookupRange(SessionHistory.SESSION, 2, 4, NONE);
        assertEquals(List.of(2, 3), range.stream().map(HistoryEntry::getCellNumber).toList());
        assertEquals(2, history.lookupRange(0, 2, 4, NONE).size());
        assertEquals(List.of(), history.lookupRange(7, 1, 5, NONE));
    }

    @Test
    void outputIsIncludedOnlyWhenAsked() {
        HistoryEntry withOutput = history.lookupTail(1, EnumSet.of(ResultFlag.INCLUDE_OUTPUT)).getFirst();
        assertTrue(withOutput.hasOutput());
        assertEquals("", withOutput.getOutput());
        assertFalse(history.lookupTail(1, NONE).getFirst().hasOutput());
    }

    @Test
    void searchUsesSqliteGlobsAndUniqueKeepsTheLatest() {
        assertEquals(List.of("a * 7", "a * 7"), inputs(history.search("a [*] ?", 0, NONE)));
        List<HistoryEntry> unique = history.search("a*", 0, EnumSet.of(ResultFlag.UNIQUE));
        assertEquals(List.of(3), unique.stream().map(HistoryEntry::getCellNumber).toList());
        assertEquals(List.of("double b = 1;"), inputs(history.search("*b*", 1, NONE)));
        assertEquals(List.of("int a = 6;"), inputs(history.search("[^ad]*", 0, NONE)));
        assertEquals(List.of(), history.search("b*", 0, NONE), "a glob matches the whole input");
    }
}
