package jenzyme.kernel.cell;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CellParserTest {

    @Test
    void plainJavaIsOnePart() {
        assertEquals(List.of(new CellPart.JavaCode("int x = 1;\nx + 1")), CellParser.parse("int x = 1;\nx + 1"));
    }

    @Test
    void lineMagicsSplitTheJavaAndKeepCellLineNumbers() {
        List<CellPart> parts = CellParser.parse("int a = 1;\n%classpath lib/*.jar \"my dir\"\nint b = a;\n  %jars x.jar");
        assertEquals(List.of(
                new CellPart.JavaCode("int a = 1;\n"),
                new CellPart.LineMagicCall("classpath", List.of("lib/*.jar", "my dir"), 2),
                new CellPart.JavaCode("\n\nint b = a;\n"),
                new CellPart.LineMagicCall("jars", List.of("x.jar"), 4)), parts);
    }

    @Test
    void cellMagicTakesTheRestOfTheCellAsBody() {
        assertEquals(List.of(new CellPart.CellMagicCall("autodiff", List.of("reverse", "loss"), "double loss(double x) {\n  return x;\n}")),
                CellParser.parse("%%autodiff reverse loss\ndouble loss(double x) {\n  return x;\n}"));
        assertEquals(List.of(new CellPart.CellMagicCall("time", List.of(), "")), CellParser.parse("%%time"));
    }

    @Test
    void moduloAtLineStartWithABlankStaysJava() {
        assertEquals(List.of(new CellPart.JavaCode("int r = 7\n  % 3;")), CellParser.parse("int r = 7\n  % 3;"));
    }

    @Test
    void blankCellHasNoParts() {
        assertEquals(List.of(), CellParser.parse("  \n\n"));
    }

    @Test
    void argumentsSplitLikeAShell() {
        assertEquals(List.of("a b", "c", "d'e", "f g"), MagicArguments.split(" \"a b\"  c d\\'e 'f g' "));
        assertEquals(List.of("x=1", ""), MagicArguments.split("x=1 \"\""));
        IllegalArgumentException unclosed = assertThrows(IllegalArgumentException.class, () -> MagicArguments.split("\"open"));
        assertEquals("unclosed \" quote in magic arguments: \"open", unclosed.getMessage());
    }
}
