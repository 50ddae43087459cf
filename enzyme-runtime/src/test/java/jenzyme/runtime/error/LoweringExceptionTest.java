package jenzyme.runtime.error;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LoweringExceptionTest {

    @Test
    void theMessageNamesTheMethodAsWrittenWithoutDescriptorOrOffset() {
        LoweringException inCell = new LoweringException("unsupported: a String constant \"abc\"", "REPL/$JShell$20",
                "h", "(D)D", 0, 12, null);
        assertEquals("unsupported: a String constant \"abc\" in h(double)", inCell.getMessage(),
                "a cell's line is JShell's, not the user's: the kernel renders the cell line from sourceLine()");
        assertEquals(12, inCell.sourceLine());
        assertEquals(0, inCell.bytecodeOffset());
        LoweringException inClass = new LoweringException("unsupported: null", "demo/Lines", "peek", "([DI)D", 7, 5,
                null);
        assertEquals("unsupported: null in demo.Lines.peek(double[], int) at line 5", inClass.getMessage());
        assertEquals("no static method f", new LoweringException("no static method f").getMessage());
    }
}
