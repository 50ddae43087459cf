package jenzyme.runtime.bind;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.NativeParameter;
import jenzyme.runtime.worker.WrapperParameter;
import jenzyme.runtime.worker.WrapperSignature;

/**
 * Pipeline stage 4 for derivatives: binds the Enzyme worker's C-ABI wrapper (see the worker's PROTOCOL.md) as a
 * Java method handle in Enzyme's own convention. Neighbours: the worker's {@link WrapperSignature} and the JIT's
 * address in; the runtime entry point ({@code jenzyme.runtime.Pipeline}) out.
 *
 * <p>The handle's Java type lists each parameter of the original method, followed at once by its shadow array
 * (Duplicated arrays) or its tangent (forward-mode scalars), and ends with {@code double[] out} receiving the
 * wrapper's 8-byte output slots. Like {@link NativeBinder#bind} it owns the status block and raises the Java
 * exception compiled code reported. Before each call it checks what native code cannot: every array is non-null,
 * each shadow is at least as long as its primal, no shadow is the same array as any other array argument (Enzyme
 * would read gradients it is writing), and {@code out} holds every slot.
 */
public final class DerivativeBinder {

    private static final MethodHandle CHECK_SHADOW;
    private static final MethodHandle CHECK_DISTINCT;
    private static final MethodHandle CHECK_OUT;
    private static final MethodHandle NEW_STATUS;
    private static final MethodHandle CHECK_STATUS;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            CHECK_SHADOW = lookup.findStatic(DerivativeBinder.class, "checkShadow",
                    MethodType.methodType(void.class, Object.class, Object.class, String.class));
            CHECK_DISTINCT = lookup.findStatic(DerivativeBinder.class, "checkDistinct",
                    MethodType.methodType(void.class, Object.class, Object.class, String.class));
            CHECK_OUT = lookup.findStatic(DerivativeBinder.class, "checkOut",
                    MethodType.methodType(void.class, double[].class, int.class, String.class));
            NEW_STATUS = lookup.findStatic(DerivativeBinder.class, "newStatus",
                    MethodType.methodType(int[].class, BooleanSupplier.class, String.class));
            CHECK_STATUS = lookup.findStatic(NativeStatus.class, "check",
                    MethodType.methodType(void.class, int[].class, String.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private DerivativeBinder() {}

    /**
     * @param function the wrapper's address in the JIT
     * @param wrapper  its C signature as the worker reported it
     * @param entry    the lowered method it differentiates (names, Java types, LLVM parameter positions)
     * @param isLive   checked before every call; false means the code was released and the call raises
     */
    public static MethodHandle bind(MemorySegment function, WrapperSignature wrapper, EntryPoint entry,
                                    BooleanSupplier isLive) {
        String symbol = wrapper.symbol();
        List<Source> sources = sources(wrapper, entry);
        MethodType javaType = javaType(sources, entry);
        MethodHandle raw = NativeBinder.bindRaw(function, descriptor(wrapper));

        // (int[] status, javaType params...) → one filtered native argument per wrapper parameter.
        MethodType withStatus = javaType.insertParameterTypes(0, int[].class);
        MethodHandle[] filters = new MethodHandle[sources.size()];
        int[] reorder = new int[sources.size()];
        for (int i = 0; i < sources.size(); i++) {
            Source source = sources.get(i);
            reorder[i] = source.position() + 1;
            Class<?> from = withStatus.parameterType(reorder[i]);
            filters[i] = switch (source.kind()) {
                case STATUS -> segmentOf(int[].class);
                case ARRAY -> segmentOf(from);
                case LENGTH -> MethodHandles.arrayLength(from);
                case VALUE -> null;
            };
            if (source.kind() == SourceKind.STATUS) {
                reorder[i] = 0;
            }
        }
        MethodHandle handle = MethodHandles.filterArguments(raw, 0, filters);
        handle = MethodHandles.permuteArguments(handle, withStatus, reorder);
        handle = checkStatusAfter(handle, symbol);
        handle = MethodHandles.foldArguments(handle, 0,
                MethodHandles.insertArguments(NEW_STATUS, 0, isLive, symbol));
        handle = guarded(handle, sources, entry, wrapper.slots().size());
        if (!handle.type().equals(javaType)) {
            throw new BindingException("expected the bound type " + javaType + ", got " + handle.type(), symbol, null);
        }
        return handle;
    }

    /** Where each wrapper parameter comes from: the status block, or a position of the Java-level handle. */
    private enum SourceKind { STATUS, ARRAY, LENGTH, VALUE }

    private record Source(SourceKind kind, int position, int javaParameter, boolean shadow) {}

    private static List<Source> sources(WrapperSignature wrapper, EntryPoint entry) {
        List<NativeParameter> parameters = entry.parameters();
        boolean[] hasShadow = new boolean[parameters.size()];
        for (WrapperParameter parameter : wrapper.parameters()) {
            if (parameter.role() == WrapperParameter.Role.SHADOW || parameter.role() == WrapperParameter.Role.TANGENT) {
                hasShadow[javaParameterAt(parameter.argument(), entry, wrapper.symbol())] = true;
            }
        }
        int[] positions = new int[parameters.size()];
        int next = 0;
        for (int p = 0; p < parameters.size(); p++) {
            positions[p] = next;
            next += hasShadow[p] ? 2 : 1;
        }
        int outPosition = next;

        List<Source> sources = new ArrayList<>();
        for (WrapperParameter parameter : wrapper.parameters()) {
            sources.add(switch (parameter.role()) {
                case OUT -> new Source(SourceKind.ARRAY, outPosition, -1, false);
                case ARG -> {
                    if (parameter.argument() == EntryPoint.STATUS_PARAMETER_INDEX) {
                        yield new Source(SourceKind.STATUS, -1, -1, false);
                    }
                    int p = javaParameterAt(parameter.argument(), entry, wrapper.symbol());
                    NativeParameter native_ = parameters.get(p);
                    SourceKind kind = !native_.type().isArray() ? SourceKind.VALUE
                            : parameter.argument() == native_.llvmIndex() ? SourceKind.ARRAY : SourceKind.LENGTH;
                    yield new Source(kind, positions[p], p, false);
                }
                case SHADOW, TANGENT -> {
                    int p = javaParameterAt(parameter.argument(), entry, wrapper.symbol());
                    SourceKind kind = parameters.get(p).type().isArray() ? SourceKind.ARRAY : SourceKind.VALUE;
                    yield new Source(kind, positions[p] + 1, p, true);
                }
            });
        }
        return sources;
    }

    private static int javaParameterAt(int llvmIndex, EntryPoint entry, String symbol) {
        List<NativeParameter> parameters = entry.parameters();
        for (int p = 0; p < parameters.size(); p++) {
            NativeParameter parameter = parameters.get(p);
            if (llvmIndex >= parameter.llvmIndex() && llvmIndex < parameter.llvmIndex() + parameter.llvmCount()) {
                return p;
            }
        }
        throw new BindingException("expected wrapper argument indices within " + entry.llvmSignature()
                + ", got " + llvmIndex, symbol, null);
    }

    private static MethodType javaType(List<Source> sources, EntryPoint entry) {
        List<Class<?>> types = new ArrayList<>();
        for (int p = 0; p < entry.parameters().size(); p++) {
            Class<?> type = entry.parameters().get(p).type().javaClass();
            types.add(type);
            int parameter = p;
            if (sources.stream().anyMatch(s -> s.shadow() && s.javaParameter() == parameter)) {
                types.add(type);
            }
        }
        types.add(double[].class);
        return MethodType.methodType(void.class, types);
    }

    private static FunctionDescriptor descriptor(WrapperSignature wrapper) {
        MemoryLayout[] layouts = wrapper.parameters().stream().map(p -> switch (p.type()) {
            case DOUBLE -> ValueLayout.JAVA_DOUBLE;
            case FLOAT -> ValueLayout.JAVA_FLOAT;
            case I32 -> ValueLayout.JAVA_INT;
            case I64 -> ValueLayout.JAVA_LONG;
            case PTR -> ValueLayout.ADDRESS;
        }).toArray(MemoryLayout[]::new);
        return FunctionDescriptor.ofVoid(layouts);
    }

    /** Prepends the argument checks: each one a direct call on the few arguments it reads. */
    private static MethodHandle guarded(MethodHandle handle, List<Source> sources, EntryPoint entry, int slots) {
        MethodType type = handle.type();
        List<Integer> arrays = new ArrayList<>();
        for (Source source : sources) {
            if (source.kind() == SourceKind.ARRAY && source.javaParameter() >= 0 && source.shadow()) {
                int primal = source.position() - 1;
                String name = entry.parameters().get(source.javaParameter()).name();
                handle = fold(handle, type, CHECK_SHADOW, name, primal, source.position());
                arrays.add(source.position());
            }
        }
        for (int i = 0; i < type.parameterCount() - 1; i++) {
            if (type.parameterType(i).isArray() && !arrays.contains(i)) {
                arrays.add(i);
            }
        }
        // Only pairs with at least one shadow: primal arrays may alias each other (no noalias is emitted).
        for (Source shadow : sources) {
            if (shadow.kind() != SourceKind.ARRAY || !shadow.shadow()) {
                continue;
            }
            for (int other : arrays) {
                if (other != shadow.position()) {
                    handle = fold(handle, type, CHECK_DISTINCT,
                            "the shadow of " + entry.parameters().get(shadow.javaParameter()).name(),
                            shadow.position(), other);
                }
            }
        }
        MethodHandle checkOut = MethodHandles.insertArguments(CHECK_OUT, 1, slots, entry.methodName());
        return MethodHandles.foldArguments(handle, 0,
                MethodHandles.permuteArguments(checkOut, type.changeReturnType(void.class), type.parameterCount() - 1));
    }

    private static MethodHandle fold(MethodHandle handle, MethodType type, MethodHandle check, String name,
                                     int first, int second) {
        MethodHandle bound = MethodHandles.insertArguments(check, 2, name)
                .asType(MethodType.methodType(void.class, type.parameterType(first), type.parameterType(second)));
        return MethodHandles.foldArguments(handle, 0,
                MethodHandles.permuteArguments(bound, type.changeReturnType(void.class), first, second));
    }

    /** (int[] status, args...)void → same type, raising the Java exception the status block records. */
    private static MethodHandle checkStatusAfter(MethodHandle handle, String symbol) {
        MethodHandle check = MethodHandles.insertArguments(CHECK_STATUS, 1, symbol);
        MethodHandle both = MethodHandles.collectArguments(check, 0, handle); // (status, args..., status)void
        int count = handle.type().parameterCount();
        int[] reorder = new int[count + 1];
        for (int j = 0; j < count; j++) {
            reorder[j] = j;
        }
        reorder[count] = 0;
        return MethodHandles.permuteArguments(both, handle.type(), reorder);
    }

    private static MethodHandle segmentOf(Class<?> arrayType) {
        try {
            return MethodHandles.lookup().findStatic(MemorySegment.class, "ofArray",
                    MethodType.methodType(MemorySegment.class, arrayType));
        } catch (ReflectiveOperationException e) {
            throw new BindingException("no heap segment for " + arrayType.getName(), e);
        }
    }

    private static void checkShadow(Object primal, Object shadow, String name) {
        if (primal == null || shadow == null) {
            throw new NullPointerException((primal == null ? name : "the shadow of " + name) + " is null");
        }
        int primalLength = java.lang.reflect.Array.getLength(primal);
        int shadowLength = java.lang.reflect.Array.getLength(shadow);
        if (shadowLength < primalLength) {
            throw new IllegalArgumentException("expected the shadow of " + name + " to be at least as long as "
                    + name + " (" + primalLength + "), got length " + shadowLength);
        }
    }

    private static void checkDistinct(Object shadow, Object other, String name) {
        if (other == null) {
            throw new NullPointerException("an array argument is null");
        }
        if (shadow == other) {
            throw new IllegalArgumentException(name + " is the same array as another argument; pass a separate "
                    + "array (Enzyme accumulates into shadows while it reads the primal arrays)");
        }
    }

    private static void checkOut(double[] out, int slots, String method) {
        if (out == null || out.length < slots) {
            throw new IllegalArgumentException("expected an out array of at least " + slots + " elements for the "
                    + "derivative of " + method + ", got " + (out == null ? "null" : "length " + out.length));
        }
    }

    private static int[] newStatus(BooleanSupplier isLive, String symbol) {
        if (!isLive.getAsBoolean()) {
            throw new BindingException("the native code of " + symbol
                    + " was released (the method was differentiated again); use the new binding", symbol, null);
        }
        return NativeStatus.newBlock();
    }
}
