package jenzyme.runtime.ad;

import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jenzyme.runtime.error.DifferentiationException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.FieldParameter;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.NativeParameter;

/**
 * The one model of a derivative's calling convention, derived once from the lowered method's signature, the mode
 * and the activities. Everything else is read off it: the worker request's arguments ({@link #workerArguments()}),
 * the wrapper the worker must answer with ({@link #wrapperParameters()}, {@link #slots()}, checked by
 * {@link #check}), the Java type of the bound handle ({@link #handleParameters()}) with where each wrapper argument
 * comes from ({@link #feeds()}), and the slots the generated stubs read. The activity rules are decided here, with
 * the parameter's name; the worker ({@code worker/src/spec.rs}) only validates what it is sent, and its
 * {@code wrapper::Layout::plan} is the Rust counterpart of {@link WrapperLayout}.
 *
 * <p>Defaults: floating scalars Active, floating arrays Duplicated, the rest Const. In forward mode "Active" on a
 * scalar means "has a tangent", which Enzyme spells Duplicated. A new parameter type or mode (Jacobian, batched
 * forward) changes this class, {@link WrapperLayout} and their Rust counterparts.
 */
public final class CallingConvention {

    /** One parameter of the bound handle: a Java parameter, the shadow/tangent after it, or the out buffer. */
    public record HandleParameter(Role role, Class<?> type, int javaParameter) {
        public enum Role { PRIMAL, SHADOW, TANGENT, OUT }
    }

    /**
     * Where one wrapper argument comes from at a call: the status block, or handle position {@code position}
     * passed as a heap segment (ARRAY), as that array's length (LENGTH) or as it is (VALUE); or, for the FIELD_
     * kinds, the static field {@code entry().fields().get(position)} read at the call, passed the same three ways.
     * A two-dimensional array is its row table (ROWS: native copies of its rows, built per call by the binding),
     * its row-length table (ROW_LENGTHS) and its row count (LENGTH).
     */
    public record Feed(Kind kind, int position) {
        public enum Kind {
            STATUS, ARRAY, LENGTH, VALUE, ROWS, ROW_LENGTHS, FIELD_ARRAY, FIELD_LENGTH, FIELD_VALUE, FIELD_ROWS,
            FIELD_ROW_LENGTHS
        }
    }

    /**
     * What the convention is derived from, and all a binder needs to rebuild it in another JVM (a Spark executor):
     * {@link CallingConvention#of(Model)} gives the same convention back. Serialisable, so that it travels with the
     * bitcode of the derivative ({@code jenzyme.runtime.ship.CompiledArtifact}) instead of a second description of
     * the layout.
     */
    public record Model(EntryPoint entry, Mode mode, List<Activity> activities, boolean primalReturn, int width)
            implements java.io.Serializable {
        public Model {
            activities = List.copyOf(activities);
        }
    }

    private final EntryPoint entry;
    private final Mode mode;
    private final List<Activity> activities;
    private final boolean primalReturn;
    private final WrapperLayout wrapper;
    private final List<HandleParameter> handleParameters;

    private CallingConvention(EntryPoint entry, Mode mode, List<Activity> activities, boolean primalReturn,
                              int width) {
        this.entry = entry;
        this.mode = mode;
        this.activities = List.copyOf(activities);
        this.primalReturn = primalReturn;
        List<Argument> arguments = workerArguments(entry, mode, activities);
        Activity returnActivity = returnType(entry) == null ? Activity.CONST
                : mode == Mode.REVERSE ? Activity.ACTIVE : Activity.DUPLICATED;
        this.wrapper = WrapperLayout.plan(mode, width, arguments, llvmTypes(entry), returnType(entry),
                returnActivity, primalReturn);
        this.handleParameters = handleParameters(entry, arguments, width);
    }

    /** The defaults for {@code entry} with {@code overrides} (parameter name → activity), the primal value kept. */
    public static CallingConvention of(EntryPoint entry, Mode mode, Map<String, Activity> overrides) {
        return of(entry, mode, overrides, true);
    }

    /**
     * @param primalReturn whether the wrapper also stores the primal return value (its first slot)
     * @throws DifferentiationException naming the parameter when an override does not fit
     */
    public static CallingConvention of(EntryPoint entry, Mode mode, Map<String, Activity> overrides,
                                       boolean primalReturn) {
        return of(entry, mode, overrides, primalReturn, 1);
    }

