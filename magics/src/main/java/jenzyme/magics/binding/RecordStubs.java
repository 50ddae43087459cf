package jenzyme.magics.binding;

import java.util.Map;
import java.util.stream.Collectors;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.RecordShape;

/**
 * Source fragments for record parameters in generated stubs: a native parameter named {@code s.pos.x} (see
 * {@code EntryPoint}) is read as {@code s.pos().x()}, and a record is rebuilt with its canonical constructor from
 * values given per native parameter name.
 */
final class RecordStubs {

    private RecordStubs() {}

    /** {@code s.pos().x()} for {@code s.pos.x}; a plain parameter name as it is. */
    static String read(String nativeName) {
        String[] parts = nativeName.split("\\.");
        StringBuilder expression = new StringBuilder(parts[0]);
        for (int i = 1; i < parts.length; i++) {
            expression.append('.').append(parts[i]).append("()");
        }
        return expression.toString();
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
