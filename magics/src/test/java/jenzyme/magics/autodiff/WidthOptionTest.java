package jenzyme.magics.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** {@code --width}: lanes in 1..64; 0, negatives, too many and words are refused in words (QA R10). */
class WidthOptionTest {

    @Test
    void acceptsOneToSixtyFourLanes() {
        assertEquals(1, AutodiffMagic.width("1"));
        assertEquals(3, AutodiffMagic.width("3"));
        assertEquals(64, AutodiffMagic.width("64"));
    }

    @Test
    void refusesZeroNegativeTooManyAndWords() {
        for (String word : new String[] {"0", "-2", "65", "two"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> AutodiffMagic.width(word));
            assertEquals("expected a batch width (--width) in 1..64, and 1 in reverse mode, got " + word,
                    e.getMessage());
        }
    }
}
