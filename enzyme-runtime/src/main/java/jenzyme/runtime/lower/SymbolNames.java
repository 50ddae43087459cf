package jenzyme.runtime.lower;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import jenzyme.runtime.error.Messages;

/**
 * LLVM symbol names of lowered methods: {@code jz_<simple class>_<method>_<hash>}, where the readable parts keep only
 * {@code [A-Za-z0-9]} and the hash (first 8 bytes of SHA-256 over owner, name and descriptor) keeps overloads and
 * same-named classes apart. Deterministic, so a cache keyed on it stays valid across runs.
 */
final class SymbolNames {

    private SymbolNames() {}

    static String of(MethodRef method) {
        String owner = method.owner();
        String simpleOwner = owner.substring(owner.lastIndexOf('/') + 1);
        String symbol = "jz_" + readable(simpleOwner) + "_" + readable(method.name()) + "_" + hash(method);
        CompiledNames.register(symbol, method.asWritten());
        return symbol;
    }

    private static String readable(String text) {
        StringBuilder out = new StringBuilder();
        for (char c : text.toCharArray()) {
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
                out.append(c);
            }
        }
        return out.isEmpty() ? "x" : out.toString();
    }

    private static String hash(MethodRef method) {
        return hash(method.owner() + "\0" + method.name() + "\0" + method.descriptor());
    }

    /** First 8 bytes of SHA-256 of {@code text}, in hex: also names lambda shapes ({@link ClassLibrary#lambdaShape}). */
    static String hash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(Messages.NO_SHA_256.format(), e);
        }
    }
}
