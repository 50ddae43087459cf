package jenzyme.runtime.error;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class MessagesTest {

    @Test
    void everyConstantHasItsTextAndEveryTextItsConstant() {
        Set<String> constants = Arrays.stream(Messages.values()).map(Enum::name)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(constants, new TreeSet<>(Messages.texts().stringPropertyNames()));
    }

    @Test
    void formatFillsNumberedArgumentsAndKeepsEverythingElse() {
        assertEquals("expected a parameter of h(double) (x), got 'y'",
                Messages.UNKNOWN_PARAMETER.format("h(double)", "x", "y"));
        assertEquals("a String constant \"it's {x}\"", Messages.STRING_CONSTANT.format("it's {x}"));
    }

    @Test
    void theBundleKeepsLineBreaksAndNonAsciiText() {
        assertEquals("expected the mode reverse, forward, hvp or jacobian, got 'x'\nusage: u", Messages.UNKNOWN_MODE.format("x", "u"));
        assertEquals(true, Messages.GRADCHECK_TOO_MANY_ROWS.template().endsWith("got {1} × {2}"));
    }
}
