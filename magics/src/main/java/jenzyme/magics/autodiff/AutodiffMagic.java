package jenzyme.magics.autodiff;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
import jenzyme.runtime.BatchedForward;
import jenzyme.runtime.Derivative;
import jenzyme.runtime.Jacobian;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.ad.JacobianOptions;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.error.Messages;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;

/**
 * {@code %autodiff reverse|forward f [param=Activity ...] [--name g] [--dump] [--ad-before-opt]} and
 * {@code %autodiff hvp f}: differentiates a cell method through the whole pipeline and binds the derivative as cell
 * methods (docs/MAGICS.md).
 */
public final class AutodiffMagic extends SyntaxMagic {

    static final MagicLine.Syntax SYNTAX = new MagicLine.Syntax(
            "%autodiff reverse|forward|hvp|jacobian|rule <method> [param=Const|Active|Duplicated|DuplicatedNoNeed ...]"
                    + " [--name <base>] [--wrt <x>] [--out <y>] [--mode forward|reverse] [--width <lanes>]"
                    + " [--checkpoint [--segment <K>]] [--dense] [--dump] [--ad-before-opt] [--fast-math] [--verbose]",
            """
            Differentiates a cell method with Enzyme and binds the derivative as new cell methods.

            Activities (defaults: double/float → Active, double[]/float[] → Duplicated, the rest Const):
            `Const`, `Active` (its partial is returned), `Duplicated` (gradient accumulated into a shadow array),
            `DuplicatedNoNeed`. Override them per parameter name: `%autodiff reverse f n=Const`.

            Example, for `double loss(double[] p, double x, int n)`:

                %autodiff reverse loss      // LossGradient loss_grad(p, x, n): value(), dp(), dx()
                                            // double loss_grad_into(p, dp, x, n, dActive): returns the value,
                                            //   dp accumulated (+=), dActive[0] = d/dx; allocates nothing
                %autodiff forward loss      // LossTangent loss_fwd(p, tp, x, tx, n): value(), dvalue()
                %autodiff hvp rosen         // double[] rosen_hvp(double[] p, double[] v) = H(p)·v

            Vector functions `double[] f(double[] x, ...)` or `void f(double[] x, ..., double[] y)`:

                %autodiff jacobian f        // double[][] f_jac(x, ...); void f_jac_into(x, ..., double[][] J)
                %autodiff reverse f         // f returning double[]: FVjp f_vjp(x, ..., double[] ybar) (ybar·J)
                %autodiff forward f         // f returning double[]: FJvp f_jvp(x, tx, ...): value, J·tx

            `%autodiff forward f --width N` binds `f_fwd` taking N tangents after each differentiated parameter
            (`double[][]` of N arrays, or `double[]` of N values) and returning the value and N directional
            derivatives (`dvalue()`, a `double[]`) from one sweep of Enzyme's vector mode.

            `jacobian` compiles forward and reverse mode in sweeps of --width lanes (default 8: columns a forward
            sweep, rows a reverse one), and picks forward when y has more entries than x (`--mode forward|reverse`
            compiles only one); `--wrt x` names the input (default: the first double[] parameter), `--out y` the
            output of a void method (default: the last).
            Sparse Jacobians are compressed: at the first call the pattern of non-zeros is traced from the bytecode
            (every branch counted, whatever x is) and columns that share no row share a forward lane; `--dense` turns
            that off.

            Derivative rules: `%autodiff rule myerf forward=myerf_fwd reverse=myerf_rev` makes every derivative
            compiled afterwards use your derivative of `double myerf(double x)`: `double myerf_fwd(double x, double
            dx)` returns the directional derivative, `double myerf_rev(double x, double dy)` returns dy·myerf'(x)
            (for k double parameters: k tangents in, and `double[]` of the k partials out). A library method of
            doubles, named with its full class name (`%autodiff rule org.hipparchus.special.Erf.erf forward=...
            reverse=...`), is called back in the JVM for its value and differentiated by the rule.

            An instance method of an object in a notebook variable: `%autodiff reverse model.loss` binds
            `loss_grad(...)` with loss's own parameters, reading `model` at each call; the gradient with respect to
            its fields is `dmodel()`, an object of its class.

            `%autodiff reverse f --checkpoint` keeps the reverse pass's memory bounded however long f's main loop
            runs: the loop state is stored every K iterations (K adapts, at most 65536 states; `--segment K` fixes
            it) and each segment is run again to differentiate it, about twice the primal's time on top of the plain
            gradient's (docs/CHECKPOINTING.md).

            `--name g` binds g_grad instead of loss_grad; `--dump` shows the IR before and after Enzyme;
            `--ad-before-opt` differentiates unoptimised IR (for comparison); `--fast-math` lets LLVM reassociate and
            fuse floating-point operations (results within the tolerance of docs/DERIVATIVES.md); `--verbose` shows the
            time of each phase and, on failure, the IR and the Enzyme worker's messages.
            """,
            List.of("mode", "method"), Set.of("name", "wrt", "out", "mode", "width", "segment"),
            Set.of("dump", "ad-before-opt", "fast-math", "verbose", "dense", "checkpoint"));

