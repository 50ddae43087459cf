package jenzyme.runtime.worker;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import jenzyme.runtime.ad.NativeType;
import jenzyme.runtime.ad.OutputSlot;
import jenzyme.runtime.ad.WrapperParameter;
import jenzyme.runtime.ad.WrapperSignature;
import jenzyme.runtime.error.Messages;

/**
 * Reads the response fields {@code params} and {@code slots} (PROTOCOL.md): comma-separated tokens
 * {@code <name>[<index>]:<type>}, e.g. {@code shadow2:ptr}, {@code out:ptr}, {@code adjoint1:double}. One parser for
 * both lists; only the names and the meaning of the index differ.
 */
final class WrapperTokens {

    private WrapperTokens() {}

    /** Parses {@code params} and {@code slots} (the latter may be empty) of a response for {@code symbol}. */
    static WrapperSignature signature(String symbol, String params, String slots) {
        return new WrapperSignature(symbol, list(params, WrapperTokens::parameter),
                slots.isEmpty() ? List.of() : list(slots, WrapperTokens::slot));
    }

    /** {@code arg1:double}, {@code shadow2:ptr}, {@code tangent1:double} or {@code out:ptr}. */
    static WrapperParameter parameter(String token) {
        Token t = Token.of(token);
        if (t.name.equals("out")) {
            return new WrapperParameter(WrapperParameter.Role.OUT, -1, t.type);
        }
        for (WrapperParameter.Role role : new WrapperParameter.Role[] {
                WrapperParameter.Role.ARG, WrapperParameter.Role.SHADOW, WrapperParameter.Role.TANGENT}) {
            Optional<Integer> index = t.indexAfter(role.name().toLowerCase());
            if (index.isPresent()) {
                return new WrapperParameter(role, index.get(), t.type);
            }
        }
        throw new IllegalArgumentException(Messages.WRAPPER_PARAMETER_TOKEN.format(token));
    }

    /** {@code primal:double}, {@code adjoint1:double} or {@code dreturn0:double}. */
    static OutputSlot slot(String token) {
        Token t = Token.of(token);
        if (t.name.equals("primal")) {
            return new OutputSlot(OutputSlot.Kind.PRIMAL, -1, t.type);
        }
        for (OutputSlot.Kind kind : new OutputSlot.Kind[] {OutputSlot.Kind.ADJOINT, OutputSlot.Kind.DRETURN}) {
            Optional<Integer> index = t.indexAfter(kind.name().toLowerCase());
            if (index.isPresent()) {
                return new OutputSlot(kind, index.get(), t.type);
            }
        }
        throw new IllegalArgumentException(Messages.WRAPPER_SLOT_TOKEN.format(token));
    }

    private static <T> List<T> list(String tokens, Function<String, T> parse) {
        return Arrays.stream(tokens.split(",")).map(parse).toList();
    }

    /** {@code <name>:<type>} split once. */
    private record Token(String text, String name, NativeType type) {

        static Token of(String token) {
            int colon = token.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException(Messages.WRAPPER_TYPED_TOKEN.format(token));
            }
            return new Token(token, token.substring(0, colon), NativeType.ofToken(token.substring(colon + 1)));
        }

        /** The index following {@code prefix} in the name, if the name starts with it. */
        Optional<Integer> indexAfter(String prefix) {
            if (!name.startsWith(prefix)) {
                return Optional.empty();
            }
            try {
                return Optional.of(Integer.parseInt(name.substring(prefix.length())));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(Messages.WRAPPER_INDEX_TOKEN.format(text), e);
            }
        }
    }
}
