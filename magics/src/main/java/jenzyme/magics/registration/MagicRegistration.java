package jenzyme.magics.registration;

import jenzyme.magics.NotebookSession;
import jenzyme.magics.autodiff.AutodiffMagic;
import jenzyme.magics.binding.CompilerSession;
import jenzyme.magics.classpath.ClasspathMagic;
import jenzyme.magics.explain.ExplainingAutodiff;
import jenzyme.magics.gradcheck.GradcheckMagic;
import jenzyme.magics.jit.JitMagic;
import jenzyme.magics.maven.MavenMagic;
import jenzyme.magics.plot.PlotMagic;
import jenzyme.magics.spark.SparkMagic;
import org.dflib.jjava.jupyter.kernel.magic.MagicsRegistry;

/**
 * The one place where every JEnzyme magic is registered. The kernel calls {@link #registerAll} once at startup,
 * after its JShell is running; each magic is a small class that keeps the session it needs.
 */
public final class MagicRegistration {

    private MagicRegistration() {
    }

    public static void registerAll(MagicsRegistry registry, NotebookSession session) {
        ClasspathMagic classpath = new ClasspathMagic(session);
        registry.registerLineMagic("classpath", classpath);
        registry.registerLineMagic("jars", classpath);
        MavenMagic maven = new MavenMagic(session);
        registry.registerLineMagic("maven", maven);
        registry.registerLineMagic("mavenRepo", maven.repositoryMagic());
        CompilerSession compiler = new CompilerSession(session);
        registry.registerLineMagic("autodiff", new ExplainingAutodiff(new AutodiffMagic(compiler), compiler, session));
        registry.registerLineMagic("jit", new JitMagic(compiler));
        registry.registerLineMagic("gradcheck", new GradcheckMagic(compiler));
        registry.registerLineMagic("plot", new PlotMagic(compiler));
        registry.registerLineMagic("spark", new SparkMagic(session, maven, compiler));
    }
}
