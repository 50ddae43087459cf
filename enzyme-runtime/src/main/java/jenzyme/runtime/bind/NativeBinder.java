package jenzyme.runtime.bind;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;
import java.util.function.BooleanSupplier;
import jenzyme.runtime.ad.WrapperSignature;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.error.Messages;

/**
 * Pipeline stage 4: native symbols → Java method handles through FFM. Calls a binding has shown short are
 * {@code critical(true)}: arrays pass zero-copy as heap segments (~2 ns per call) while the JVM cannot reach a
 * safepoint; others copy their arrays and let GC and the kernel's threads run ({@link CallRoute}). Long-running
 * compiled loops poll the {@link InterruptFlag}, whose raising needs no safepoint.
 *
 * <p>{@link #bind} follows the lowered-code convention: it allocates the status block, passes it first, and turns a
 * non-zero status into the Java exception; the handle has the Java method's own type. {@link #bindCopying} does the
 * same through an ordinary downcall that copies arrays, for calls long enough that blocking safepoints would hurt.
 * {@link #bindRaw} is a bare critical downcall for any other symbol.
 */
public final class NativeBinder {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle NEW_STATUS;
    private static final MethodHandle CHECK_STATUS;
    private static final MethodHandle STATUS_SEGMENT;
    private static final MethodHandle INVOKE_COPYING;
    private static final MethodHandle NEW_NATIVE_STATUS;
    private static final MethodHandle CHECK_NATIVE_STATUS;
    private static final MethodHandle REQUIRE_ARRAY;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            NEW_STATUS = lookup.findStatic(NativeBinder.class, "newStatus",
                    MethodType.methodType(int[].class, BooleanSupplier.class, String.class));
            CHECK_STATUS = lookup.findStatic(NativeStatus.class, "check",
                    MethodType.methodType(void.class, int[].class, String.class));
            REQUIRE_ARRAY = lookup.findStatic(NativeBinder.class, "requireArray",
                    MethodType.methodType(Object.class, Object.class, String.class));
            STATUS_SEGMENT = ofArray(int[].class);
            INVOKE_COPYING = lookup.findVirtual(CopyingCall.class, "invoke",
                    MethodType.methodType(Object.class, Object[].class));
            NEW_NATIVE_STATUS = lookup.findStatic(NativeBinder.class, "newNativeStatus",
                    MethodType.methodType(MemorySegment.class, BooleanSupplier.class, String.class));
            CHECK_NATIVE_STATUS = lookup.findStatic(NativeStatus.class, "check",
                    MethodType.methodType(void.class, MemorySegment.class, String.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private NativeBinder() {}

    /**
     * Binds a function of the lowered-code convention as a handle of {@code signature.javaType()}.
     *
     * @param function its address (e.g. {@code JitModule.address(symbol)})
     * @param isLive checked before every call; false means the code was released and the call raises
     * @param symbol for messages
     */
    public static MethodHandle bind(MemorySegment function, NativeSignature signature, BooleanSupplier isLive,
                                    String symbol) {
        MethodHandle raw = routed(function, signature.functionDescriptor(), false, !hasRowTables(signature));
        MethodHandle handle = expandArrays(raw, signature.arguments());
        handle = MethodHandles.filterArguments(handle, 0, STATUS_SEGMENT); // (int[] status, args...)R
        handle = withStatus(handle, NEW_STATUS, CHECK_STATUS, signature, isLive, symbol);
        return hasRowTables(signature) ? JaggedRows.endingAfter(handle) : handle;
    }

    /**
     * Wraps {@code handle (S status, args...)R} into {@code (args...)R}: a fresh status from {@code newStatus}
     * (which also refuses released code) goes in first, and {@code check} runs on it after the call.
     */
    private static MethodHandle withStatus(MethodHandle handle, MethodHandle newStatus, MethodHandle check,
                                           NativeSignature signature, BooleanSupplier isLive, String symbol) {
        MethodHandle bound = statusAround(handle, newStatus, check, isLive, symbol);
        if (!bound.type().equals(signature.javaType())) {
            throw new BindingException(Messages.BOUND_TYPE_MISMATCH.format(signature.javaType(), bound.type()),
                    symbol, null);
        }
        return bound;
    }

    /**
     * {@code (int[] status, args...)R → (args...)R} for the derivative binders: a fresh heap status block in (after
     * refusing released code), the exception it records raised after the call.
     */
    static MethodHandle withStatusBlock(MethodHandle handle, BooleanSupplier isLive, String symbol) {
        return statusAround(handle, NEW_STATUS, CHECK_STATUS, isLive, symbol);
    }

    private static MethodHandle statusAround(MethodHandle handle, MethodHandle newStatus, MethodHandle check,
                                             BooleanSupplier isLive, String symbol) {
        MethodHandle checked = checkStatusAfter(handle, MethodHandles.insertArguments(check, 1, symbol));
        return MethodHandles.foldArguments(checked, 0, MethodHandles.insertArguments(newStatus, 0, isLive, symbol));
    }

    /**
     * Like {@link #bind}, but through a non-critical downcall with arrays copied to native memory and back (see
     * {@link CopyingCall}): safepoints, GC and other threads proceed while the call runs.
     */
    public static MethodHandle bindCopying(MemorySegment function, NativeSignature signature, BooleanSupplier isLive,
                                           String symbol) {
        MethodHandle downcall;
        try {
            downcall = LINKER.downcallHandle(function, signature.functionDescriptor());
        } catch (IllegalArgumentException e) {
            throw new BindingException(Messages.FFM_CANNOT_BIND.format(signature.functionDescriptor(), e.getMessage()),
                    symbol, e);
        }
        if (signature.arguments().stream().allMatch(a -> a.passing() == NativeArgument.Passing.VALUE)) {
            // Nothing to copy: a per-thread native status block keeps the call free of boxing (~10 ns, not ~150 ns).
            return withStatus(downcall, NEW_NATIVE_STATUS, CHECK_NATIVE_STATUS, signature, isLive, symbol);
        }
        CopyingCall call = new CopyingCall(downcall, signature, isLive, symbol);
        MethodHandle handle = INVOKE_COPYING.bindTo(call).asCollector(Object[].class, signature.arguments().size())
                .asType(signature.javaType());
        return hasRowTables(signature) ? JaggedRows.endingAfter(handle) : handle;
    }

    private static boolean hasRowTables(NativeSignature signature) {
        return signature.arguments().stream().anyMatch(a -> a.passing() == NativeArgument.Passing.ROW_TABLES);
    }

    /**
     * A downcall to {@code function} taking heap or native segments, critical only for calls its binding has shown
     * short ({@link CallRoute}); no status handling.
     */
    public static MethodHandle bindRouted(MemorySegment function, FunctionDescriptor descriptor) {
        return bindRouted(function, descriptor, false);
    }

    /** {@link #bindRouted}, never critical when the code calls back into the JVM ({@link JvmCalls}). */
    public static MethodHandle bindRouted(MemorySegment function, FunctionDescriptor descriptor, boolean callsBack) {
        return routed(function, descriptor, callsBack, false);
    }

    /** See {@code CallRoute.bind}: {@code heapOnly} when the callers pass no native memory. */
    private static MethodHandle routed(MemorySegment function, FunctionDescriptor descriptor, boolean callsBack,
                                       boolean heapOnly) {
        try {
            return CallRoute.bind(function, descriptor, callsBack, heapOnly);
        } catch (IllegalArgumentException e) {
            throw new BindingException(Messages.FFM_CANNOT_BIND.format(descriptor, e.getMessage()), e);
        }
    }

    /** A critical downcall to {@code function} allowing heap segments; no status handling. */
    public static MethodHandle bindRaw(MemorySegment function, FunctionDescriptor descriptor) {
        try {
            return LINKER.downcallHandle(function, descriptor, Linker.Option.critical(true));
        } catch (IllegalArgumentException e) {
            throw new BindingException(Messages.FFM_CANNOT_BIND.format(descriptor, e.getMessage()), e);
        }
    }

    /**
     * A routed downcall ({@link #bindRouted}) to a worker-made wrapper with the C signature the worker reported:
     * {@code void}, one layout per wrapper parameter. No status handling, no checks: the derivative binders add those.
     */
    public static MethodHandle bindWrapper(MemorySegment function, WrapperSignature wrapper) {
        return bindWrapper(function, wrapper, false, false);
    }

    /**
     * {@link #bindWrapper}, never critical when the code calls back into the JVM ({@link JvmCalls}), and
     * {@code heapOnly} when every segment its callers pass is a heap segment of a Java array (see
     * {@code CallRoute.bind}: such bindings keep their heap segments off the heap once compiled, whatever other code
     * of their signature passes).
     */
    public static MethodHandle bindWrapper(MemorySegment function, WrapperSignature wrapper, boolean callsBack,
                                           boolean heapOnly) {
        return routed(function, wrapperDescriptor(wrapper), callsBack, heapOnly);
    }

    /** The C signature of a worker-made wrapper: {@code void}, one layout per wrapper parameter. */
    public static FunctionDescriptor wrapperDescriptor(WrapperSignature wrapper) {
        MemoryLayout[] layouts = wrapper.parameters().stream().map(p -> switch (p.type()) {
            case DOUBLE -> ValueLayout.JAVA_DOUBLE;
            case FLOAT -> ValueLayout.JAVA_FLOAT;
            case I32 -> ValueLayout.JAVA_INT;
            case I64 -> ValueLayout.JAVA_LONG;
            case I8 -> ValueLayout.JAVA_BOOLEAN;
            case PTR -> ValueLayout.ADDRESS;
        }).toArray(MemoryLayout[]::new);
        return FunctionDescriptor.ofVoid(layouts);
    }

    /** Replaces each array's native (pointer[, length]) parameters by the one Java array parameter. */
    private static MethodHandle expandArrays(MethodHandle raw, List<NativeArgument> arguments) {
        MethodHandle handle = raw;
        int position = 1 + arguments.stream().mapToInt(a -> switch (a.passing()) {
            case ARRAY_AND_LENGTH -> 2;
            case ROW_TABLES -> 3;
            default -> 1;
        }).sum();
        for (int i = arguments.size() - 1; i >= 0; i--) {
            NativeArgument argument = arguments.get(i);
            switch (argument.passing()) {
                case VALUE -> position -= 1;
                case ARRAY_POINTER -> {
                    position -= 1;
                    handle = MethodHandles.filterArguments(handle, position, ofArray(argument.javaType()));
                }
                case ARRAY_AND_LENGTH -> {
                    position -= 2;
                    handle = MethodHandles.filterArguments(handle, position, ofArray(argument.javaType()),
                            MethodHandles.filterArguments(MethodHandles.arrayLength(argument.javaType()), 0,
                                    nonNull(argument.javaType())));
                    handle = mergeAdjacent(handle, position);
                }
                case ROW_TABLES -> {
                    position -= 3;
                    Class<?> type = argument.javaType();
                    String ifNull = Messages.NULL_ARGUMENT.format(type.getSimpleName());
                    handle = MethodHandles.filterArguments(handle, position,
                            JaggedRows.rowsOf(type, type.getSimpleName(), ifNull),
                            JaggedRows.lengthsOf(type, type.getSimpleName(), ifNull),
                            MethodHandles.arrayLength(type));
                    handle = mergeAdjacent(mergeAdjacent(handle, position), position);
                }
            }
        }
        return handle;
    }

    /** (…, A a1, A a2, …) → (…, A a, …) passing {@code a} to both. */
    private static MethodHandle mergeAdjacent(MethodHandle handle, int position) {
        MethodType type = handle.type().dropParameterTypes(position + 1, position + 2);
        int[] reorder = new int[handle.type().parameterCount()];
        for (int j = 0; j < reorder.length; j++) {
            reorder[j] = j <= position ? j : j - 1;
        }
        return MethodHandles.permuteArguments(handle, type, reorder);
    }

    /** (S status, args...)R → same type, running {@code check (S)void} on the status after the call. */
    private static MethodHandle checkStatusAfter(MethodHandle handle, MethodHandle check) {
        Class<?> result = handle.type().returnType();
        Class<?> statusType = handle.type().parameterType(0);
        MethodHandle checker = result == void.class ? check
                : MethodHandles.foldArguments(
                        MethodHandles.dropArguments(MethodHandles.identity(result), 1, statusType), 1, check);
        MethodHandle collected = MethodHandles.collectArguments(checker, 0, handle); // (status, args..., status)R
        int count = handle.type().parameterCount();
        int[] reorder = new int[count + 1];
        for (int j = 0; j < count; j++) {
            reorder[j] = j;
        }
        reorder[count] = 0;
        return MethodHandles.permuteArguments(collected, handle.type(), reorder);
    }

    private static int[] newStatus(BooleanSupplier isLive, String symbol) {
        ensureLive(isLive, symbol);
        return NativeStatus.threadBlock();
    }

    private static MemorySegment newNativeStatus(BooleanSupplier isLive, String symbol) {
        ensureLive(isLive, symbol);
        return NativeStatus.nativeBlock();
    }

    /** The one check that released code is never called: every binder runs it before every call. */
    static void ensureLive(BooleanSupplier isLive, String symbol) {
        if (!isLive.getAsBoolean()) {
            throw new BindingException(Messages.CODE_RELEASED.format(symbol), symbol, null);
        }
    }

    private static MethodHandle ofArray(Class<?> arrayType) {
        try {
            return MethodHandles.filterArguments(MethodHandles.lookup().findStatic(MemorySegment.class, "ofArray",
                    MethodType.methodType(MemorySegment.class, arrayType)), 0, nonNull(arrayType));
        } catch (ReflectiveOperationException e) {
            throw new BindingException(Messages.NO_HEAP_SEGMENT.format(arrayType.getName()), e);
        }
    }

    /** {@code arrayType → arrayType}, raising a NullPointerException that says why for null. */
    private static MethodHandle nonNull(Class<?> arrayType) {
        return MethodHandles.insertArguments(REQUIRE_ARRAY, 1, arrayType.getSimpleName())
                .asType(MethodType.methodType(arrayType, arrayType));
    }

    private static Object requireArray(Object array, String type) {
        if (array == null) {
            // Unlike the JVM's method, compiled code takes every array's address and length at the call.
            throw new NullPointerException(Messages.NULL_ARGUMENT.format(type));
        }
        return array;
    }
}