    /** The longest segment {@code --segment} accepts (a segment's iteration count is an int in the pieces). */
    static final int MAX_SEGMENT = 1 << 30;

    private final CompilerSession compiler;

    public AutodiffMagic(CompilerSession compiler) {
        super(SYNTAX);
        this.compiler = compiler;
    }

    @Override
    protected Object run(MagicLine line) throws DefinitionException {
        if (line.positional(0).equals("rule")) {
            return rule(line);
        }
        boolean hvp = line.positional(0).equals("hvp");
        boolean jacobian = line.positional(0).equals("jacobian");
        Mode mode = hvp || jacobian ? Mode.REVERSE : mode(line.positional(0));
        boolean checkpoint = line.flag("checkpoint") || line.option("segment").isPresent();
        if (checkpoint && (hvp || jacobian || mode != Mode.REVERSE)) {
            throw new IllegalArgumentException(Messages.CHECKPOINT_MODE.format());
        }
        // model.loss: the instance method loss of the object in the notebook variable model (docs/RECORDS.md)
        Receivers.Receiver receiver = line.positional(1).contains(".") ? compiler.receiver(line.positional(1)) : null;
        if (receiver != null && checkpoint) {
            throw new IllegalArgumentException(Messages.RECEIVER_MODES.format(line.positional(1)));
        }
        UserMethod method = receiver != null ? receiver.method() : compiler.method(line.positional(1));
        String name = BindingStubs.baseName(line.option("name").orElse(method.name()));
        String self = receiver == null ? "" : receiver.variable(); // read at each call by the stubs
        if (hvp) {
            return hessianVectorProduct(method, name, line, self);
        }
        if (jacobian) {
            return jacobian(method, name, line, self);
        }
        if (line.option("wrt").isPresent() || line.option("out").isPresent() || line.option("mode").isPresent()
                || line.flag("dense") || line.option("width").isPresent() && mode != Mode.FORWARD) {
            throw new IllegalArgumentException(Messages.JACOBIAN_OPTIONS.format());
        }
        DifferentiationOptions options = DifferentiationOptions.DEFAULT
                .withDumpIr(line.flag("dump"))
                .withAdBeforeOptimisation(line.flag("ad-before-opt"))
                .withFastMath(line.flag("fast-math"));
        int width = line.option("width").map(AutodiffMagic::width).orElse(1);
        if (width > 1) {
            return batchedForward(method, name, line, options, width, self);
        }

        Derivative derivative;
        if (receiver == null) {
            derivative = checkpoint
                    ? compiler.checkpointed(method, activities(line.assignments()), options,
                            line.option("segment").map(AutodiffMagic::segment).orElse(0), line.rerun("%autodiff"))
                    : compiler.differentiate(method, mode, activities(line.assignments()), options, 1,
                            line.rerun("%autodiff"));
        } else {
            derivative = Receivers.named(compiler.differentiate(method, mode,
                    Receivers.overrides(self, activities(line.assignments())), options, 1, line.rerun("%autodiff")),
                    self);
        }
        CompilerSession.Bound bound = compiler.bind(name + "/" + mode, target(line), method, derivative.entry(),
                mode == Mode.REVERSE ? BindingStubs.reverse(name, derivative, self)
                        : jenzyme.magics.binding.ForwardStubs.forward(name, derivative, self), derivative);

        List<String> activities = derivative.entry().javaParameters().stream()
                .map(p -> p.name() + "=" + display(derivative.convention().activities()
                        .get(derivative.entry().parameters().indexOf(p))))
                .toList(); // a record's components one by one: s.x=Active, s.w=Duplicated
        Map<String, String> dumps = new LinkedHashMap<>();
        if (line.flag("dump")) {
            dumps.put("IR before Enzyme", derivative.irBeforeEnzyme());
            dumps.put("IR after Enzyme", derivative.irAfterEnzyme());
        }
        return new CompileSummary((mode == Mode.REVERSE ? Messages.BOUND_REVERSE : Messages.BOUND_FORWARD)
                .format(line.positional(1)), bound.signatures(), activities, derivative.timings(), dumps)
                .withPhase("jshell stubs", bound.stubTime()).toDisplayData(line.flag("verbose"));
    }

