package jenzyme.bench;

import org.hipparchus.CalculusFieldElement;

/**
 * A workload written the way a Java user differentiates today, with Hipparchus's field-generic arithmetic: once, for
 * any {@link CalculusFieldElement}, so the same code runs with dense {@code Gradient} and {@code SparseGradient}.
 * A method reference to a generic static method implements it.
 */
@FunctionalInterface
public interface FieldForm {

    /**
     * @param active    the differentiated inputs as field elements, in {@link GradientLayout} order
     * @param arguments the workload's Java arguments (the Const ones are read from here)
     */
    <T extends CalculusFieldElement<T>> T apply(T[] active, Object[] arguments);
}
