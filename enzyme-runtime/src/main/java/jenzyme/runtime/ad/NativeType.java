package jenzyme.runtime.ad;

import java.util.Arrays;
import jenzyme.runtime.error.Messages;

/** The LLVM types a wrapper parameter or output slot can have, as the worker spells them. */
public enum NativeType {
    DOUBLE("double"),
    FLOAT("float"),
    I32("i32"),
    I64("i64"),
    /** A Java {@code boolean} (FFM's C {@code bool}). */
    I8("i8"),
    PTR("ptr");

    private final String token;

    NativeType(String token) {
        this.token = token;
    }

    /** The worker protocol's spelling. */
    public String token() {
        return token;
    }

    /** The wrapper type of an LLVM parameter or return type of the lowered code ({@code double}, {@code ptr}, ...). */
    public static NativeType ofToken(String token) {
        return Arrays.stream(values())
                .filter(t -> t.token.equals(token))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(
                        Messages.UNKNOWN_NATIVE_TYPE.format(token)));
    }
}
