package jenzyme.runtime.lower;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import jenzyme.runtime.error.Messages;

/**
 * LLVM symbol names of lowered methods: {@code jz_<method>_<hash>}, where the readable part keeps only
 * {@code [A-Za-z0-9]} and the hash (first 8 bytes of SHA-256 over owner, name and descriptor) keeps overloads and
 * classes apart. Deterministic, so a cache keyed on it stays valid across runs.
 *
 * <p>No class name: the same method lowered from a notebook cell and from a class file then has names of the same
 * length, so the worker gets requests of the same size and compiles the same code. Enzyme orders some choices by
 * pointer, so the allocation sizes that name lengths decide changed the optimised gradient's shape (621 vs 703 lines
 * for Rosenbrock from {@code JShell8} and from {@code Rosenbrock}).
 */
final class SymbolNames {

    /** One per thread, reused: MessageDigest.getInstance searched the security providers for every name. */
    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(SymbolNames::sha256);

    private SymbolNames() {}

    static String of(MethodRef method) {
        String symbol = "jz_" + readable(method.name()) + "_" + hash(method);
        CompiledNames.register(symbol, method);
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
        byte[] digest = SHA_256.get().digest(text.getBytes(StandardCharsets.UTF_8)); // digest() also resets it
        return HexFormat.of().formatHex(digest, 0, 8);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(Messages.NO_SHA_256.format(), e);
        }
    }
}
