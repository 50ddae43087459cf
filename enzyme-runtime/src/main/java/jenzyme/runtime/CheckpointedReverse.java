package jenzyme.runtime;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.ad.CallingConvention.HandleParameter;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.ad.OutputSlot;
import jenzyme.runtime.ad.WrapperSignature;
import jenzyme.runtime.checkpoint.LoopSplit;
import jenzyme.runtime.checkpoint.Segments;
import jenzyme.runtime.error.DifferentiationException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.NativeParameter;

/**
 * A reverse-mode derivative whose tape stays bounded however long the method's main loop runs: the method is split
 * at the loop ({@link LoopSplit}) into {@code pre}, {@code seg} (at most K iterations) and {@code post}, each compiled
 * by the ordinary pipeline, natively and as Enzyme's reverse derivative; a call then runs {@code pre} and the
 * segments natively, storing the loop state before each segment ({@link Segments}), and goes back through
 * {@code post}'s derivative, each segment's derivative from its stored state, last to first, and {@code pre}'s
 * derivative, carrying the adjoint of the loop state from one to the next. Cost: the loop runs twice forward (once
 * natively, once inside each segment's derivative) and once backward; memory: the stored states plus one segment's
 * tape.
 *
 * <p>The handle has the type and the shadow convention of {@link Pipeline#reverse}'s ({@link
 * CallingConvention#handleType()}): every piece receives the caller's shadows, so array adjoints accumulate across
 * the pieces, and the out slots are the sums of the pieces' (the primal value from {@code post}).
 */
final class CheckpointedReverse {

    private final CallingConvention convention;
    private final LoopSplit.Split split;
    private final Segments segments;
    private final NativeMethod preNative;
    private final NativeMethod segNative;
    private final Derivative pre;
    private final Derivative seg;
    private final Derivative post;
    private final MethodHandle segForward;
    private final MethodHandle segReverse;
    /** The state's length the last call needed: numbers, then the elements of the carried arrays. */
    private volatile int stateLength;

    private CheckpointedReverse(CallingConvention convention, LoopSplit.Split split, int segment,
                                NativeMethod preNative, NativeMethod segNative, Derivative pre, Derivative seg,
                                Derivative post) {
        this.convention = convention;
        this.split = split;
        this.segments = new Segments(segment);
        this.preNative = preNative;
        this.segNative = segNative;
        this.pre = pre;
        this.seg = seg;
        this.post = post;
        this.segForward = spread(segNative.copyingHandle());
        this.segReverse = spread(seg.handle());
        this.stateLength = split.doubles();
    }

    static Derivative derivative(Pipeline pipeline, JavaMethod method, EntryPoint entry,
                                 Map<String, Activity> overrides, DifferentiationOptions options, int segment) {
        if (entry.hasRecordParameters() || entry.returnType() != JavaType.DOUBLE && entry.returnType() != JavaType.FLOAT
                || entry.parameters().stream().anyMatch(p -> p.type().isMatrix())) {
            throw DifferentiationException.refused(entry.methodAsWritten(),
                    Messages.CHECKPOINT_SHAPE.format(entry.methodAsWritten()));
        }
        CallingConvention convention = CallingConvention.of(entry, Mode.REVERSE, overrides, options.primalReturn());
        List<String> names = entry.parameters().stream().map(NativeParameter::name).toList();
        LoopSplit.Split split = LoopSplit.of(method.classes(), method.ownerInternalName(), method.name(),
                method.descriptor(), entry.methodAsWritten(), names);
        // In seg the scalar parameters are read from the state (pre stored them): their own values are dead there.
        Map<String, Activity> segOverrides = new LinkedHashMap<>(overrides);
        entry.parameters().stream().filter(p -> !p.type().isArray())
                .forEach(p -> segOverrides.put(p.name(), Activity.CONST));
        List<AutoCloseable> made = new ArrayList<>();
        try {
            JavaMethod preMethod = piece(split, split.preDescriptor());
            JavaMethod segMethod = piece(split, split.segDescriptor());
            NativeMethod preNative = keep(made, pipeline.compile(preMethod, options));
            NativeMethod segNative = keep(made, pipeline.compile(segMethod, options));
            DifferentiationOptions inner = options.withDumpIr(false);
            Derivative pre = keep(made, pipeline.reverse(preMethod, overrides, inner));
            Derivative seg = keep(made, pipeline.reverse(segMethod, segOverrides, inner));
            Derivative post = keep(made, pipeline.reverse(piece(split, split.postDescriptor()), overrides, options));
            CheckpointedReverse driver = new CheckpointedReverse(convention, split, segment, preNative, segNative,
                    pre, seg, post);
            // The post piece's code carries the others: closing the derivative frees all five.
            made.stream().filter(c -> c != post).forEach(post.code()::closeWith);
            List<String> reached = new jenzyme.runtime.lower.SubsetExplainer(method.classes()).reachable(
                    method.ownerInternalName(), method.name(), method.descriptor());
            return new Derivative(convention, new WrapperSignature(entry.symbol(), convention.wrapperParameters(),
                    convention.slots()), driver.handle(), timings(pre, seg, post), post.irBeforeEnzyme(),
                    post.irAfterEnzyme(), reached, post.code(), new byte[0]);
        } catch (RuntimeException e) {
            made.forEach(CheckpointedReverse::closeQuietly);
            throw e;
        }
    }

