package jenzyme.magics.autodiff;

import java.util.List;
import java.util.Map;
import java.util.Set;
import jenzyme.magics.DefinitionException;
import jenzyme.magics.MagicLine;
import jenzyme.magics.UserMethod;
import jenzyme.runtime.NativeMethod;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.magic.LineMagic;

/** {@code %jit f [--name g] [--dump]}: compiles a cell method without AD and binds it as {@code f_native}. */
public final class JitMagic implements LineMagic<DisplayData, BaseKernel> {

    static final MagicLine.Syntax SYNTAX = new MagicLine.Syntax("%jit <method> [--name <base>] [--dump]",
            """
            Compiles a cell method to native code (no AD) and binds it as <method>_native with the same signature,
            to compare results and speed with the JVM. Example: `%jit loss` then `loss_native(p, 0.5, 3)`.
            `--dump` shows the LLVM IR the frontend produced.
            """,
            List.of("method"), Set.of("name"), Set.of("dump"));

    private final CompilerSession compiler;

    public JitMagic(CompilerSession compiler) {
        this.compiler = compiler;
    }

    @Override
    public DisplayData eval(BaseKernel kernel, List<String> words) throws DefinitionException {
        var help = SYNTAX.helpFor(words);
        if (help.isPresent()) {
            return help.get();
        }
        MagicLine line = SYNTAX.parse(words);
        UserMethod method = compiler.method(line.positional(0));
        String name = BindingStubs.baseName(line.option("name").orElse(method.name()));
        CompilerSession.Timed<NativeMethod> compiled = compiler.compile(method);
        NativeMethod code = compiled.result();
        BindingStubs.Stubs stubs = BindingStubs.nativeMethod(name, code.entry(), code.handle());
        compiler.bind(name + "/native", stubs.source(), code);
        Map<String, String> dumps = line.flag("dump") ? Map.of("LLVM IR (before O3)", code.lowered().irText())
                : Map.of();
        return new CompileSummary(method.name() + " compiled to native code, bound:", stubs.signatures(), List.of(),
                compiled.timings(), dumps).toDisplayData();
    }
}
