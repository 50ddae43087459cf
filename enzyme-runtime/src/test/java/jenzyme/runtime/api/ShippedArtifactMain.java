package jenzyme.runtime.api;

import java.io.ObjectInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import jenzyme.runtime.ship.CompiledArtifact;

/**
 * Run by {@link ShippedArtifactTest} in a separate JVM without the worker: loads the artefact file named by the
 * first argument and prints the value and gradient of {@code decayLoss} at (2, 0.7) as hex doubles (exact).
 */
final class ShippedArtifactMain {

    public static void main(String[] args) throws Exception {
        CompiledArtifact artifact;
        try (ObjectInputStream in = new ObjectInputStream(Files.newInputStream(Path.of(args[0])))) {
            artifact = (CompiledArtifact) in.readObject();
        }
        double[] p = {2.0, 0.7}, dp = new double[2];
        double value = Gradient.of(artifact).valueAndGradient(p, dp, ShippedArtifactTest.T, ShippedArtifactTest.Y);
        System.out.println(Double.toHexString(value) + " " + Double.toHexString(dp[0]) + " " + Double.toHexString(dp[1]));
    }
}