    /** {@code %autodiff forward f --width N}: {@code f_fwd} taking N tangents per parameter, N derivatives out. */
    private DisplayData batchedForward(UserMethod method, String name, MagicLine line, DifferentiationOptions options,
                                       int width, String self) throws DefinitionException {
        Derivative derivative = compiler.differentiate(method, Mode.FORWARD, Receivers.overrides(self,
                activities(line.assignments())), options, width, line.rerun("%autodiff"));
        if (derivative.entry().returnType() != jenzyme.runtime.lower.JavaType.DOUBLE) {
            derivative.close();
            throw new IllegalArgumentException(Messages.BATCH_SHAPE.format(derivative.entry().methodAsWritten()));
        }
        if (!self.isEmpty()) {
            derivative = Receivers.named(derivative, self);
        }
        BatchedForward batched = new BatchedForward(derivative);
        CompilerSession.Bound bound = compiler.bind(name + "/" + Mode.FORWARD, target(line), method, derivative.entry(),
                jenzyme.magics.binding.ForwardStubs.batchedForward(name, batched, self), batched);
        return new CompileSummary(Messages.BOUND_FORWARD.format(line.positional(1)), bound.signatures(), List.of(),
                derivative.timings(), Map.of()).withPhase("jshell stubs", bound.stubTime())
                .toDisplayData(line.flag("verbose"));
    }

    private String rule(MagicLine line) {
        Map<String, String> given = new LinkedHashMap<>(line.assignments());
        java.util.Optional<String> forward = java.util.Optional.ofNullable(given.remove("forward"));
        java.util.Optional<String> reverse = java.util.Optional.ofNullable(given.remove("reverse"));
        if (!given.isEmpty() || !line.options().isEmpty() || !line.flags().isEmpty()) {
            throw new IllegalArgumentException(Messages.RULE_OPTIONS.format(line.positional(1)));
        }
        return compiler.rule(line.positional(1), forward, reverse);
    }

    private DisplayData hessianVectorProduct(UserMethod method, String name, MagicLine line, String self)
            throws DefinitionException {
        if (line.flag("dump") || line.flag("ad-before-opt")) {
            throw new IllegalArgumentException(Messages.HVP_OPTIONS.format());
        }
        Map<String, Activity> constants = activities(line.assignments()); // only Const: hvpGradient refuses others
        Derivative derivative = compiler.hessianVectorProduct(method, self.isEmpty() ? constants
                : Receivers.overrides(self, constants), line.rerun("%autodiff"));
        if (!self.isEmpty()) {
            derivative = Receivers.named(derivative, self);
        }
        CompilerSession.Bound bound = compiler.bind(name + "/hvp", target(line), method, derivative.entry(),
                jenzyme.magics.binding.HessianStubs.of(name, derivative, self), derivative);
        return new CompileSummary(Messages.BOUND_HVP.format(line.positional(1)),
                bound.signatures(), List.of(), derivative.timings(), Map.of())
                .withPhase("jshell stubs", bound.stubTime()).toDisplayData(line.flag("verbose"));
    }

