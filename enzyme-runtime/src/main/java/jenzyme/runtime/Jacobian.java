package jenzyme.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import jenzyme.runtime.ad.CallingConvention.HandleParameter;
import jenzyme.runtime.ad.JacobianShape;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.bind.LaneTable;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.ClassBytesSource;
import jenzyme.runtime.lower.MethodRef;
import jenzyme.runtime.sparse.ColumnCompression;
import jenzyme.runtime.sparse.SparsityPattern;

/**
 * The Jacobian dy/dx of a vector function, compiled (see {@link Pipeline#jacobian}): a forward-mode derivative of
 * {@code width} lanes (one sweep gives {@code width} columns), a reverse-mode one (one sweep gives as many rows as it
 * has lanes), or both,
 * when {@link #into} picks forward if y has more entries than x and reverse otherwise. Allocation-free after a
 * thread's first call at a given size: seeds, tangents and cotangents live in per-thread scratch. Closing it frees
 * the native code.
 *
 * <p>Sparse Jacobians are compressed (unless compiled {@code dense}): at the first call with given array lengths
 * and integer arguments the method's sparsity pattern is traced ({@link jenzyme.runtime.sparse.DependencyTracer})
 * and its columns coloured, and when that takes fewer sweeps, each forward lane is seeded with all the columns of
 * one colour and the Jacobian is read back from the compressed one. The 20×20 Lorenz-96 right-hand side needs 4
 * lanes instead of 20 columns or 20 reverse sweeps. When the colours are fewer than the compiled lanes, a forward
 * derivative of as many lanes as colours is compiled at that first call (an idle lane costs as much as a busy one).
 *
 * <p>A method writing the fields of an object from the JVM takes it as its leaves ({@code lower.ObjectLayout}); every
 * sweep starts from their state at the call's entry and the call leaves them as one run of the method does
 * ({@link JacobianSweepArguments}), as for the arrays and static arrays it writes and reads back. A Jacobian with
 * such an object is dense.
 */
public final class Jacobian implements AutoCloseable {

    private final JacobianShape shape;
    private final Derivative forward;
    private final Derivative reverse;
    /** The compiled forward derivative's sweeps; null when only reverse mode was compiled. */
    private final ForwardSweep wide;
    private final MethodHandle reverseSweep;
    private final ThreadLocal<JacobianScratch> scratch;
    /** Where {@link #into}'s arguments hold x and y: native parameter indices, shifted past the lambdas before. */
    private final int inputArgument;
    private final int outputArgument;
    private final int argumentCount;
    /** Where the method's class files are, for tracing its sparsity pattern; null when compiled dense. */
    private final ClassBytesSource classes;
    /** Methods with a derivative rule when this Jacobian was compiled: the tracer takes their rule's dependencies. */
    private final Set<MethodRef> ruled;
    /** Compiles the forward derivative in sweeps of the given lanes; null: never narrower than {@link #wide}. */
    private final IntFunction<Derivative> forwardOfWidth;
    /** The narrower forward derivatives compiled so far, by lanes (guarded by this). */
    private final Map<Integer, ForwardSweep> narrower = new HashMap<>();
    /** The compression of the latest arguments' lengths and integers (traced again when they change). */
    private volatile Compressed compressed;

    /** A forward derivative's sweep: lanes per sweep, its handle as {@link #sweep(Derivative)}, its output slots. */
    private record ForwardSweep(Derivative derivative, int width, MethodHandle handle, int slots) {}

    /** A compression and the forward sweep of its lanes; {@code sweep} is null when not compressed. */
    private record Compressed(ColumnCompression compression, ForwardSweep sweep) {}

    /** Every call of a Jacobian compiled dense. */
    private static final Compressed DENSE = new Compressed(null, null);

