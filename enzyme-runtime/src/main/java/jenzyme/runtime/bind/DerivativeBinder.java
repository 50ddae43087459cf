package jenzyme.runtime.bind;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.IntStream;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.ad.CallingConvention.Feed;
import jenzyme.runtime.ad.CallingConvention.HandleParameter;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.ad.WrapperSignature;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.lower.ClassBytesSource;
import jenzyme.runtime.lower.FieldParameter;
import jenzyme.runtime.lower.StaticField;
import jenzyme.runtime.error.Messages;

/**
 * Pipeline stage 4 for derivatives: binds the Enzyme worker's C-ABI wrapper (see the worker's PROTOCOL.md) as a
 * Java method handle in Enzyme's own convention. Neighbours: the {@link CallingConvention}, the worker's
 * {@link WrapperSignature} and the JIT's address in; the runtime entry point ({@code jenzyme.runtime.Pipeline}) out.
 *
 * <p>The handle's Java type is {@link CallingConvention#handleType()}: each parameter of the original method,
 * followed at once by its shadow array (Duplicated arrays) or its tangent (forward-mode scalars), and
 * {@code double[] out} receiving the wrapper's 8-byte output slots. Like {@link NativeBinder#bind} it owns the status block and raises the Java
 * exception compiled code reported. Before each call it checks what native code cannot: every array is non-null,
 * each shadow is at least as long as its primal, no shadow is the same array as any other array argument (Enzyme
 * would read gradients it is writing), and {@code out} holds every slot.
 */
public final class DerivativeBinder {

