package jenzyme.magics.spark;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import jenzyme.magics.DefinitionException;
import jenzyme.magics.MagicLine;
import jenzyme.magics.NotebookSession;
import jenzyme.magics.binding.BindingStubs;
import jenzyme.magics.binding.CompilerSession;
import jenzyme.magics.maven.MavenMagic;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.ship.CompiledArtifact;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.magic.LineMagic;

/**
 * {@code %spark [master] [--workers N] [--ship-jars]}, {@code %spark ship f}, {@code %spark stop}: Apache Spark for
 * compiled derivatives (docs/MAGICS.md). Spark is loaded on demand through {@code %maven} (the kernel does not carry
 * it), with the {@code jenzyme-spark} jar the kernelspec names ({@code -Djenzyme.spark.jar}); the session itself is
 * created by cell code ({@code jenzyme.spark.NotebookSpark}), so that this module never links against Spark.
 */
public final class SparkMagic implements LineMagic<Object, BaseKernel> {

    /** The Spark the magic loads: 4.2 documents JDK 25 support (from 25.0.3). Same as the pom's spark.version. */
    static final String SPARK = "org.apache.spark:spark-sql_2.13:4.2.0";

    static final MagicLine.Syntax SYNTAX = new MagicLine.Syntax(
            "%spark [local[*] | spark://host:port] [--workers N] [--ship-jars] | %spark ship <name> | %spark stop",
            """
            Starts (or attaches to) a Spark session for running compiled derivatives on executors; binds `spark`
            (SparkSession) and `sc` (JavaSparkContext) and prints the Spark UI's URL. Spark 4.2 is loaded through
            %maven the first time (cached in ~/.m2 afterwards).

                %spark                         // local[*]: executors are threads of this kernel
                %spark spark://host:7077       // attach to a standalone cluster
                %spark --workers 2             // start a master and 2 workers (1 core each) on 127.0.0.1
                %spark ship loss               // binds CompiledArtifact loss_artifact (the %autodiff of loss)
                %spark stop                    // stops the session and any cluster %spark started

            Then `jenzyme.spark.SparkAD.fit(sc, loss_artifact, tasks, FitOptions.DEFAULT, partitions)` runs
            independent L-BFGS fits on the executors: they compile the shipped bitcode once each and need no class
            of the notebook. Executors find the JEnzyme jars at this machine's paths; `--ship-jars` sends them with
            the job instead (for workers on other machines; ~150 MB per executor, Bytedeco's LLVM).
            """,
            List.of(), Set.of("workers"), Set.of("ship-jars"));

    private final NotebookSession session;
    private final MavenMagic maven;
    private final CompilerSession compiler;
    private List<Path> sparkJars;

    public SparkMagic(NotebookSession session, MavenMagic maven, CompilerSession compiler) {
        this.session = session;
        this.maven = maven;
        this.compiler = compiler;
    }

    @Override
    public Object eval(BaseKernel kernel, List<String> words) throws DefinitionException {
        var help = SYNTAX.helpFor(words);
        if (help.isPresent()) {
            return help.get();
        }
        if (!words.isEmpty() && words.getFirst().equals("ship")) {
            return ship(words);
        }
        if (words.equals(List.of("stop"))) {
            if (sparkJars != null) {
                session.define("jenzyme.spark.NotebookSpark.stop();");
            }
            return new DisplayData("Spark stopped");
        }
        String master = "local[*]";
        int workers = 0, masters = 0;
        boolean shipJars = false;
        for (int i = 0; i < words.size(); i++) {
            String word = words.get(i);
            if (word.equals("--workers") && i + 1 < words.size() && words.get(i + 1).matches("[1-9]")) {
                workers = Integer.parseInt(words.get(++i));
            } else if (word.equals("--ship-jars")) {
                shipJars = true;
            } else if (word.matches("local(\\[[0-9*]+])?|spark://.+") && masters++ == 0) {
                master = word;
            } else {
                throw new IllegalArgumentException(Messages.SPARK_USAGE.format(word, SYNTAX.usage()));
            }
        }
        if (workers > 0 && masters > 0) {
            throw new IllegalArgumentException(Messages.SPARK_WORKERS_AND_MASTER.format());
        }
        Object loaded = loadSpark();
        String classpath = sparkJars.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
        session.define("var spark = jenzyme.spark.NotebookSpark.start(" + literal(master) + ", " + workers + ", "
                + literal(classpath) + ", " + shipJars + ");\n"
                + "var sc = jenzyme.spark.SparkSessions.context(spark);");
        return loaded;
    }

    /** Spark through %maven and our jar beside it, once per kernel; what %maven printed, or null if already there. */
    private Object loadSpark() {
        if (sparkJars != null) {
            return null;
        }
        String ours = System.getProperty("jenzyme.spark.jar", "");
        if (ours.isEmpty() || !Files.isRegularFile(Path.of(ours))) {
            throw new IllegalStateException(Messages.SPARK_JAR_MISSING.format(ours.isEmpty()
                    ? "-Djenzyme.spark.jar is not set" : ours + " does not exist"));
        }
        // Spark installs the JUL→SLF4J bridge when it finds it, and the kernel binds SLF4J to JUL: every log line
        // then looped between the two until the stack overflowed (measured: %spark hung for 600 s). Without the
        // bridge on the kernel's classpath Spark's logs simply go to JUL.
        MavenMagic.Loaded spark = maven.load(SPARK, Set.of("org.slf4j:jul-to-slf4j"));
        session.addToClasspath(List.of(Path.of(ours)));
        sparkJars = new ArrayList<>(spark.jars());
        return spark.display();
    }

    private Object ship(List<String> words) throws DefinitionException {
        if (words.size() != 2) {
            throw new IllegalArgumentException(Messages.SHIP_USAGE.format(String.join(" ", words)));
        }
        String name = BindingStubs.baseName(words.get(1));
        CompiledArtifact artifact = CompiledArtifact.of(compiler.shippable(name));
        session.define("jenzyme.runtime.ship.CompiledArtifact " + name + "_artifact = "
                + "jenzyme.magics.spark.Shipments.take(" + literal(Shipments.put(artifact)) + ");");
        return new DisplayData(name + "_artifact: the " + artifact.model().mode().token() + "-mode derivative of "
                + artifact.method() + ", " + artifact.bitcode().length + " bytes of bitcode (sha-256 "
                + artifact.hash().substring(0, 12) + "), ready for jenzyme.spark.SparkAD");
    }

    private static String literal(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