    /** The convention {@code model} describes (see {@link #model()}); its activities were checked when first made. */
    public static CallingConvention of(Model model) {
        return new CallingConvention(model.entry(), model.mode(), model.activities(), model.primalReturn(),
                model.width());
    }

    /** What this convention is derived from: {@code of(model())} rebuilds it. */
    public Model model() {
        return new Model(entry, mode, activities, primalReturn, width());
    }

    /**
     * Enzyme's vector mode when {@code width > 1}: each shadow or tangent of the handle is a native lane table
     * ({@link java.lang.foreign.MemorySegment}) of {@code width} shadow pointers (arrays) or {@code width} values
     * (scalars), fed to the wrapper as it is. In forward mode the return's tangent takes one slot per lane; in
     * reverse mode each lane of the shadows carries its own cotangent (a Jacobian's rows, {@link
     * jenzyme.runtime.Jacobian}), which leaves no slot for the adjoint of an active scalar or return.
     *
     * @throws DifferentiationException naming the parameter when an override does not fit, or the width when it is
     *                                  outside 1..64, or above 1 in reverse mode with an active scalar or return
     */
    public static CallingConvention of(EntryPoint entry, Mode mode, Map<String, Activity> overrides,
                                       boolean primalReturn, int width) {
        if (width < 1 || width > MAX_WIDTH) {
            throw DifferentiationException.refused(entry.methodAsWritten(), Messages.WIDTH.format(width, MAX_WIDTH));
        }
        if (width > 1) {
            entry.parameters().stream().filter(p -> p.type().isMatrix()).findFirst().ifPresent(p -> {
                throw DifferentiationException.refused(entry.methodAsWritten(),
                        Messages.MATRIX_LANES.format(p.name(), p.type().javaName()));
            });
        }
        CallingConvention convention = new CallingConvention(entry, mode, ActivityRules.activities(entry, mode,
                overrides), primalReturn, width);
        if (width > 1 && mode == Mode.REVERSE && (convention.returnActivity() == Activity.ACTIVE
                || convention.workerArguments().stream().anyMatch(a -> a.activity() == Activity.ACTIVE))) {
            throw DifferentiationException.refused(entry.methodAsWritten(), Messages.WIDTH.format(width, MAX_WIDTH));
        }
        return convention;
    }

    /** The widest batch the worker accepts (its {@code spec::Mode::parse}). */
    public static final int MAX_WIDTH = 64;

    /**
     * The inner gradient of a Hessian-vector product of {@code double f(...)} with the default activities (every
     * floating scalar and array, records' components included, differentiated): reverse mode without the primal
     * value; {@link #overGradient()} describes the forward pass over its wrapper.
     */
    public static CallingConvention hvpGradient(EntryPoint entry) {
        return hvpGradient(entry, Map.of());
    }

    /**
     * {@link #hvpGradient(EntryPoint)} with the array parameters {@code overrides} names Const (qa7 R7: the data of
     * a log-likelihood, {@code d=Const}, so that H·v is in the parameters only): they take no direction and give no
     * part of H·v, in the worker's two sweeps and in the binding ({@code HessianVectorBinder} reads the activities).
     *
     * @throws DifferentiationException if an override is not Const, names a scalar, or names no parameter
     */
    public static CallingConvention hvpGradient(EntryPoint entry, Map<String, Activity> overrides) {
        overrides.forEach((name, activity) -> {
            boolean scalar = entry.parameters().stream().anyMatch(p -> p.name().equals(name) && !p.type().isArray());
            if (activity != Activity.CONST || scalar) {
                throw DifferentiationException.refused(entry.methodAsWritten(),
                        Messages.HVP_ACTIVITY.format(name, activity.name().toLowerCase()));
            }
        });
        if (!entry.fields().isEmpty()) {
            throw DifferentiationException.refused(entry.methodAsWritten(), Messages.HVP_READS_FIELDS.format(
                    entry.methodName(), entry.fields().getFirst().field().javaName()));
        }
        if (entry.returnType() != JavaType.DOUBLE || entry.parameters().stream().anyMatch(p -> p.type().isMatrix())) {
            throw DifferentiationException.refused(entry.methodAsWritten(),
                    Messages.HVP_SHAPE.format(entry.methodName(), entry.methodAsWritten()));
        }
        return of(entry, Mode.REVERSE, overrides, false);
    }

    public EntryPoint entry() {
        return entry;
    }

