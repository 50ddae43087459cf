package jenzyme.magics;

import java.util.List;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.magic.LineMagic;

/**
 * A line magic described by a {@link MagicLine.Syntax}: answers {@code %magic?} with its help and hands the parsed
 * line to {@link #run}, so each magic holds only what it does.
 */
public abstract class SyntaxMagic implements LineMagic<Object, BaseKernel> {

    private final MagicLine.Syntax syntax;

    protected SyntaxMagic(MagicLine.Syntax syntax) {
        this.syntax = syntax;
    }

    @Override
    public final Object eval(BaseKernel kernel, List<String> words) throws Exception {
        var help = syntax.helpFor(words);
        return help.isPresent() ? help.get() : run(syntax.parse(words));
    }

    protected abstract Object run(MagicLine line) throws Exception;

    protected MagicLine.Syntax syntax() {
        return syntax;
    }
}
