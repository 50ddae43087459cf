package jenzyme.magics.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Generated names never replace another binding's or the user's declarations. */
class GeneratedNamesTest {

    private static final BindingStubs.Stubs F = new BindingStubs.Stubs("""
            final class f$reverse {
            }
            double f_grad_into(double x, double[] dActive) {
            }
            record FGradient(double value, double dx) {}
            FGradient f_grad(double x) {
            }
            """, List.of("double f_grad_into(double x, double[] dActive)", "FGradient f_grad(double x)"));

    @Test
    void theTypesAndMethodsOfStubsAreRead() {
        assertEquals(List.of("f$reverse", "FGradient", "f_grad_into", "f_grad"), GeneratedNames.declaredBy(F));
    }

    @Test
    void aNameOwnedByAnotherBindingIsRefusedTheSameBindingMayRebind() {
        GeneratedNames names = new GeneratedNames();
        names.check("f", List.of("FGradient", "f_grad"), n -> false);
        names.claim("f", List.of("FGradient", "f_grad"));
        names.check("f", List.of("FGradient", "f_grad"), n -> true); // f again: its own names, declared by itself
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> names.check("F", List.of("FGradient", "F_grad"), n -> false));
        assertEquals("the generated name FGradient for F is already the one generated for f; use --name to choose "
                + "another base, e.g. --name F2", e.getMessage());
    }

    @Test
    void aUserDeclarationIsNeverReplaced() {
        GeneratedNames names = new GeneratedNames();
        Set<String> userCells = Set.of("GGradient");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> names.check("g", List.of("g$reverse", "GGradient", "g_grad"), userCells::contains));
        assertTrue(e.getMessage().contains("would replace your declaration of GGradient"), e.getMessage());
    }
}