    public Mode mode() {
        return mode;
    }

    /** Lanes per sweep: 1, or more in Enzyme's vector mode (forward tangents, or reverse cotangents). */
    public int width() {
        return wrapper.width();
    }

    /** One per Java parameter, as the user sees them (forward-mode Active not yet translated). */
    public List<Activity> activities() {
        return activities;
    }

    /** The worker request's {@code args}: status pointer, then each Java parameter's LLVM parameters. */
    public List<Argument> workerArguments() {
        return wrapper.arguments();
    }

    /** The worker request's {@code return}. */
    public Activity returnActivity() {
        return wrapper.returnActivity();
    }

    /** The wrapper's parameters, as the worker must report them. */
    public List<WrapperParameter> wrapperParameters() {
        return wrapper.parameters();
    }

    /** The wrapper's output slots, as the worker must report them. */
    public List<OutputSlot> slots() {
        return wrapper.slots();
    }

    /** The worker request's arguments and return activity with the wrapper they produce. */
    public WrapperLayout wrapperLayout() {
        return wrapper;
    }

    /** The forward pass over this (reverse) convention's wrapper: the Hessian-vector product's request and answer. */
    public WrapperLayout overGradient() {
        return wrapper.forwardOver();
    }

    /**
     * Refuses a wrapper that differs from the one this convention describes (a worker out of step with the
     * frontend), before anything binds it.
     */
    public void check(WrapperSignature actual) {
        wrapper.check(actual);
    }

    /** Each Java parameter, its shadow or tangent right after it when it has one, then {@code double[] out}. */
    public List<HandleParameter> handleParameters() {
        return handleParameters;
    }

    /** The bound handle's type: {@link #handleParameters()} returning void. */
    public MethodType handleType() {
        return MethodType.methodType(void.class, handleParameters.stream().map(HandleParameter::type).toList());
    }

    /** Whether Java parameter {@code p} is followed in the handle by its shadow or tangent. */
    public boolean hasShadow(int p) {
        return wrapper.arguments().get(entry.parameters().get(p).llvmIndex()).activity().hasShadow();
    }

    /** For each wrapper parameter in order, where its value comes from ({@link WrapperFeeds}). */
    public List<Feed> feeds() {
        return WrapperFeeds.of(this);
    }

    /**
     * The primal's own convention, as the plain {@code %jit} binding calls the lowered function (no wrapper): the
     * status block, then each Java parameter's LLVM parameters, then the static fields it reads ({@link WrapperFeeds}).
     */
    public static List<Feed> primalFeeds(EntryPoint entry) {
        return WrapperFeeds.primal(entry);
    }

    /** The slot of the primal return value. */
    public int primalSlot() {
        return slotOf(OutputSlot.Kind.PRIMAL, -1);
    }

    /** Reverse mode: the slot of the adjoint of Active scalar parameter {@code p}. */
    public int adjointSlot(int p) {
        return slotOf(OutputSlot.Kind.ADJOINT, entry.parameters().get(p).llvmIndex());
    }

    /** Forward mode: the slot of the return value's tangent. */
    public int returnTangentSlot() {
        return returnTangentSlot(0);
    }

    /** Forward mode: the slot of lane {@code lane} of the return value's tangent. */
    public int returnTangentSlot(int lane) {
        return slotOf(OutputSlot.Kind.DRETURN, lane);
    }

    private int slotOf(OutputSlot.Kind kind, int index) {
        List<OutputSlot> slots = wrapper.slots();
        for (int k = 0; k < slots.size(); k++) {
            if (slots.get(k).kind() == kind && slots.get(k).index() == index) {
                return k;
            }
        }
        throw new IllegalArgumentException(index >= 0 ? Messages.NO_ARGUMENT_SLOT.format(kind, index, slots)
                : Messages.NO_SLOT.format(kind, slots));
    }

