package jenzyme.runtime.ship;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.ad.WrapperSignature;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.error.Messages;

/**
 * A derivative as another JVM needs it (a Spark executor): the worker's differentiated, optimised bitcode and the
 * {@link CallingConvention.Model} it was derived from — nothing of the notebook, no Enzyme. {@link ArtifactRuntime}
 * JITs it once per JVM (keyed by {@link #hash()}) and binds it with the same binder as the kernel, from the same
 * model; so the shipped code is the very module the kernel runs, optimised by the same passes.
 *
 * <p>Only reverse- and forward-mode derivatives ship: a Hessian-vector product's wrapper is the forward pass over
 * a gradient, which its model does not describe.
 *
 * @param method        the method as written ({@code loss(double[], double[])}), for messages
 * @param model         the calling convention's model: rebuilt with {@link CallingConvention#of(CallingConvention.Model)}
 * @param wrapperSymbol the exported wrapper the binder calls
 * @param bitcode       the worker's module (about 10–50 kB for the examples)
 * @param postOptimisation the passes an executor runs on it before generating its code, as the notebook's JIT did
 *                      (the worker's post-AD pipeline, which the notebook leaves to its JIT); empty when none
 * @param hash          SHA-256 of the model, the symbol, the passes and the bitcode; checked when an executor compiles
 *                      it
 */
public record CompiledArtifact(String method, CallingConvention.Model model, String wrapperSymbol, byte[] bitcode,
                               String postOptimisation, String hash) implements Serializable {

    /**
     * The artefact of a bound derivative made by {@code Pipeline.reverse}/{@code forward}.
     *
     * @throws BindingException if the derivative is a Hessian-vector product, or its method writes the fields of an
     *                          object from the JVM (copied back by the notebook's stubs only, lower.ObjectLayout)
     */
    public static CompiledArtifact of(Derivative derivative) {
        CallingConvention convention = derivative.convention();
        String method = convention.entry().methodAsWritten();
        if (!convention.wrapperParameters().equals(derivative.wrapper().parameters())) {
            throw new BindingException(Messages.SHIP_HVP.format(method));
        }
        convention.entry().copiedObject().ifPresent(object -> {
            throw new BindingException(Messages.SHIP_COPIED_OBJECT.format(convention.entry().methodName(),
                    object.name(), object.shape().javaName()));
        });
        CallingConvention.Model model = convention.model();
        String symbol = derivative.wrapper().symbol();
        String passes = derivative.postOptimisation();
        return new CompiledArtifact(method, model, symbol, derivative.bitcode().clone(), passes,
                contentHash(model, symbol, passes, derivative.bitcode()));
    }

    /** The wrapper's C signature, read off the model (what the worker reported when the kernel compiled it). */
    public WrapperSignature wrapper() {
        CallingConvention convention = CallingConvention.of(model);
        return new WrapperSignature(wrapperSymbol, convention.wrapperParameters(), convention.slots());
    }

    /** Refuses an artefact whose parts were changed after {@link #of} (a corrupt or hand-made one). */
    void verify() {
        String actual = contentHash(model, wrapperSymbol, postOptimisation, bitcode);
        if (!actual.equals(hash)) {
            throw new BindingException(Messages.SHIP_CORRUPT.format(method, hash, actual));
        }
    }

    private static String contentHash(CallingConvention.Model model, String symbol, String passes, byte[] bitcode) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            // The model's record text names every component (entry point, parameters, mode, activities).
            sha.update((model + "\n" + symbol + "\n" + passes + "\n").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest(bitcode));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(Messages.NO_SHA_256.format(), e);
        }
    }

    @Override
    public String toString() {
        return "CompiledArtifact[" + method + ", " + model.mode().token() + ", " + bitcode.length + " bytes of bitcode, "
                + hash.substring(0, 12) + "]";
    }
}
