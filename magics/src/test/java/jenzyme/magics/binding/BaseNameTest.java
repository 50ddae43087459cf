package jenzyme.magics.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code --name}: a Java identifier, and none that hides invisible characters (visual spoofing). */
class BaseNameTest {

    @Test
    void plainAndUnicodeIdentifiersAreKept() {
        assertEquals("loss2", BindingStubs.baseName("loss2"));
        assertEquals("λ", BindingStubs.baseName("λ"));
    }

    @Test
    void bidiOverridesAndZeroWidthCharactersAreRefusedAndShownEscaped() {
        for (String spoof : new String[] {"f\u202Edarg", "g\u200Bx", "a\u200Db", "x\u2066y"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BindingStubs.baseName(spoof));
            assertTrue(e.getMessage().startsWith("--name may not contain the invisible character U+"), e.getMessage());
            assertTrue(e.getMessage().chars().noneMatch(Character::isIdentifierIgnorable), "message shows it escaped");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BindingStubs.baseName("f\u202Edarg"));
        assertTrue(e.getMessage().contains("U+202E") && e.getMessage().contains("f\\u202Edarg"), e.getMessage());
    }

    @Test
    void nonIdentifiersAreStillRefused() {
        assertThrows(IllegalArgumentException.class, () -> BindingStubs.baseName("1bad"));
        assertThrows(IllegalArgumentException.class, () -> BindingStubs.baseName("_"));
    }
}
