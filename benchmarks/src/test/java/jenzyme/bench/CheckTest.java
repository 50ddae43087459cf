package jenzyme.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The gate before timing: a wrong value or gradient must fail, within-tolerance ones must pass. */
class CheckTest {

    private static final double[] REFERENCE = {3.0, -4.0, 0.5};

    private static Check check(Column column, double value, double[] gradient) {
        Contender contender = new Contender(column, reps -> 0, Evaluation.withGradient(value, gradient));
        return Check.of(contender, 10.0, REFERENCE);
    }

    @Test
    void gradientsAgreeingToOneInABillionPass() {
        Check c = check(Column.C_WORKER, 10.0 * (1 + 1e-14), new double[] {3.0, -4.0 + 1e-9, 0.5});
        assertTrue(c.passed(), c.describe());
        assertEquals(1e-9 / 4.0, c.gradientError(), 1e-15, "max-norm relative error");
    }

    @Test
    void aWrongComponentOrValueFails() {
        assertFalse(check(Column.JAX, 10.0, new double[] {3.0, -4.0, 0.5 + 1e-6}).passed());
        assertFalse(check(Column.JAX, 10.0 + 1e-9, REFERENCE.clone()).passed());
        assertFalse(check(Column.JAX, 10.0, new double[] {3.0, Double.NaN, 0.5}).passed());
    }

    @Test
    void finiteDifferencesGetTheirLooserBoundOnAPrefixOfComponents() {
        Check fd = check(Column.FINITE_DIFFERENCES, 10.0, new double[] {3.0 + 1e-6, -4.0});
        assertTrue(fd.passed(), fd.describe());
        assertEquals(2, fd.components());
        assertFalse(check(Column.FINITE_DIFFERENCES, 10.0, new double[] {3.0 + 1e-4}).passed());
        assertFalse(check(Column.C_WORKER, 10.0, new double[] {3.0 + 1e-6, -4.0, 0.5}).passed(),
                "AD implementations are held to 1e-8");
    }

    @Test
    void aPrimalIsCheckedOnItsValueAlone() {
        Contender primal = new Contender(Column.JIT_PRIMAL, reps -> 0, Evaluation.primal(10.0 * (1 + 2e-16)));
        assertTrue(Check.of(primal, 10.0, REFERENCE).passed());
        Contender off = new Contender(Column.JIT_PRIMAL, reps -> 0, Evaluation.primal(10.0 * (1 + 1e-11)));
        assertFalse(Check.of(off, 10.0, REFERENCE).passed());
    }
}