    private static final MethodHandle CHECK_SHADOW;
    private static final MethodHandle CHECK_DISTINCT;
    private static final MethodHandle CHECK_OUT;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            CHECK_SHADOW = lookup.findStatic(DerivativeBinder.class, "checkShadow",
                    MethodType.methodType(void.class, Object.class, Object.class, String.class, String.class));
            CHECK_DISTINCT = lookup.findStatic(DerivativeBinder.class, "checkDistinct",
                    MethodType.methodType(void.class, Object.class, Object.class, String.class));
            CHECK_OUT = lookup.findStatic(DerivativeBinder.class, "checkOut",
                    MethodType.methodType(void.class, double[].class, int.class, String.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private DerivativeBinder() {}

    /**
     * @param function   the wrapper's address in the JIT
     * @param convention the derivative's calling convention: the handle's type and where each argument goes
     * @param wrapper    its C signature as the worker reported it, checked against {@code convention}
     * @param isLive     checked before every call; false means the code was released and the call raises
     */
    public static MethodHandle bind(MemorySegment function, CallingConvention convention, WrapperSignature wrapper,
                                    BooleanSupplier isLive) {
        return bind(function, convention, wrapper, isLive, internalName -> Optional.empty());
    }

    /**
     * @param classes where the static fields the code reads ({@code convention.entry().fields()}) are read from
     *                at each call
     */
    public static MethodHandle bind(MemorySegment function, CallingConvention convention, WrapperSignature wrapper,
                                    BooleanSupplier isLive, ClassBytesSource classes) {
        return bind(function, convention, wrapper, isLive, classes, false);
    }

    /**
     * @param callsBack whether the code calls back into the JVM ({@link JvmCalls}): never a critical downcall, and
     *                  the failures of the calls back raised after the call
     */
    public static MethodHandle bind(MemorySegment function, CallingConvention convention, WrapperSignature wrapper,
                                    BooleanSupplier isLive, ClassBytesSource classes, boolean callsBack) {
        return guarded(unchecked(function, convention, wrapper, isLive, classes, callsBack), convention, wrapper);
    }

    /** A derivative's handle and, for a reverse-mode gradient, the form writing its shadows ({@code f_grad_set}). */
    public record Bound(MethodHandle handle, Optional<MethodHandle> overwriting) {}

    /**
     * {@link #bind} of the wrapper named {@code wrapper}, and its overwriting form when {@link ShadowZeroing#applies}:
     * the worker's {@code overwriting} wrapper if it made one, else the shadows zeroed before this one. With the
     * overwriting wrapper's parts form ({@code overwritingParts}, PROTOCOL.md), large calls of the overwriting form
     * share their parts between two threads ({@link SplitCall}).
     *
     * @param address the JIT's address of a symbol of the derivative's code
     */
    public static Bound bind(Function<String, MemorySegment> address, CallingConvention convention,
                             WrapperSignature wrapper, Optional<WrapperSignature> overwriting,
                             Optional<String> overwritingParts, BooleanSupplier isLive, ClassBytesSource classes,
                             boolean callsBack) {
        MethodHandle unchecked = unchecked(address.apply(wrapper.symbol()), convention, wrapper, isLive, classes,
                callsBack);
        MethodHandle handle = guarded(unchecked, convention, wrapper);
        if (!ShadowZeroing.applies(convention)) {
            return new Bound(handle, Optional.empty());
        }
        if (overwriting.isEmpty()) {
            return new Bound(handle,
                    Optional.of(guarded(ShadowZeroing.before(unchecked, convention), convention, wrapper)));
        }
        MethodHandle written = bind(address.apply(overwriting.get().symbol()), convention, overwriting.get(), isLive,
                classes, callsBack);
        if (overwritingParts.isPresent() && !callsBack && !hasRowTables(convention)) {
            written = split(address.apply(overwritingParts.get()), written, convention, overwriting.get(), classes);
        }
        return new Bound(handle, Optional.of(written));
    }

    /**
     * {@code whole} (the overwriting form) running large calls as the {@link SplitCall#PARTS} parts of the parts
     * wrapper at {@code parts}: {@code wrapper}'s parameters, then {@code int part, int parts}. The parts are
     * critical downcalls (see {@link SplitCall} for when a call splits).
     */
    private static MethodHandle split(MemorySegment parts, MethodHandle whole, CallingConvention convention,
                                      WrapperSignature wrapper, ClassBytesSource classes) {
        int count = wrapper.parameters().size();
        MethodHandle raw = NativeBinder.bindRaw(parts, NativeBinder.wrapperDescriptor(wrapper)
                .appendArgumentLayouts(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        // The parts run inside the split call, which the module's guard counts as one call (the code stays until it
        // returns): they check no liveness of their own, else a close during the call would stop the parts not yet
        // taken and fail a call that had entered.
        BooleanSupplier entered = () -> true;
        List<MethodHandle> each = IntStream.range(0, SplitCall.PARTS).mapToObj(part -> unchecked(
                MethodHandles.insertArguments(raw, count, part, SplitCall.PARTS), convention, wrapper, entered,
                classes, false)).toList();
        MethodHandle checks = guarded(MethodHandles.empty(convention.handleType()), convention, wrapper);
        List<HandleParameter> parameters = convention.handleParameters();
        int shadow = parameters.stream().filter(p -> p.role() == HandleParameter.Role.SHADOW).findFirst()
                .map(parameters::indexOf).orElseThrow();
        return SplitCall.around(whole, checks, each, shadow - 1, wrapper.slots().size());
    }

    private static boolean hasRowTables(CallingConvention convention) {
        return convention.feeds().stream()
                .anyMatch(f -> f.kind() == Feed.Kind.ROWS || f.kind() == Feed.Kind.FIELD_ROWS);
    }

    /** The wrapper bound with {@link CallingConvention#handleType()}, before {@link #guarded}'s argument checks. */
    private static MethodHandle unchecked(MemorySegment function, CallingConvention convention,
                                          WrapperSignature wrapper, BooleanSupplier isLive, ClassBytesSource classes,
                                          boolean callsBack) {
        MethodHandle raw = NativeBinder.bindWrapper(function, wrapper, callsBack, !hasRowTables(convention));
        return unchecked(raw, convention, wrapper, isLive, classes, callsBack);
    }

    /** {@link #unchecked} of the downcall {@code raw}, whose parameters are {@code wrapper}'s. */
    private static MethodHandle unchecked(MethodHandle raw, CallingConvention convention, WrapperSignature wrapper,
                                          BooleanSupplier isLive, ClassBytesSource classes, boolean callsBack) {
        convention.check(wrapper);
        String symbol = wrapper.symbol();
        List<Feed> feeds = convention.feeds();
        MethodType javaType = convention.handleType();
        boolean rowTables = hasRowTables(convention);

        // (int[] status, javaType params..., static fields...) → one filtered native argument per wrapper parameter.
        List<StaticField> fields = convention.entry().fields().stream().map(FieldParameter::field).toList();
        int fieldBase = 1 + javaType.parameterCount();
        MethodType withStatus = javaType.insertParameterTypes(0, int[].class)
                .appendParameterTypes(fields.stream().<Class<?>>map(f -> f.type().javaClass()).toList());
        MethodHandle[] filters = new MethodHandle[feeds.size()];
        int[] reorder = new int[feeds.size()];
        int segments = 0;
        for (int i = 0; i < feeds.size(); i++) {
            Feed feed = feeds.get(i);
            reorder[i] = switch (feed.kind()) {
                case STATUS -> 0;
                case FIELD_ARRAY, FIELD_LENGTH, FIELD_VALUE, FIELD_ROWS, FIELD_ROW_LENGTHS -> fieldBase + feed.position();
                default -> feed.position() + 1;
            };
            Class<?> from = withStatus.parameterType(reorder[i]);
            filters[i] = switch (feed.kind()) {
                case STATUS, ARRAY, FIELD_ARRAY -> ArraySegments.segmentOf(segments++, from);
                case LENGTH, FIELD_LENGTH -> MethodHandles.arrayLength(from);
                case ROWS -> JaggedRows.rowsOf(from, nameAt(convention, feed.position()),
                        Messages.NULL_ARRAY.format(nameAt(convention, feed.position())));
                case ROW_LENGTHS -> JaggedRows.lengthsOf(from, nameAt(convention, feed.position()),
                        Messages.NULL_ARRAY.format(nameAt(convention, feed.position())));
                case FIELD_ROWS -> JaggedRows.rowsOf(from, fields.get(feed.position()).javaName(),
                        Messages.STATIC_FIELD_NULL.format(fields.get(feed.position()).javaName()));
                case FIELD_ROW_LENGTHS -> JaggedRows.lengthsOf(from, fields.get(feed.position()).javaName(),
                        Messages.STATIC_FIELD_NULL.format(fields.get(feed.position()).javaName()));
                case VALUE, FIELD_VALUE -> null;
            };
        }
        MethodHandle handle = new ArraySegments(segments).fed(raw, filters, reorder, withStatus);
        handle = StaticFieldReads.supply(handle, fieldBase, fields, classes);
        handle = NativeBinder.withStatusBlock(handle, isLive, symbol);
        if (rowTables) {
            handle = JaggedRows.endingAfter(handle); // the row copies go back to their arrays, the tables are freed
        }
        if (callsBack) {
            handle = JvmCalls.raisingAfter(handle, symbol);
        }
        if (!handle.type().equals(javaType)) {
            throw new BindingException(Messages.BOUND_TYPE_MISMATCH.format(javaType, handle.type()), symbol, null);
        }
        return handle;
    }

    /** Prepends the argument checks: each one a direct call on the few arguments it reads. */
    private static MethodHandle guarded(MethodHandle handle, CallingConvention convention, WrapperSignature wrapper) {
        int slots = wrapper.slots().size();
        MethodType type = handle.type();
        List<HandleParameter> parameters = convention.handleParameters();
        List<Integer> shadows = new ArrayList<>();
        for (int i = 0; i < parameters.size(); i++) {
            // Vector mode: a shadow is a lane table the runtime sized to its primal (bind.LaneTable).
            if (parameters.get(i).role() == HandleParameter.Role.SHADOW && parameters.get(i).type().isArray()) {
                MethodHandle check = MethodHandles.insertArguments(CHECK_SHADOW, 3,
                        nameOf(convention, parameters.get(i)));
                handle = fold(handle, type, check, described(convention, parameters.get(i)), i - 1, i);
                shadows.add(i);
            }
        }
        List<Integer> arrays = new ArrayList<>(shadows);
        for (int i = 0; i < type.parameterCount() - 1; i++) {
            if (type.parameterType(i).isArray() && !arrays.contains(i)) {
                arrays.add(i);
            }
        }
        // Only pairs with at least one shadow: primal arrays may alias each other (no noalias is emitted).
        for (int shadow : shadows) {
            for (int other : arrays) {
                if (other != shadow) {
                    handle = fold(handle, type, CHECK_DISTINCT, described(convention, parameters.get(shadow)), shadow,
                            other);
                }
            }
        }
        MethodHandle checkOut = MethodHandles.insertArguments(CHECK_OUT, 1, slots, convention.entry().methodName());
        return MethodHandles.foldArguments(handle, 0,
                MethodHandles.permuteArguments(checkOut, type.changeReturnType(void.class), type.parameterCount() - 1));
    }

    /** The name of handle parameter {@code position}: a Java parameter's, or its shadow's ({@link #shadowName}). */
    private static String nameAt(CallingConvention convention, int position) {
        HandleParameter parameter = convention.handleParameters().get(position);
        return parameter.role() == HandleParameter.Role.PRIMAL ? nameOf(convention, parameter)
                : shadowName(convention, parameter);
    }

    /**
     * The name the binding's documentation gives a shadow: {@code dx} in reverse mode, where it receives the
     * gradient, {@code tx} in forward mode, where the user passes a tangent (qa7 R5: "the shadow of x" there read
     * as Enzyme's word, not the user's).
     */
    private static String shadowName(CallingConvention convention, HandleParameter shadow) {
        return (convention.mode() == Mode.FORWARD ? "t" : "d") + nameOf(convention, shadow);
    }

    /** A shadow in the user's words: "the shadow of x" (reverse), "the tangent tx of x" (forward). */
    private static String described(CallingConvention convention, HandleParameter shadow) {
        String name = nameOf(convention, shadow);
        return convention.mode() == Mode.FORWARD
                ? Messages.TANGENT_OF.format(shadowName(convention, shadow), name) : Messages.SHADOW_OF.format(name);
    }

    private static String nameOf(CallingConvention convention, HandleParameter parameter) {
        return convention.entry().parameters().get(parameter.javaParameter()).name();
    }

    private static MethodHandle fold(MethodHandle handle, MethodType type, MethodHandle check, String name,
                                     int first, int second) {
        MethodHandle bound = MethodHandles.insertArguments(check, 2, name)
                .asType(MethodType.methodType(void.class, type.parameterType(first), type.parameterType(second)));
        return MethodHandles.foldArguments(handle, 0,
                MethodHandles.permuteArguments(bound, type.changeReturnType(void.class), first, second));
    }


    /** @param described the shadow in the user's words ({@link #described}), {@code name} its primal's name */
    private static void checkShadow(Object primal, Object shadow, String described, String name) {
        if (primal == null || shadow == null) {
            throw new NullPointerException(primal == null ? Messages.NULL_ARRAY.format(name)
                    : Messages.NULL_SHADOW.format(described));
        }
        int primalLength = java.lang.reflect.Array.getLength(primal);
        int shadowLength = java.lang.reflect.Array.getLength(shadow);
        if (primal instanceof Object[] rows) {
            checkShadowRows(rows, (Object[]) shadow, described, name);
        } else if (shadowLength < primalLength) {
            throw new IllegalArgumentException(Messages.SHADOW_TOO_SHORT.format(described, name, primalLength,
                    shadowLength));
        }
    }

    /**
     * A two-dimensional shadow has the primal's shape: as many rows, each as long as its primal row (Enzyme indexes
     * both with the primal's lengths), none null and none the same array as a primal row (Enzyme would read
     * gradients it is writing).
     */
    private static void checkShadowRows(Object[] rows, Object[] shadowRows, String described, String name) {
        if (shadowRows.length != rows.length) {
            throw new IllegalArgumentException(Messages.SHADOW_ROWS.format(described, rows.length, shadowRows.length,
                    name));
        }
        java.util.Set<Object> primalRows = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] == null) {
                throw new NullPointerException(Messages.NULL_ROW.format(name, i));
            }
            primalRows.add(rows[i]);
        }
        for (int i = 0; i < rows.length; i++) {
            if (shadowRows[i] == null) {
                throw new NullPointerException(Messages.SHADOW_ROW_NULL.format(described, i));
            }
            int length = java.lang.reflect.Array.getLength(rows[i]);
            int shadowLength = java.lang.reflect.Array.getLength(shadowRows[i]);
            if (shadowLength != length) {
                throw new IllegalArgumentException(Messages.SHADOW_ROW_LENGTH.format(described, i, length, shadowLength,
                        name));
            }
            if (primalRows.contains(shadowRows[i])) {
                throw new IllegalArgumentException(Messages.SHADOW_ALIASES.format(Messages.ROW_OF.format(i, described)));
            }
        }
    }

    private static void checkDistinct(Object shadow, Object other, String name) {
        if (other == null) {
            throw new NullPointerException(Messages.NULL_ARRAY_ARGUMENT.format());
        }
        if (shadow == other) {
            throw new IllegalArgumentException(Messages.SHADOW_ALIASES.format(name));
        }
    }

    private static void checkOut(double[] out, int slots, String method) {
        if (out == null || out.length < slots) {
            throw new IllegalArgumentException(Messages.OUT_TOO_SHORT.format(slots, method,
                    out == null ? null : out.length));
        }
    }
}
