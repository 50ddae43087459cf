package jenzyme.runtime.ad;

import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.ad.CallingConvention.Feed;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.FieldParameter;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.NativeParameter;

/**
 * Where each argument of a call comes from ({@link Feed}), read off a {@link CallingConvention}: the wrapper's
 * parameters of a derivative ({@link CallingConvention#feeds()}) and the lowered function's own parameters for the
 * plain {@code %jit} binding ({@link CallingConvention#primalFeeds}), by one rule for a Java parameter's and a static
 * field's LLVM parameters, so that there is one layout for both.
 */
final class WrapperFeeds {

    private WrapperFeeds() {}

    /** For each wrapper parameter of {@code convention} in order, where its value comes from. */
    static List<Feed> of(CallingConvention convention) {
        EntryPoint entry = convention.entry();
        int[] positions = new int[entry.parameters().size()];
        int next = 0;
        for (int p = 0; p < positions.length; p++) {
            positions[p] = next;
            next += convention.hasShadow(p) ? 2 : 1;
        }
        int out = next;
        List<Feed> feeds = new ArrayList<>();
        for (WrapperParameter parameter : convention.wrapperParameters()) {
            if (parameter.role() == WrapperParameter.Role.OUT) {
                feeds.add(new Feed(Feed.Kind.ARRAY, out));
                continue;
            }
            if (parameter.argument() == EntryPoint.STATUS_PARAMETER_INDEX) {
                feeds.add(new Feed(Feed.Kind.STATUS, -1));
                continue;
            }
            int field = fieldAt(entry, parameter.argument());
            if (field >= 0) {
                FieldParameter hidden = entry.fields().get(field);
                feeds.add(fieldFeed(hidden.field().type(), parameter.argument() - hidden.llvmIndex(), field));
                continue;
            }
            int p = javaParameterAt(entry, parameter.argument());
            boolean shadow = parameter.role() != WrapperParameter.Role.ARG;
            JavaType type = entry.parameters().get(p).type();
            feeds.add(shadow ? new Feed(type.isMatrix() ? Feed.Kind.ROWS : type.isArray() && convention.width() == 1
                    ? Feed.Kind.ARRAY : Feed.Kind.VALUE, positions[p] + 1)
                    : feed(entry.parameters().get(p), parameter.argument(), positions[p]));
        }
        return feeds;
    }

    /**
     * The primal's own convention, as the plain {@code %jit} binding calls the lowered function (no wrapper): the
     * status block, then each Java parameter's LLVM parameters, {@link Feed} positions being the Java parameters',
     * then the static fields it reads (FIELD_ feeds).
     * The same rule as a derivative's primal arguments ({@link #of}), so there is one layout for both.
     */
    static List<Feed> primal(EntryPoint entry) {
        List<Feed> feeds = new ArrayList<>();
        feeds.add(new Feed(Feed.Kind.STATUS, -1));
        List<NativeParameter> parameters = entry.parameters();
        for (int p = 0; p < parameters.size(); p++) {
            NativeParameter parameter = parameters.get(p);
            for (int llvm = parameter.llvmIndex(); llvm < parameter.llvmIndex() + parameter.llvmCount(); llvm++) {
                feeds.add(feed(parameter, llvm, p));
            }
        }
        // The static fields the code reads, after the Java parameters: positions are field indices.
        for (int f = 0; f < entry.fields().size(); f++) {
            JavaType type = entry.fields().get(f).field().type();
            for (int offset = 0; offset < type.llvmTypes().size(); offset++) {
                feeds.add(fieldFeed(type, offset, f));
            }
        }
        return feeds;
    }

    /** LLVM parameter {@code offset} of static field {@code field} of type {@code type}. */
    private static Feed fieldFeed(JavaType type, int offset, int field) {
        return new Feed(Kinds.FIELD.of(type, offset), field);
    }

    /** LLVM parameter {@code llvmIndex} of Java parameter {@code java}, at {@code position}. */
    private static Feed feed(NativeParameter java, int llvmIndex, int position) {
        return new Feed(Kinds.PARAMETER.of(java.type(), llvmIndex - java.llvmIndex()), position);
    }

    /** The kinds of feed of a Java parameter's LLVM parameters, or of a static field's. */
    private record Kinds(Feed.Kind value, Feed.Kind array, Feed.Kind length, Feed.Kind rows, Feed.Kind rowLengths) {
        static final Kinds PARAMETER = new Kinds(Feed.Kind.VALUE, Feed.Kind.ARRAY, Feed.Kind.LENGTH, Feed.Kind.ROWS,
                Feed.Kind.ROW_LENGTHS);
        static final Kinds FIELD = new Kinds(Feed.Kind.FIELD_VALUE, Feed.Kind.FIELD_ARRAY, Feed.Kind.FIELD_LENGTH,
                Feed.Kind.FIELD_ROWS, Feed.Kind.FIELD_ROW_LENGTHS);

        /**
         * LLVM parameter {@code offset} of a value of {@code type}: the value, an array's data or length, or a
         * two-dimensional array's row table, row-length table or row count.
         */
        Feed.Kind of(JavaType type, int offset) {
            return !type.isArray() ? value
                    : type.isMatrix() ? (offset == 0 ? rows : offset == 1 ? rowLengths : length)
                    : offset == 0 ? array : length;
        }
    }

    /** The hidden static field whose LLVM parameters include {@code llvmIndex}, or -1. */
    private static int fieldAt(EntryPoint entry, int llvmIndex) {
        List<FieldParameter> fields = entry.fields();
        for (int f = 0; f < fields.size(); f++) {
            FieldParameter field = fields.get(f);
            if (llvmIndex >= field.llvmIndex() && llvmIndex < field.llvmIndex() + field.llvmCount()) {
                return f;
            }
        }
        return -1;
    }

    private static int javaParameterAt(EntryPoint entry, int llvmIndex) {
        List<NativeParameter> parameters = entry.parameters();
        for (int p = 0; p < parameters.size(); p++) {
            NativeParameter parameter = parameters.get(p);
            if (llvmIndex >= parameter.llvmIndex() && llvmIndex < parameter.llvmIndex() + parameter.llvmCount()) {
                return p;
            }
        }
        throw new IllegalStateException(Messages.WRAPPER_INDEX_OUTSIDE.format(entry.llvmSignature(), llvmIndex));
    }
}