    private DisplayData jacobian(UserMethod method, String name, MagicLine line, String self)
            throws DefinitionException {
        JacobianOptions options = JacobianOptions.DEFAULT;
        if (line.option("mode").isPresent()) {
            options = options.withMode(switch (line.option("mode").get()) {
                case "forward" -> Mode.FORWARD;
                case "reverse" -> Mode.REVERSE;
                default -> throw new IllegalArgumentException(
                        Messages.UNKNOWN_JACOBIAN_MODE.format(line.option("mode").get()));
            });
        }
        if (line.option("width").isPresent()) {
            options = options.withWidth(width(line.option("width").get()));
        }
        // a receiver's fields are named through the variable on the magic line (model.w), this.w in the entry
        options = line.option("wrt").map(wrt -> Receivers.lowered(wrt, self)).map(options::withWrt).orElse(options);
        options = line.option("out").map(out -> Receivers.lowered(out, self)).map(options::withOut).orElse(options)
                .withFastMath(line.flag("fast-math")).withDense(line.flag("dense"));
        CompilerSession.BoundJacobian bound = compiler.jacobian(method, options, line.rerun("%autodiff"));
        Jacobian jacobian = bound.jacobian();
        jenzyme.runtime.lower.EntryPoint entry = self.isEmpty() ? jacobian.shape().entry()
                : Receivers.named(jacobian.shape().entry(), self);
        CompilerSession.Bound stubs = compiler.bind(name + "/jacobian", target(line), method, entry,
                jenzyme.magics.binding.JacobianStubs.of(name, jacobian, entry, bound.into(), self), jacobian);
        String modes = jacobian.forward() == null ? Messages.JACOBIAN_REVERSE.format()
                : jacobian.reverse() == null ? Messages.JACOBIAN_FORWARD.format(jacobian.width())
                : Messages.JACOBIAN_BOTH.format(jacobian.width());
        Map<String, Duration> timings = new LinkedHashMap<>();
        if (jacobian.forward() != null) {
            jacobian.forward().timings().forEach((phase, time) -> timings.put("forward " + phase, time));
        }
        if (jacobian.reverse() != null) {
            jacobian.reverse().timings().forEach((phase, time) -> timings.put("reverse " + phase, time));
        }
        String output = entry.returnsArray() ? method.name() : entry.parameters().get(jacobian.shape().output()).name();
        return new CompileSummary(Messages.BOUND_JACOBIAN.format(output, entry.parameters().get(jacobian.shape()
                .input()).name(),
                line.positional(1), modes), stubs.signatures(), List.of(), timings, Map.of())
                .withPhase("jshell stubs", stubs.stubTime()).toDisplayData(line.flag("verbose"));
    }

    /** The lanes of {@code --width}: a number in 1..MAX_WIDTH; 0 or a negative count is refused, not defaulted. */
    static int width(String word) {
        int width;
        try {
            width = Integer.parseInt(word.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(Messages.WIDTH.format(word, CallingConvention.MAX_WIDTH));
        }
        if (width < 1 || width > CallingConvention.MAX_WIDTH) {
            throw new IllegalArgumentException(Messages.WIDTH.format(word, CallingConvention.MAX_WIDTH));
        }
        return width;
    }

    /** The iterations of {@code --segment}: a number in 1..MAX_SEGMENT. */
    static int segment(String word) {
        try {
            int segment = Integer.parseInt(word.strip());
            if (segment >= 1 && segment <= MAX_SEGMENT) {
                return segment;
            }
        } catch (NumberFormatException e) {
            // refused below, in the same words as an out-of-range number
        }
        throw new IllegalArgumentException(Messages.CHECKPOINT_SEGMENT.format(word, MAX_SEGMENT));
    }

    private static Mode mode(String word) {
        return switch (word) {
            case "reverse" -> Mode.REVERSE;
            case "forward" -> Mode.FORWARD;
            default -> throw new IllegalArgumentException(Messages.UNKNOWN_MODE.format(word, SYNTAX.usage()));
        };
    }

    /** What the line compiles, {@code sp.e} or {@code e}, for the ownership of the names it binds. */
    private static CompilerSession.Target target(MagicLine line) {
        return new CompilerSession.Target(line.positional(1), line.option("name").isPresent());
    }

    private static Map<String, Activity> activities(Map<String, String> assignments) {
        Map<String, Activity> activities = new LinkedHashMap<>();
        assignments.forEach((parameter, value) -> activities.put(parameter, activity(parameter, value)));
        return activities;
    }

    private static Activity activity(String parameter, String word) {
        return switch (word.toLowerCase(Locale.ROOT)) {
            case "const" -> Activity.CONST;
            case "active" -> Activity.ACTIVE;
            case "duplicated", "dup" -> Activity.DUPLICATED;
            case "duplicatednoneed" -> Activity.DUPLICATED_NONEED;
            default -> throw new IllegalArgumentException(Messages.UNKNOWN_ACTIVITY.format(parameter, word));
        };
    }

    private static String display(Activity activity) {
        return switch (activity) {
            case CONST -> "Const";
            case ACTIVE -> "Active";
            case DUPLICATED -> "Duplicated";
            case DUPLICATED_NONEED -> "DuplicatedNoNeed";
        };
    }
}
