package jenzyme.runtime.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.ship.ArtifactRuntime;
import jenzyme.runtime.ship.CompiledArtifact;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A derivative made through the worker, serialised, and run from its {@link CompiledArtifact} alone: in this JVM's
 * shared artefact JIT, and in a fresh JVM that has no worker (the executor's situation), against the original.
 */
class ShippedArtifactTest {

    static final class Models {
        /** Least squares of a exp(-k t) against y. */
        static double decayLoss(double[] p, double[] t, double[] y) {
            double s = 0;
            for (int i = 0; i < t.length; i++) {
                double r = p[0] * Math.exp(-p[1] * t[i]) - y[i];
                s += r * r;
            }
            return s;
        }

        static double wave(double[] p, double x) {
            return Math.sin(p[0] * x) + p[1] * p[1];
        }
    }

    static final double[] T = {0, 0.5, 1, 1.5, 2, 3};
    static final double[] Y = {2.1, 1.5, 1.1, 0.8, 0.55, 0.3};

    private static JEnzyme ad;

    @BeforeAll
    static void start() {
        ad = JEnzyme.create();
    }

    @AfterAll
    static void stop() {
        ad.close();
    }

    @Test
    void aSerialisedArtifactGivesTheSameValueAndGradientAndCompilesOncePerJvm() throws Exception {
        Gradient original = ad.reverse(Models.class, "decayLoss", "t", "y");
        CompiledArtifact shipped = roundTrip(original.artifact());
        Gradient loaded = Gradient.of(shipped); // compiled now, or by an earlier test of the same method (same hash)
        int compiled = ArtifactRuntime.shared().stats().compiled();
        Gradient again = Gradient.of(roundTrip(original.artifact()));
        assertEquals(compiled, ArtifactRuntime.shared().stats().compiled(), "the second load is a cache hit");
        assertSame(ArtifactRuntime.shared().load(shipped), ArtifactRuntime.shared().load(shipped));

        double[] p = {2.0, 0.7}, expected = new double[2], actual = new double[2], twice = new double[2];
        double value = original.valueAndGradient(p, expected, T, Y);
        assertEquals(value, loaded.valueAndGradient(p, actual, T, Y), 0);
        assertArrayEquals(expected, actual, 0);
        again.valueAndGradient(p, twice, T, Y);
        assertArrayEquals(expected, twice, 0);
        double da = 0;
        for (int i = 0; i < T.length; i++) {
            da += 2 * (p[0] * Math.exp(-p[1] * T[i]) - Y[i]) * Math.exp(-p[1] * T[i]);
        }
        assertEquals(da, actual[0], 1e-12 * Math.abs(da));
    }

    @Test
    void aShippedBindingRaisesTheJavaExceptionOfWrongInput() throws Exception {
        Gradient loaded = Gradient.of(roundTrip(ad.reverse(Models.class, "decayLoss", "t", "y").artifact()));
        // y shorter than t: the compiled loop reads y[5] of a 3-element array, as the JVM would refuse to.
        assertThrows(ArrayIndexOutOfBoundsException.class,
                () -> loaded.valueAndGradient(new double[] {1, 1}, new double[2], T, new double[3]));
    }

    @Test
    void aForwardArtifactLoadsAsATangentAndNotAsAGradient() throws Exception {
        Tangent tangent = ad.forward(Models.class, "wave", "x");
        CompiledArtifact shipped = roundTrip(tangent.artifact());
        double[] p = {0.3, 2}, v = {1, 0.5};
        assertEquals(tangent.valueAndDerivative(p, v, 1.5), Tangent.of(shipped).valueAndDerivative(p, v, 1.5));
        IllegalArgumentException wrongMode = assertThrows(IllegalArgumentException.class, () -> Gradient.of(shipped));
        assertEquals("expected a reverse-mode derivative of wave(double[], double), got a forward-mode one",
                wrongMode.getMessage());
    }

    @Test
    void aChangedArtifactIsRefusedBeforeItIsCompiled() {
        CompiledArtifact good = ad.reverse(Models.class, "decayLoss", "t", "y").artifact();
        byte[] bitcode = good.bitcode().clone();
        bitcode[bitcode.length / 2] ^= 1;
        CompiledArtifact bad = new CompiledArtifact(good.method(), good.model(), good.wrapperSymbol(), bitcode,
                good.postOptimisation(), good.hash());
        CompiledArtifact otherPasses = new CompiledArtifact(good.method(), good.model(), good.wrapperSymbol(),
                good.bitcode(), "default<O1>", good.hash());
        for (CompiledArtifact changed : List.of(bad, otherPasses)) {
            BindingException refused = assertThrows(BindingException.class, () -> ArtifactRuntime.shared().load(changed));
            assertTrue(refused.getMessage().startsWith("the compiled artefact of decayLoss(double[], double[], double[]) "
                    + "does not match its content hash"), refused.getMessage());
        }
    }

    /** The executor's situation: another JVM, no worker, only the artefact's bytes and this runtime's classes. */
    @Test
    void aFreshJvmWithoutTheWorkerRunsTheArtifact(@TempDir Path dir) throws Exception {
        Gradient original = ad.reverse(Models.class, "decayLoss", "t", "y");
        Path file = dir.resolve("artifact.ser");
        Files.write(file, serialise(original.artifact()));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                ShippedArtifactMain.class.getName(), file.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove("JENZYME_WORKER");
        Process child = builder.start();
        String output = new String(child.getInputStream().readAllBytes()).strip();
        assertEquals(0, child.waitFor(), output);
        double[] p = {2.0, 0.7}, dp = new double[2];
        double value = original.valueAndGradient(p, dp, T, Y);
        String last = output.lines().reduce((a, b) -> b).orElse("");
        assertEquals(Double.toHexString(value) + " " + Double.toHexString(dp[0]) + " " + Double.toHexString(dp[1]),
                last, output);
    }

    static byte[] serialise(CompiledArtifact artifact) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(artifact);
        }
        return bytes.toByteArray();
    }

    static CompiledArtifact roundTrip(CompiledArtifact artifact) throws IOException, ClassNotFoundException {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(serialise(artifact)))) {
            return (CompiledArtifact) in.readObject();
        }
    }
}
