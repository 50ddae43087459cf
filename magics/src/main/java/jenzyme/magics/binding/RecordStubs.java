package jenzyme.magics.binding;

import java.util.Map;
import java.util.stream.Collectors;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.RecordShape;
import jenzyme.runtime.lower.Shape;

/**
 * Source fragments for record and object parameters in generated stubs: a native parameter named {@code s.pos.x}
 * (see {@code EntryPoint}) is read as {@code s.pos().x()} (an object's field as {@code c.k}), and a record or object
 * is rebuilt with its canonical constructor (an object's constructor taking its fields in order) from values given
 * per native parameter name.
 */
final class RecordStubs {

    private RecordStubs() {}

    /**
     * {@code s.pos().x()} for {@code s.pos.x} of a parameter of shape {@code shape}: a record's component through its
     * accessor, an object's field directly ({@code c.k}); a plain parameter name as it is.
     */
    static String read(Shape shape, String nativeName) {
        String[] parts = nativeName.split("\\.");
        StringBuilder expression = new StringBuilder(parts[0]);
        Shape current = shape;
        for (int i = 1; i < parts.length; i++) {
            RecordShape owner = (RecordShape) current;
            expression.append('.').append(parts[i]).append(owner.isRecord() ? "()" : "");
            String name = parts[i];
            current = owner.components().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow()
                    .shape();
        }
        return expression.toString();
    }

    /** {@link #read(Shape, String)} of native parameter {@code nativeName} of {@code entry}, by its declared owner. */
    static String read(EntryPoint entry, String nativeName) {
        int dot = nativeName.indexOf('.');
        String owner = dot < 0 ? nativeName : nativeName.substring(0, dot);
        return entry.declared().stream().filter(p -> p.name().equals(owner)).findFirst()
                .map(p -> read(p.shape(), nativeName)).orElse(nativeName);
    }

    /**
     * {@code new R(a[0], a[1], ...)}: the record {@code shape} from the doubles of array expression {@code array},
     * its leaves depth first (how a method returning a record of doubles fills its result array).
     */
    static String fromArray(RecordShape shape, String array) {
        Map<String, String> leaves = new java.util.HashMap<>();
        java.util.List<String> names = shape.leafNames("r");
        for (int i = 0; i < names.size(); i++) {
            leaves.put(names.get(i), array + "[" + i + "]");
        }
        return construct(shape, "r", leaves);
    }

    /** {@code new double[] {r.a(), r.b().x(), ...}}: the leaves of record expression {@code record}, depth first. */
    static String toArray(RecordShape shape, String record) {
        return shape.leafNames(record).stream().map(leaf -> read(shape, leaf))
                .collect(Collectors.joining(", ", "new double[] {", "}"));
    }

    /** A Java identifier for a value tied to native parameter {@code nativeName}: {@code ds$pos$x}. */
    static String local(String nativeName) {
        return nativeName.replace('.', '$');
    }

    /**
     * {@code new State(new Vec(a, b), ...)} for a record parameter called {@code prefix}, each leaf's value taken
     * from {@code leaves} by its native name (0 or null where none is given: a Const component has no partial).
     */
    static String construct(RecordShape shape, String prefix, Map<String, String> leaves) {
        return "new " + shape.javaName() + shape.components().stream().map(c -> {
            String name = prefix + "." + c.name();
            if (c.shape() instanceof RecordShape nested) {
                return construct(nested, name, leaves);
            }
            JavaType type = (JavaType) c.shape();
            return leaves.getOrDefault(name, type.isArray() ? "null" : type == JavaType.BOOLEAN ? "false" : "0");
        }).collect(Collectors.joining(", ", "(", ")"));
    }
}
