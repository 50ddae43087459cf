package jenzyme.magics.binding;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The type arguments of generic parameters as the user wrote them ({@code ToDoubleFunction<double[]> f}), put back
 * into stubs generated from the erased descriptor: with the raw {@code ToDoubleFunction f} a lambda argument
 * ({@code v -> v[0]}) sees an {@code Object} and does not compile.
 */
public final class GenericParameters {

    private GenericParameters() {}

    /** {@code stubs} with each raw {@code Type name} of a generic parameter of {@code method} given its arguments. */
    public static BindingStubs.Stubs restore(BindingStubs.Stubs stubs, String source, String method) {
        String result = stubs.source();
        List<String> signatures = new ArrayList<>(stubs.signatures());
        for (Map.Entry<String, String> parameter : writtenGenericTypes(source, method).entrySet()) {
            String written = parameter.getValue();
            String raw = written.substring(0, written.indexOf('<')).strip();
            String simple = raw.substring(raw.lastIndexOf('.') + 1);
            Pattern erased = Pattern.compile("([\\w.$]*\\b" + Pattern.quote(simple) + ") (" + Pattern.quote(
                    parameter.getKey()) + ")\\b");
            String arguments = Matcher.quoteReplacement(written.substring(written.indexOf('<')).strip());
            result = erased.matcher(result).replaceAll("$1" + arguments + " $2");
            signatures.replaceAll(signature -> erased.matcher(signature).replaceAll("$1" + arguments + " $2"));
        }
        return new BindingStubs.Stubs(result, signatures);
    }

    /** Parameter name to written type, for the parameters of {@code method}'s header whose type has arguments. */
    static Map<String, String> writtenGenericTypes(String source, String method) {
        Map<String, String> types = new LinkedHashMap<>();
        Matcher header = Pattern.compile("\\b" + Pattern.quote(method) + "\\s*\\(").matcher(source);
        if (!header.find()) {
            return types;
        }
        List<String> parameters = new ArrayList<>();
        int depth = 0;
        int start = header.end();
        for (int i = start; i < source.length(); i++) {
            char c = source.charAt(i);
            if (c == '<' || c == '(' || c == '[') {
                depth++;
            } else if (c == '>' || c == ']' || c == ')' && depth > 0) {
                depth--;
            } else if (c == ')' || c == ',' && depth == 0) {
                parameters.add(source.substring(start, i).strip());
                start = i + 1;
                if (c == ')') {
                    break;
                }
            }
        }
        for (String parameter : parameters) {
            String declaration = parameter.replaceAll("@\\w+(\\([^)]*\\))?\\s*", "").replaceFirst("^final\\s+", "");
            int space = declaration.lastIndexOf(' ');
            if (space > 0 && declaration.substring(0, space).contains("<")) {
                types.put(declaration.substring(space + 1), declaration.substring(0, space).strip());
            }
        }
        return types;
    }
}