    private static JavaMethod piece(LoopSplit.Split split, String descriptor) {
        return new JavaMethod(split.classes(), split.owner(), split.name(), descriptor);
    }

    private static <T extends AutoCloseable> T keep(List<AutoCloseable> made, T compiled) {
        made.add(compiled);
        return compiled;
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception ignored) {
            // already failing: the first exception is the one to report
        }
    }

    private static Map<String, Duration> timings(Derivative pre, Derivative seg, Derivative post) {
        Map<String, Duration> all = new LinkedHashMap<>();
        pre.timings().forEach((phase, time) -> all.put("pre " + phase, time));
        seg.timings().forEach((phase, time) -> all.put("segment " + phase, time));
        post.timings().forEach((phase, time) -> all.put("post " + phase, time));
        return all;
    }

    /** {@link CallingConvention#handleType()}: the arguments collected and passed to {@link #call}. */
    private MethodHandle handle() {
        try {
            MethodType type = convention.handleType();
            return MethodHandles.lookup().findVirtual(CheckpointedReverse.class, "call",
                            MethodType.methodType(void.class, Object[].class)).bindTo(this)
                    .asCollector(Object[].class, type.parameterCount()).asType(type);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One gradient: the arguments as {@link CallingConvention#handleParameters()} lists them. */
    private void call(Object[] arguments) throws Throwable {
        List<WatchedArray> parameterArrays = split.storesArrays() ? parameterArrays(arguments) : List.of();
        double[] state = new double[stateLength];
        long[] ints = new long[split.intsLength()];
        PieceCall first = primal(arguments, false);
        preNative.copyingHandle().invokeWithArguments(first.with(state, ints, 0).arguments());
        if (split.stateLength(ints) > state.length) { // pre stopped before its arrays: run it again with room
            stateLength = split.stateLength(ints);
            state = new double[stateLength];
            ints = new long[split.intsLength()];
            preNative.copyingHandle().invokeWithArguments(first.with(state, ints, 0).arguments());
        }
        // A segment call reuses its argument array: a fresh boxed list per segment was ~20% of the garbage, and so
        // part of what grew the JVM's heap by 60-130 MiB resident at 10^8 steps (docs/CHECKPOINTING.md).
        PieceCall forward = primal(arguments, true);
        Segments.Run run = segments.forward(state, ints, split.done(),
                (s, i, k) -> {
                    segForward.invokeExact(forward.with(s, i, k).arguments()); // a statement: returns void
                });
        checkUnwritten(parameterArrays);
        double[] adjoint = new double[state.length];
        double[] out = (double[]) arguments[arguments.length - 1];
        double[] postOut = new double[post.convention().slots().size()];
        post.handle().invokeWithArguments(pieceArguments(post, arguments, adjoint, postOut).with(run.state(),
                run.ints(), 0).arguments());
        PieceCall backward = pieceArguments(seg, arguments, adjoint, new double[seg.convention().slots().size()]);
        run.backward((s, i, k) -> {
            segReverse.invokeExact(backward.with(s, i, k).arguments());
        });
        double[] preOut = new double[pre.convention().slots().size()];
        pre.handle().invokeWithArguments(pieceArguments(pre, arguments, adjoint, preOut).with(
                new double[state.length], new long[split.intsLength()], 0).arguments());
        List<OutputSlot> slots = convention.slots();
        for (int k = 0; k < slots.size(); k++) {
            OutputSlot slot = slots.get(k);
            out[k] = slot.kind() == OutputSlot.Kind.PRIMAL ? postOut[post.convention().primalSlot()]
                    : sumOf(slot.index(), post, postOut) + sumOf(slot.index(), pre, preOut);
        }
    }

    /** An array parameter of a call, with a copy of its elements from before the call. */
    private record WatchedArray(String name, Object array, Object before) {}

    /**
     * The array parameters among the arguments, each with a copy. Every piece gets them as they are and each
     * segment runs twice, so a loop that wrote one would see its own writes the second time; aliases make that
     * undecidable from the bytecode, so the forward sweep is checked instead (a copy per call, O(n)).
     */
    private List<WatchedArray> parameterArrays(Object[] arguments) {
        List<WatchedArray> arrays = new ArrayList<>();
        List<HandleParameter> parameters = convention.handleParameters();
        for (int k = 0; k < parameters.size(); k++) {
            Object argument = arguments[k];
            if (parameters.get(k).role() == HandleParameter.Role.PRIMAL && argument != null
                    && argument.getClass().isArray()) {
                String name = convention.entry().parameters().get(parameters.get(k).javaParameter()).name();
                int length = java.lang.reflect.Array.getLength(argument);
                Object copy = java.lang.reflect.Array.newInstance(argument.getClass().getComponentType(), length);
                System.arraycopy(argument, 0, copy, 0, length);
                arrays.add(new WatchedArray(name, argument, copy));
            }
        }
        return arrays;
    }

    /** Refuses, with the caller's array restored, a forward sweep that changed an array parameter's elements. */
    private static void checkUnwritten(List<WatchedArray> parameterArrays) {
        for (WatchedArray watched : parameterArrays) {
            if (!java.util.Objects.deepEquals(watched.array(), watched.before())) {
                System.arraycopy(watched.before(), 0, watched.array(), 0,
                        java.lang.reflect.Array.getLength(watched.before()));
                throw new IllegalStateException(Messages.CHECKPOINT_PARAMETER_WRITTEN.format(watched.name()));
            }
        }
    }

    /** A piece's adjoint of the parameter at LLVM index {@code llvmIndex} in {@code out}, 0 if it has none. */
    private static double sumOf(int llvmIndex, Derivative piece, double[] out) {
        List<OutputSlot> slots = piece.convention().slots();
        for (int k = 0; k < slots.size(); k++) {
            if (slots.get(k).kind() == OutputSlot.Kind.ADJOINT && slots.get(k).index() == llvmIndex) {
                return out[k];
            }
        }
        return 0;
    }

    /** {@code handle} taking its arguments as one {@code Object[]} (of {@link PieceCall#arguments()}). */
    private static MethodHandle spread(MethodHandle handle) {
        return handle.asSpreader(Object[].class, handle.type().parameterCount())
                .asType(MethodType.methodType(void.class, Object[].class));
    }

    /** A piece's arguments, and where the loop state, the ints and the segment length go among them (-1: nowhere). */
    private record PieceCall(Object[] arguments, int state, int ints, int segment) {
        PieceCall with(double[] stateNow, long[] intsNow, int length) {
            arguments[state] = stateNow;
            arguments[ints] = intsNow;
            if (segment >= 0) {
                arguments[segment] = length;
            }
            return this;
        }
    }

    /** The method's own arguments (no shadows), then the two state arrays and (seg's) the segment length. */
    private PieceCall primal(Object[] arguments, boolean segmented) {
        List<Object> primal = new ArrayList<>();
        List<HandleParameter> parameters = convention.handleParameters();
        for (int k = 0; k < parameters.size(); k++) {
            if (parameters.get(k).role() == HandleParameter.Role.PRIMAL) {
                primal.add(arguments[k]);
            }
        }
        int state = primal.size();
        Object[] call = java.util.Arrays.copyOf(primal.toArray(), state + (segmented ? 3 : 2));
        return new PieceCall(call, state, state + 1, segmented ? state + 2 : -1);
    }

    /**
     * A piece's derivative call: the caller's arguments and shadows, the state with its adjoint, the ints, the
     * segment length (seg only), out.
     */
    private PieceCall pieceArguments(Derivative piece, Object[] arguments, double[] adjoint, double[] out) {
        int original = convention.entry().parameters().size();
        List<Object> list = new ArrayList<>();
        int state = -1, ints = -1, segment = -1;
        for (HandleParameter parameter : piece.convention().handleParameters()) {
            int p = parameter.javaParameter();
            if (parameter.role() == HandleParameter.Role.OUT) {
                list.add(out);
            } else if (p < original) {
                list.add(arguments[position(p, parameter.role())]);
            } else if (p == original && parameter.role() != HandleParameter.Role.PRIMAL) {
                list.add(adjoint);
            } else {
                if (p == original) {
                    state = list.size();
                } else if (p == original + 1) {
                    ints = list.size();
                } else {
                    segment = list.size();
                }
                list.add(null);
            }
        }
        return new PieceCall(list.toArray(), state, ints, segment);
    }

    /** Where Java parameter {@code p}'s value or shadow is among the caller's arguments. */
    private int position(int p, HandleParameter.Role role) {
        List<HandleParameter> parameters = convention.handleParameters();
        for (int k = 0; k < parameters.size(); k++) {
            HandleParameter candidate = parameters.get(k);
            if (candidate.javaParameter() == p && (candidate.role() == HandleParameter.Role.PRIMAL)
                    == (role == HandleParameter.Role.PRIMAL)) {
                return k;
            }
        }
        throw new IllegalStateException(Messages.WRAPPER_INDEX_OUTSIDE.format(convention.entry().llvmSignature(), p));
    }
}