    /**
     * @param forward, reverse at least one of them; a forward one may be batched (width > 1); both may dispatch on
     *                         lambdas ({@link LambdaDispatch}), which {@link #into} then takes in their places
     * @param classes          where to read the method for its sparsity pattern, or null: never compress
     * @param statics          where the method's static fields are read from (the binders' {@code classes})
     * @param ruled            the methods with a derivative rule in the compiled code
     * @param forwardOfWidth   compiles {@code forward} with other lanes, or null: compressed sweeps use its lanes
     */
    Jacobian(JacobianShape shape, Derivative forward, Derivative reverse, ClassBytesSource classes,
             ClassBytesSource statics, Set<MethodRef> ruled, IntFunction<Derivative> forwardOfWidth) {
        if (forward == null && reverse == null) {
            throw new IllegalArgumentException(Messages.JACOBIAN_NEEDS_DERIVATIVE.format());
        }
        this.shape = shape;
        this.forward = forward;
        this.reverse = reverse;
        // The arguments are the handle's primal parameters and lambdas, in order.
        List<HandleParameter> parameters = LambdaDispatch.handleParameters(forward != null ? forward : reverse);
        int count = 0;
        int input = -1;
        int output = -1;
        for (HandleParameter parameter : parameters) {
            if (parameter == null || parameter.role() == HandleParameter.Role.PRIMAL) {
                if (parameter != null && parameter.javaParameter() == shape.input()) {
                    input = count;
                } else if (parameter != null && parameter.javaParameter() == shape.output()) {
                    output = count;
                }
                count++;
            }
        }
        JacobianSweepArguments.Layout layout = JacobianSweepArguments.Layout.of(parameters, shape, statics);
        this.inputArgument = input;
        this.outputArgument = shape.entry().returnsArray() ? -1 : output;
        this.argumentCount = shape.entry().returnsArray() ? count - 1 : count; // not the hidden result array
        this.wide = forward == null ? null : forwardSweep(forward);
        this.reverseSweep = reverse == null ? null : sweep(reverse);
        this.scratch = ThreadLocal.withInitial(() -> new JacobianScratch(layout));
        this.classes = forward == null ? null : classes;
        this.ruled = Set.copyOf(ruled);
        this.forwardOfWidth = forwardOfWidth;
    }

    public JacobianShape shape() {
        return shape;
    }

    /** The forward-mode derivative, or null when only reverse mode was compiled. */
    public Derivative forward() {
        return forward;
    }

    /** The reverse-mode derivative, or null when only forward mode was compiled. */
    public Derivative reverse() {
        return reverse;
    }

    /** Lanes of one forward sweep (1 when only reverse mode was compiled). */
    public int width() {
        return forward == null ? 1 : forward.convention().width();
    }

    /** Rows of one reverse sweep (1 when only forward mode was compiled). */
    public int reverseWidth() {
        return reverse == null ? 1 : reverse.convention().width();
    }

    /** The sparsity pattern the latest call was compressed by; empty when it was not (dense, or not traceable). */
    public java.util.Optional<SparsityPattern> compressedPattern() {
        Compressed known = compressed;
        return java.util.Optional.ofNullable(known == null || known.sweep() == null ? null
                : known.compression().pattern());
    }

    /** Lanes of the forward sweeps of the latest compressed call; 0 when it was not compressed. */
    public int compressedWidth() {
        Compressed known = compressed;
        return known == null || known.sweep() == null ? 0 : known.sweep().width();
    }

    /** The mode {@link #into} uses for {@code outputs} entries of y and {@code inputs} of x. */
    public Mode modeFor(int outputs, int inputs) {
        if (forward == null || reverse == null) {
            return forward == null ? Mode.REVERSE : Mode.FORWARD;
        }
        return outputs > inputs ? Mode.FORWARD : Mode.REVERSE;
    }

