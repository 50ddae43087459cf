package jenzyme.runtime.worker;

import java.util.Arrays;
import java.util.Optional;

/**
 * The worker's pipeline phases in order (PROTOCOL.md): check the request, parse and verify, pre-AD optimisation,
 * Enzyme plus the wrapper, O3, write bitcode. {@code INTERNAL} is a bug in the worker caught before it crashed.
 */
public enum Phase {
    REQUEST("request"),
    PARSE("parse"),
    PRE_OPT("pre_opt"),
    ENZYME("enzyme"),
    POST_OPT("post_opt"),
    WRITE("write"),
    INTERNAL("internal");

    private final String token;

    Phase(String token) {
        this.token = token;
    }

    public String token() {
        return token;
    }

    public static Optional<Phase> fromToken(String token) {
        return Arrays.stream(values()).filter(p -> p.token.equals(token)).findFirst();
    }
}
