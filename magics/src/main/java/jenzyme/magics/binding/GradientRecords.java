package jenzyme.magics.binding;

import java.util.function.Supplier;
import jenzyme.runtime.error.Messages;

/**
 * Builds the gradient record of a record parameter (its components are the partials) in the generated
 * {@code _grad} stubs. Java has no way to build a record without running its canonical constructor, so a
 * constructor that validates its components ({@code if (k <= 0) throw ...}) may refuse a partial; this says that the
 * refusal came from building the gradient, not from the user's call.
 */
public final class GradientRecords {

    private GradientRecords() {}

    /** {@code constructor.get()}; a refusal names the parameter, the record and the partials (built only then). */
    public static <T> T build(Supplier<T> constructor, String parameter, String record, Supplier<String> partials) {
        try {
            return constructor.get();
        } catch (RuntimeException refused) {
            throw new IllegalArgumentException(Messages.GRADIENT_RECORD_REFUSED.format(parameter, record,
                    partials.get(), refused.getMessage()), refused);
        }
    }
}
