package jenzyme.runtime.bind;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.ad.CallingConvention;
import jenzyme.runtime.ad.CallingConvention.Feed;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.EntryPoint;

/**
 * The Java view of a native function that follows the lowered-code convention: a status-block pointer first (added
 * by the binder, not listed here), then {@link #arguments()}, returning {@link #returnType()} (a primitive or void).
 */
public record NativeSignature(List<NativeArgument> arguments, Class<?> returnType) {

    public NativeSignature {
        arguments = List.copyOf(arguments);
        if (returnType != void.class && !returnType.isPrimitive()) {
            throw new IllegalArgumentException(Messages.NOT_A_RETURN_TYPE.format(returnType.getName()));
        }
    }

    /**
     * The signature of a lowered entry point, read off the calling-convention model
     * ({@link CallingConvention#primalFeeds}): a value by value, an array's data followed by its length as
     * (pointer, length), an array's data alone as a bare pointer; the status block is the binder's. The static
     * fields the code reads follow the Java parameters (supplied by {@link StaticFieldReads#supply}).
     */
    public static NativeSignature of(EntryPoint entry) {
        List<Feed> feeds = CallingConvention.primalFeeds(entry);
        List<NativeArgument> arguments = new ArrayList<>();
        for (int i = 0; i < feeds.size(); i++) {
            Feed feed = feeds.get(i);
            if (feed.kind() == Feed.Kind.STATUS || feed.kind() == Feed.Kind.LENGTH
                    || feed.kind() == Feed.Kind.FIELD_LENGTH || feed.kind() == Feed.Kind.ROW_LENGTHS
                    || feed.kind() == Feed.Kind.FIELD_ROW_LENGTHS) {
                continue; // the status block is the binder's; a length travels with its array
            }
            if (feed.kind() == Feed.Kind.ROWS || feed.kind() == Feed.Kind.FIELD_ROWS) {
                arguments.add(NativeArgument.rowTables((feed.kind() == Feed.Kind.ROWS
                        ? entry.parameters().get(feed.position()).type()
                        : entry.fields().get(feed.position()).field().type()).javaClass()));
                continue;
            }
            boolean field = feed.kind() == Feed.Kind.FIELD_ARRAY || feed.kind() == Feed.Kind.FIELD_VALUE;
            Class<?> type = (field ? entry.fields().get(feed.position()).field().type()
                    : entry.parameters().get(feed.position()).type()).javaClass();
            boolean withLength = i + 1 < feeds.size() && feeds.get(i + 1).equals(new Feed(field
                    ? Feed.Kind.FIELD_LENGTH : Feed.Kind.LENGTH, feed.position()));
            arguments.add(feed.kind() == Feed.Kind.VALUE || feed.kind() == Feed.Kind.FIELD_VALUE
                    ? NativeArgument.value(type)
                    : withLength ? NativeArgument.arrayAndLength(type) : NativeArgument.arrayPointer(type));
        }
        return new NativeSignature(arguments, entry.returnsArray() ? void.class : entry.returnType().javaClass());
    }

    /** The type of the bound method handle: the Java method's own type. */
    public MethodType javaType() {
        return MethodType.methodType(returnType, arguments.stream().map(NativeArgument::javaType).toList());
    }

    /** The C-level descriptor, status pointer first. */
    public FunctionDescriptor functionDescriptor() {
        List<MemoryLayout> layouts = new ArrayList<>();
        layouts.add(ValueLayout.ADDRESS);
        for (NativeArgument argument : arguments) {
            switch (argument.passing()) {
                case VALUE -> layouts.add(layoutOf(argument.javaType()));
                case ARRAY_AND_LENGTH -> {
                    layouts.add(ValueLayout.ADDRESS);
                    layouts.add(ValueLayout.JAVA_INT);
                }
                case ARRAY_POINTER -> layouts.add(ValueLayout.ADDRESS);
                case ROW_TABLES -> {
                    layouts.add(ValueLayout.ADDRESS);
                    layouts.add(ValueLayout.ADDRESS);
                    layouts.add(ValueLayout.JAVA_INT);
                }
            }
        }
        MemoryLayout[] params = layouts.toArray(MemoryLayout[]::new);
        return returnType == void.class ? FunctionDescriptor.ofVoid(params)
                : FunctionDescriptor.of(layoutOf(returnType), params);
    }

    private static MemoryLayout layoutOf(Class<?> primitive) {
        if (primitive == double.class) return ValueLayout.JAVA_DOUBLE;
        if (primitive == float.class) return ValueLayout.JAVA_FLOAT;
        if (primitive == int.class) return ValueLayout.JAVA_INT;
        if (primitive == long.class) return ValueLayout.JAVA_LONG;
        if (primitive == boolean.class) return ValueLayout.JAVA_BOOLEAN;
        throw new BindingException(Messages.NOT_A_SCALAR_TYPE.format(primitive.getName()));
    }
}
