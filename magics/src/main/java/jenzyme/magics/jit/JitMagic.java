package jenzyme.magics.jit;

import java.util.List;
import java.util.Map;
import java.util.Set;
import jenzyme.magics.DefinitionException;
import jenzyme.magics.MagicLine;
import jenzyme.magics.SyntaxMagic;
import jenzyme.magics.UserMethod;
import jenzyme.magics.binding.BindingStubs;
import jenzyme.magics.binding.CompileSummary;
import jenzyme.magics.binding.CompilerSession;
import jenzyme.magics.binding.Receivers;
import jenzyme.runtime.NativeMethod;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.EntryPoint;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;

/**
 * {@code %jit f [--name g] [--dump]}: compiles a cell method (or {@code model.loss}, an instance method of a notebook
 * variable's object) without AD and binds it as {@code f_native}.
 */
public final class JitMagic extends SyntaxMagic {

    static final MagicLine.Syntax SYNTAX = new MagicLine.Syntax("%jit <method> [--name <base>] [--dump] [--fast-math] [--verbose]",
            """
            Compiles a cell method to native code (no AD) and binds it as <method>_native with the same signature,
            to compare results and speed with the JVM. Example: `%jit loss` then `loss_native(p, 0.5, 3)`.
            `--dump` shows the LLVM IR the frontend produced; `--fast-math` lets LLVM reassociate and fuse floating-point
            operations (results within the tolerance of docs/DERIVATIVES.md, no longer the JVM's bits); `--verbose` the
            time of each phase and, on failure, the IR.
            """,
            List.of("method"), Set.of("name"), Set.of("dump", "fast-math", "verbose"));

    private final CompilerSession compiler;

    public JitMagic(CompilerSession compiler) {
        super(SYNTAX);
        this.compiler = compiler;
    }

    @Override
    protected Object run(MagicLine line) throws DefinitionException {
        // model.loss: the instance method loss of the object in the notebook variable model, read at each call
        Receivers.Receiver receiver = line.positional(0).contains(".") ? compiler.receiver(line.positional(0)) : null;
        UserMethod method = receiver != null ? receiver.method() : compiler.method(line.positional(0));
        String self = receiver == null ? "" : receiver.variable();
        String name = BindingStubs.baseName(line.option("name").orElse(method.name()));
        CompilerSession.Timed<NativeMethod> compiled = compiler.compile(method, line.flag("fast-math"));
        NativeMethod code = compiled.result();
        EntryPoint entry = self.isEmpty() ? code.entry() : Receivers.named(code.entry(), self);
        CompilerSession.Bound stubs = compiler.bind(name + "/native", new CompilerSession.Target(line.positional(0),
                line.option("name").isPresent()), method, entry, BindingStubs.nativeMethod(name,
                entry, compiler.guardedHandle(code, method, line.rerun("%jit")), self), code);
        Map<String, String> dumps = line.flag("dump") ? Map.of("LLVM IR (before O3)", code.lowered().irText())
                : Map.of();
        return new CompileSummary(Messages.BOUND_NATIVE.format(line.positional(0)), stubs.signatures(), List.of(),
                compiled.timings(), dumps).withPhase("jshell stubs", stubs.stubTime()).toDisplayData(line.flag("verbose"));
    }
}