    private static List<Argument> workerArguments(EntryPoint entry, Mode mode, List<Activity> activities) {
        List<Argument> arguments = new ArrayList<>();
        arguments.add(Argument.of(Activity.CONST, ArgType.PTR_I32));
        List<NativeParameter> parameters = entry.parameters();
        for (int p = 0; p < parameters.size(); p++) {
            JavaType type = parameters.get(p).type();
            Activity activity = activities.get(p);
            if (mode == Mode.FORWARD && activity == Activity.ACTIVE) {
                activity = Activity.DUPLICATED;
            }
            arguments.add(ScratchArguments.argument(entry, parameters.get(p).llvmIndex(), activity, argType(type)));
            // The further LLVM parameters of one Java parameter (an array's length, a two-dimensional array's
            // row-length table and row count) are Const.
            for (String extra : parameters.get(p).llvmTypes().subList(1, parameters.get(p).llvmCount())) {
                arguments.add(Argument.of(Activity.CONST, switch (NativeType.ofToken(extra)) {
                    case I32 -> ArgType.I32;
                    case I64 -> ArgType.I64;
                    case PTR -> ArgType.PTR_I32;
                    default -> throw new IllegalArgumentException(Messages.LENGTH_NOT_INTEGER.format(type.javaName(), extra));
                }));
            }
        }
        // The static fields the code reads: hidden Const arguments, arrays with their length.
        for (FieldParameter field : entry.fields()) {
            arguments.add(ScratchArguments.argument(entry, field.llvmIndex(), Activity.CONST,
                    argType(field.field().type())));
            if (field.field().type().isMatrix()) {
                arguments.add(Argument.of(Activity.CONST, ArgType.PTR_I32));
            }
            if (field.field().type().isArray()) {
                arguments.add(Argument.of(Activity.CONST, ArgType.I32));
            }
        }
        return arguments;
    }

    private static List<HandleParameter> handleParameters(EntryPoint entry, List<Argument> workerArguments,
                                                          int width) {
        List<HandleParameter> handle = new ArrayList<>();
        List<NativeParameter> parameters = entry.parameters();
        for (int p = 0; p < parameters.size(); p++) {
            NativeParameter parameter = parameters.get(p);
            Class<?> type = parameter.type().javaClass();
            handle.add(new HandleParameter(HandleParameter.Role.PRIMAL, type, p));
            if (workerArguments.get(parameter.llvmIndex()).activity().hasShadow()) {
                handle.add(new HandleParameter(parameter.type().isArray() ? HandleParameter.Role.SHADOW
                        : HandleParameter.Role.TANGENT, width > 1 ? java.lang.foreign.MemorySegment.class : type, p));
            }
        }
        handle.add(new HandleParameter(HandleParameter.Role.OUT, double[].class, -1));
        return List.copyOf(handle);
    }

    /** The worker's type of a Java parameter: a scalar, or an array as a pointer to its elements. */
    static ArgType argType(JavaType type) {
        return switch (type) {
            case DOUBLE -> ArgType.DOUBLE;
            case FLOAT -> ArgType.FLOAT;
            case INT -> ArgType.I32;
            case LONG -> ArgType.I64;
            case BOOLEAN -> ArgType.I8;
            case DOUBLE_ARRAY -> ArgType.PTR_DOUBLE;
            case FLOAT_ARRAY -> ArgType.PTR_FLOAT;
            case INT_ARRAY -> ArgType.PTR_I32;
            case LONG_ARRAY -> ArgType.PTR_I64;
            case DOUBLE_MATRIX -> ArgType.PTR_PTR_DOUBLE;
            case FLOAT_MATRIX -> ArgType.PTR_PTR_FLOAT;
            case INT_MATRIX -> ArgType.PTR_PTR_I32;
            case LONG_MATRIX -> ArgType.PTR_PTR_I64;
            case VOID, OBJECT_REF -> throw new IllegalArgumentException(Messages.NOT_A_WORKER_TYPE.format(type.javaName()));
        };
    }

    private static List<NativeType> llvmTypes(EntryPoint entry) {
        List<NativeType> types = new ArrayList<>();
        types.add(NativeType.PTR);
        entry.parameters().forEach(p -> p.llvmTypes().forEach(t -> types.add(NativeType.ofToken(t))));
        entry.fields().forEach(f -> f.field().type().llvmTypes().forEach(t -> types.add(NativeType.ofToken(t))));
        return types;
    }

    /** Null when nothing is returned by value: void, or an array result (written to the hidden result array). */
    private static NativeType returnType(EntryPoint entry) {
        return entry.llvmReturnType().equals("void") ? null : NativeType.ofToken(entry.llvmReturnType());
    }

    @Override
    public String toString() {
        return "CallingConvention[" + entry.javaSignature() + ", " + mode.token() + (width() > 1 ? " x" + width()
                : "") + ", " + activities + " -> "
                + wrapper + "]";
    }
}
