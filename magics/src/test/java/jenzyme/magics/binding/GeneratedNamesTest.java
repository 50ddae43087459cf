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

    private static final CompilerSession.Target F_ITSELF = new CompilerSession.Target("f", false);

    @Test
    void theTypesAndMethodsOfStubsAreRead() {
        assertEquals(List.of("f$reverse", "FGradient", "f_grad_into", "f_grad"), GeneratedNames.declaredBy(F));
    }

    @Test
    void aPrefixedNameThatIsAKeywordOrLiteralGetsAnUnderscoreOnItsDeclaredPart() {
        assertEquals("do_", GeneratedNames.prefixed("d", "o", List.of("o")));
        assertEquals("do_.k", GeneratedNames.prefixed("d", "o.k", List.of("o"))); // a record leaf: the parameter is do_
        assertEquals("try_", GeneratedNames.prefixed("t", "ry", List.of("ry")));
        assertEquals("true_", GeneratedNames.prefixed("t", "rue", List.of("rue")));
        assertEquals("void_", GeneratedNames.prefixed("v", "oid", List.of("x", "oid")));
        assertEquals("dx", GeneratedNames.prefixed("d", "x", List.of("x")));
        assertEquals("dry.ouble", GeneratedNames.prefixed("d", "ry.ouble", List.of("ry"))); // only the declared part
    }

    /** o and o_ both had do_; x's gradient dx was also the name of the parameter dx in f_grad_into. */
    @Test
    void aPrefixedNameTakenByAnEarlierParametersOrAParametersNameGetsAnotherUnderscore() {
        List<String> parameters = List.of("o", "o_", "x", "dx", "o__");
        assertEquals("do_", GeneratedNames.prefixed("d", "o", parameters));
        assertEquals("do__", GeneratedNames.prefixed("d", "o_", parameters));
        assertEquals("do__.k", GeneratedNames.prefixed("d", "o_.k", parameters));
        assertEquals("dx_", GeneratedNames.prefixed("d", "x", parameters));
        assertEquals("ddx", GeneratedNames.prefixed("d", "dx", parameters));
        assertEquals("do___", GeneratedNames.prefixed("d", "o__", parameters));
        assertEquals("do__", GeneratedNames.prefixed("d", "o", List.of("o_", "o"))); // in parameter order
        for (String prefix : List.of("d", "t", "v", "hv")) {
            List<String> generated = parameters.stream().map(p -> GeneratedNames.prefixed(prefix, p, parameters))
                    .toList();
            assertEquals(parameters.size(), Set.copyOf(generated).size(), prefix + ": " + generated);
            assertTrue(generated.stream().noneMatch(parameters::contains), prefix + ": " + generated);
        }
    }

    /**
     * A fixed name (dActive, ybar, y and ty, jacobian, v and hv) avoids the parameters' names and the names generated
     * from them: a double[] Active has the shadow dActive, a parameter y the tangent ty.
     */
    @Test
    void aFixedNameAvoidsTheParametersAndTheNamesGeneratedFromThem() {
        assertEquals("dActive", GeneratedNames.besideParameters("dActive", List.of("x", "active")));
        assertEquals("dActive_", GeneratedNames.besideParameters("dActive", List.of("x", "dActive")));
        assertEquals("dActive_", GeneratedNames.besideParameters("dActive", List.of("Active")));
        assertEquals("dActive__", GeneratedNames.besideParameters("dActive", List.of("Active", "dActive_")));
        assertEquals("ybar_", GeneratedNames.besideParameters("ybar", List.of("ybar")));
        assertEquals("y_", GeneratedNames.besideParameters("y", List.of("y")));
        assertEquals("ty_", GeneratedNames.besideParameters("ty", List.of("y")));
        assertEquals("jacobian_", GeneratedNames.besideParameters("jacobian", List.of("x", "jacobian")));
        assertEquals("v_", GeneratedNames.besideParameters("v", List.of("v")));
        assertEquals("hv_", GeneratedNames.besideParameters("hv", List.of("v_", "hv")));
        assertEquals("do_", GeneratedNames.besideParameters("do", List.of("x"))); // a keyword
    }

    @Test
    void aNameOwnedByAnotherBindingIsRefusedTheSameBindingMayRebind() {
        GeneratedNames names = new GeneratedNames();
        names.check("f", F_ITSELF, List.of("FGradient", "f_grad"), n -> false);
        names.claim("f", F_ITSELF, List.of("FGradient", "f_grad"));
        names.check("f", F_ITSELF, List.of("FGradient", "f_grad"), n -> true); // f again: its own names
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> names.check("F",
                new CompilerSession.Target("F", false), List.of("FGradient", "F_grad"), n -> false));
        assertEquals("the generated name FGradient for F is already the one generated for f; use --name to choose "
                + "another base, e.g. --name F2", e.getMessage());
    }

    @Test
    void anotherObjectsMethodOfTheSameNameTakesItsBindingsOnlyWhenNamedSo() {
        GeneratedNames names = new GeneratedNames();
        List<String> declared = List.of("e$reverse", "EGradient", "e_grad", "e_grad_into");
        names.claim("e", new CompilerSession.Target("sp.e", false), declared);
        names.check("e", new CompilerSession.Target("sp.e", false), declared, n -> true); // re-run: its own
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> names.check("e", new CompilerSession.Target("sp2.e", false), declared, n -> true));
        assertEquals("e_grad is the binding of sp.e; sp2.e would take it over: give sp2.e bindings of its own "
                + "with --name sp2_e, or take e_grad over on purpose with --name e", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> names.check("e", new CompilerSession.Target("e", false), declared, n -> true));
        assertTrue(e.getMessage().contains("e would take it over: give e bindings of its own with --name e2"),
                e.getMessage());
        names.check("e", new CompilerSession.Target("sp2.e", true), declared, n -> true); // --name e: on purpose
    }

    @Test
    void aUserDeclarationIsNeverReplaced() {
        GeneratedNames names = new GeneratedNames();
        Set<String> userCells = Set.of("GGradient");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> names.check("g", new CompilerSession.Target("g", false), List.of("g$reverse", "GGradient",
                        "g_grad"), userCells::contains));
        assertTrue(e.getMessage().contains("would replace your declaration of GGradient"), e.getMessage());
    }
}
