package jenzyme.runtime.ad;

import java.util.List;
import jenzyme.runtime.error.Messages;

/**
 * The C ABI of the derivative the worker emitted: {@code void symbol(parameters...)} whose last parameter points
 * to {@code slots.size()} 8-byte output slots. What the binder needs to build an FFM downcall handle.
 */
public record WrapperSignature(String symbol, List<WrapperParameter> parameters, List<OutputSlot> slots) {

    /** Every output slot is 8 bytes wide, whatever its type. */
    public static final long SLOT_BYTES = 8;

    public WrapperSignature {
        parameters = List.copyOf(parameters);
        slots = List.copyOf(slots);
        if (parameters.isEmpty() || parameters.getLast().role() != WrapperParameter.Role.OUT) {
            throw new IllegalArgumentException(Messages.WRAPPER_WITHOUT_OUT.format(parameters));
        }
    }

    /** Bytes the caller must provide at {@code out}. */
    public long outBytes() {
        return SLOT_BYTES * slots.size();
    }

    /** Byte offset of slot {@code index} in the out buffer. */
    public static long slotOffset(int index) {
        return SLOT_BYTES * index;
    }
}
