package jenzyme.runtime.worker;

import java.util.Arrays;

/** The LLVM types a wrapper parameter or output slot can have, as the worker spells them. */
public enum NativeType {
    DOUBLE("double"),
    FLOAT("float"),
    I32("i32"),
    I64("i64"),
    PTR("ptr");

    private final String token;

    NativeType(String token) {
        this.token = token;
    }

    public String token() {
        return token;
    }

    static NativeType parse(String token) {
        return Arrays.stream(values())
                .filter(t -> t.token.equals(token))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(
                        "expected a native type double, float, i32, i64 or ptr, got '" + token + "'"));
    }
}