    /**
     * {@code jacobian[i][j] = dy[i]/dx[j]} at {@code arguments} (the method's parameters, a record's components one
     * by one, a lambda as it is; for the out-parameter form y is among them and receives the value of f).
     *
     * @throws IllegalArgumentException if {@code jacobian} is not m rows of n columns (m = length of y, n of x)
     */
    public void into(double[][] jacobian, Object... arguments) {
        if (arguments.length != argumentCount) {
            throw new IllegalArgumentException(Messages.ARGUMENT_COUNT.format(shape.entry().methodAsWritten(),
                    argumentCount, arguments.length));
        }
        double[] x = (double[]) arguments[inputArgument];
        int n = x.length;
        JacobianScratch s = scratch.get();
        double[] y = outputArgument < 0 ? s.result(jacobian.length) : (double[]) arguments[outputArgument];
        int m = y.length;
        checkRows(jacobian, m, n);
        try {
            Compressed compressed = compression(arguments, m, n);
            ForwardSweep lanes = compressed.sweep() != null ? compressed.sweep()
                    : modeFor(m, n) == Mode.FORWARD ? wide : null;
            Object[] rest = s.arguments.begin(arguments, lanes != null ? lanes.width()
                    : reverseWidth());
            if (compressed.sweep() != null) {
                compressedColumns(jacobian, x, y, rest, s, compressed.compression(), compressed.sweep());
            } else if (modeFor(m, n) == Mode.FORWARD) {
                forwardColumns(jacobian, x, y, rest, s);
            } else {
                reverseRows(jacobian, x, y, rest, s);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            s.arguments.end();
        }
    }

    private void forwardColumns(double[][] jacobian, double[] x, double[] y, Object[] rest, JacobianScratch s)
            throws Throwable {
        int n = x.length;
        int m = y.length;
        int width = wide.width();
        MethodHandle forwardSweep = wide.handle();
        double[] out = s.out(wide.slots());
        if (width == 1) {
            double[] tx = s.dx(n);
            double[] ty = s.dy(m);
            for (int j = 0; j < n; j++) {
                Arrays.fill(tx, 0);
                Arrays.fill(ty, 0); // outputs f leaves unwritten keep a zero tangent, not the last column's
                tx[j] = 1;
                s.arguments.beforeSweep();
                forwardSweep.invokeExact((Object) x, (Object) tx, (Object) y, (Object) ty, out, rest);
                for (int i = 0; i < m; i++) {
                    jacobian[i][j] = ty[i];
                }
            }
            return;
        }
        for (int first = 0; first < n; first += width) {
            int lanes = Math.min(width, n - first);
            double[] lanesOut = UnitLaneSweep.run(forwardSweep, Mode.FORWARD, width, first, lanes, x, y, out, rest, s);
            for (int i = 0; i < m; i++) {
                double[] row = jacobian[i];
                for (int lane = 0; lane < lanes; lane++) {
                    row[first + lane] = lanesOut[lane * m + i];
                }
            }
        }
    }

    /** The compression for these arguments, traced at the first call they fit no earlier one. */
    private Compressed compression(Object[] arguments, int m, int n) {
        if (classes == null) {
            return DENSE;
        }
        Compressed known = compressed;
        if (known == null || !known.compression().holdsFor(arguments, m)) {
            known = decide(arguments, m, n);
            compressed = known;
        }
        return known;
    }

    /** Traces and colours; compiles a forward derivative of as many lanes as colours if the compiled one has more. */
    private synchronized Compressed decide(Object[] arguments, int m, int n) {
        int denseSweeps = modeFor(m, n) == Mode.FORWARD ? (n + width() - 1) / width() : m;
        // the positions in the arguments as passed (a lambda counts; it has no native parameter)
        ColumnCompression decided = ColumnCompression.decide(classes, ruled, shape.entry(), arguments, inputArgument,
                outputArgument, m, width(), denseSweeps, forwardOfWidth != null);
        if (decided.pattern() == null) {
            return new Compressed(decided, null);
        }
        if (decided.width() == width()) {
            return new Compressed(decided, wide);
        }
        ForwardSweep narrow = narrower.get(decided.width());
        if (narrow == null) {
            narrow = forwardSweep(forwardOfWidth.apply(decided.width()));
            narrower.put(decided.width(), narrow);
        }
        return new Compressed(decided, narrow);
    }

    /**
     * The forward sweeps of a compressed Jacobian, each sweep's entries written by its {@link
     * jenzyme.runtime.sparse.Scatter}. With one sweep the scatter zeroes each row just before writing it, in one pass
     * over the matrix.
     */
    private void compressedColumns(double[][] jacobian, double[] x, double[] y, Object[] rest, JacobianScratch s,
                                   ColumnCompression compressed, ForwardSweep forward) throws Throwable {
        int sweeps = compressed.sweeps();
        if (sweeps > 1) {
            for (double[] row : jacobian) {
                Arrays.fill(row, 0);
            }
        }
        int stride = forward.width() * x.length;
        for (int sweep = 0; sweep < sweeps; sweep++) {
            double[] lanes = sweep(forward, compressed.seeds(), sweep * stride, x, y, rest, s);
            compressed.scatters().get(sweep).write(jacobian, lanes);
        }
    }

    /**
     * One forward sweep of {@code forward} whose x lanes are {@code seeds[offset..]} ({@code width} lanes of n);
     * returns y's tangent lanes, lane l's entry i at {@code l * m + i}.
     */
    private static double[] sweep(ForwardSweep forward, double[] seeds, int offset, double[] x, double[] y,
                                  Object[] rest, JacobianScratch s) throws Throwable {
        int n = x.length;
        int m = y.length;
        double[] out = s.out(forward.slots());
        if (forward.width() == 1) {
            double[] tx = s.dx(n);
            double[] ty = s.dy(m);
            System.arraycopy(seeds, offset, tx, 0, n);
            Arrays.fill(ty, 0);
            s.arguments.beforeSweep();
            forward.handle().invokeExact((Object) x, (Object) tx, (Object) y, (Object) ty, out, rest);
            return ty;
        }
        LaneTable xLanes = s.xLanes(forward.width());
        LaneTable yLanes = s.yLanes(forward.width());
        MemorySegment seedTable = xLanes.ensure(n);
        MemorySegment tangents = yLanes.ensure(m);
        xLanes.copyAllIn(seeds, offset);
        yLanes.clear();
        s.arguments.beforeSweep();
        forward.handle().invokeExact((Object) x, (Object) seedTable, (Object) y, (Object) tangents, out, rest);
        double[] lanes = s.lanes(forward.width() * m);
        yLanes.copyAllOut(lanes);
        return lanes;
    }

    /**
     * Rows by reverse sweeps: {@code width} rows a sweep in Enzyme's vector mode (lane l of y's cotangents seeds row
     * {@code first + l}, lane l of x's adjoints is that row), else one. A sweep runs the method forward once and then
     * backward in every lane: on the 20x20 Lorenz-96 row single-lane sweeps cost 700 ns each, most of it the primal's
     * 60 integer remainders, recomputed in the backward sweep, and the tape's ten reallocations, the same for one
     * lane as for eight.
     */
    private void reverseRows(double[][] jacobian, double[] x, double[] y, Object[] rest, JacobianScratch s)
            throws Throwable {
        int n = x.length;
        int m = y.length;
        double[] out = s.out(reverse.convention().slots().size());
        int width = reverseWidth();
        if (width > 1) {
            for (int first = 0; first < m; first += width) {
                int lanes = Math.min(width, m - first);
                double[] rows = UnitLaneSweep.run(reverseSweep, Mode.REVERSE, width, first, lanes, x, y, out, rest, s);
                for (int lane = 0; lane < lanes; lane++) {
                    System.arraycopy(rows, lane * n, jacobian[first + lane], 0, n);
                }
            }
            return;
        }
        double[] dx = s.dx(n);
        double[] dy = s.dy(m);
        for (int i = 0; i < m; i++) {
            Arrays.fill(dx, 0);
            Arrays.fill(dy, 0); // Enzyme consumes (zeroes) the output's cotangent
            dy[i] = 1;
            s.arguments.beforeSweep();
            reverseSweep.invokeExact((Object) x, (Object) dx, (Object) y, (Object) dy, out, rest);
            System.arraycopy(dx, 0, jacobian[i], 0, n);
        }
    }

    private static void checkRows(double[][] jacobian, int m, int n) {
        boolean fits = jacobian.length == m;
        for (int i = 0; fits && i < m; i++) {
            fits = jacobian[i] != null && jacobian[i].length == n;
        }
        if (!fits) {
            throw new IllegalArgumentException(Messages.JACOBIAN_ROWS.format(m, n, jacobian.length + " rows"
                    + (jacobian.length > 0 && jacobian[0] != null ? " of " + jacobian[0].length : "")));
        }
    }

    private ForwardSweep forwardSweep(Derivative derivative) {
        return new ForwardSweep(derivative, derivative.convention().width(), sweep(derivative),
                derivative.convention().slots().size());
    }

    /**
     * The derivative's handle as {@code (Object x, Object dx, Object y, Object dy, double[] out, Object[] rest)}:
     * x and y with their shadows (arrays, or lane tables in batched mode), the output slots, then every other
     * parameter (lambdas included) in order.
     */
    private MethodHandle sweep(Derivative derivative) {
        List<HandleParameter> parameters = LambdaDispatch.handleParameters(derivative);
        MethodHandle handle = derivative.handle();
        int count = parameters.size();
        MethodHandle generic = handle.asType(MethodType.genericMethodType(count).changeReturnType(void.class)
                .changeParameterType(count - 1, double[].class));
        int rests = count - 5;
        MethodType target = MethodType.genericMethodType(4 + rests).changeReturnType(void.class)
                .insertParameterTypes(4, double[].class);
        int[] reorder = new int[count];
        int next = 5;
        for (int k = 0; k < count; k++) {
            HandleParameter parameter = parameters.get(k);
            if (parameter == null) { // a lambda
                reorder[k] = next++;
                continue;
            }
            boolean shadow = parameter.role() != HandleParameter.Role.PRIMAL;
            if (parameter.role() == HandleParameter.Role.OUT) {
                reorder[k] = 4;
            } else if (parameter.javaParameter() == shape.input()) {
                reorder[k] = shadow ? 1 : 0;
            } else if (parameter.javaParameter() == shape.output()) {
                reorder[k] = shadow ? 3 : 2;
            } else {
                reorder[k] = next++;
            }
        }
        MethodHandle permuted = MethodHandles.permuteArguments(generic, target, reorder);
        return permuted.asSpreader(Object[].class, rests);
    }

    @Override
    public synchronized void close() {
        if (forward != null) {
            forward.close();
        }
        narrower.values().forEach(sweep -> sweep.derivative().close());
        if (reverse != null) {
            reverse.close();
        }
    }
}
