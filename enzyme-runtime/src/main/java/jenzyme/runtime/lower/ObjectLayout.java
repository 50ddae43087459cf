package jenzyme.runtime.lower;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How the method you compile takes an object from the JVM whose fields compiled code writes ({@link
 * ParameterObjects}): the one description the lowering, the calling convention's native parameters and the binding
 * stubs share. A parameter {@code q} of such a class becomes these native parameters, in this order:
 * <ol>
 *   <li>{@code q}, a {@code double[]} of its {@code double}, {@code float}, {@code int} and {@code boolean} fields in
 *       declaration order (a double holds each exactly), copied back after the call; omitted when it has none;</li>
 *   <li>{@code q$longs}, a {@code long[]} of its {@code long} fields in declaration order (exact, which a double
 *       is not beyond 2^53; Const), copied back after the call; omitted when it has none;</li>
 *   <li>{@code q.pos} for each one-dimensional array field {@code pos}, in declaration order: the object's own array,
 *       like any array parameter (its shadow of the same length in reverse mode), so element writes land in it.
 *       Compiled code never assigns such a field ({@link ClassLibrary#copiedFromJvm}), so it is not copied back.</li>
 * </ol>
 * Separate leaves, not one array of everything: each travels with its own exact type and activity, and the worker's
 * wrapper already takes every one of them.
 */
public record ObjectLayout(RecordShape shape) {

    /** The suffix of the {@code long[]} leaf's name ({@code q$longs}: not a field name, so activities cannot name it). */
    public static final String LONGS = "$longs";

    /** Whether {@code shape} is such an object's class: an entry takes it by this layout. */
    public static boolean isCopied(Shape shape) {
        return shape instanceof RecordShape record && record.isWritten();
    }

    /** The first field that keeps objects of {@code shape} from being copied in and out, or empty. */
    static Optional<String> problem(RecordShape shape) {
        return shape.components().stream()
                .filter(c -> kind(c.shape()) == null)
                .map(RecordShape.Component::name)
                .findFirst();
    }

    /** Indices (in declaration order) of the fields in the {@code double[]} leaf. */
    public List<Integer> numbers() {
        return fields(Kind.NUMBER);
    }

    /** Indices (in declaration order) of the fields in the {@code long[]} leaf. */
    public List<Integer> longs() {
        return fields(Kind.LONG);
    }

    /** Indices (in declaration order) of the array fields, each its own leaf. */
    public List<Integer> arrays() {
        return fields(Kind.ARRAY);
    }

    /** The native parameters' types, in order. */
    public List<JavaType> leaves() {
        List<JavaType> leaves = new ArrayList<>();
        if (!numbers().isEmpty()) {
            leaves.add(JavaType.DOUBLE_ARRAY);
        }
        if (!longs().isEmpty()) {
            leaves.add(JavaType.LONG_ARRAY);
        }
        arrays().forEach(i -> leaves.add((JavaType) shape.components().get(i).shape()));
        return leaves;
    }

    /** The native parameters' names for a parameter called {@code name}, in order. */
    public List<String> leafNames(String name) {
        List<String> names = new ArrayList<>();
        if (!numbers().isEmpty()) {
            names.add(name);
        }
        if (!longs().isEmpty()) {
            names.add(name + LONGS);
        }
        arrays().forEach(i -> names.add(name + "." + shape.components().get(i).name()));
        return names;
    }

    private enum Kind { NUMBER, LONG, ARRAY }

    /** Null for a field {@link #problem} refuses (the entry may be declared before the refusal is raised). */
    private static Kind kind(Shape field) {
        if (!(field instanceof JavaType type) || type.isMatrix()) {
            return null;
        }
        return type.isArray() ? Kind.ARRAY : type == JavaType.LONG ? Kind.LONG : Kind.NUMBER;
    }

    private List<Integer> fields(Kind wanted) {
        List<Integer> fields = new ArrayList<>();
        for (int i = 0; i < shape.components().size(); i++) {
            if (kind(shape.components().get(i).shape()) == wanted) {
                fields.add(i);
            }
        }
        return fields;
    }
}
