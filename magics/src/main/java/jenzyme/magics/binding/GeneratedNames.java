package jenzyme.magics.binding;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jenzyme.runtime.error.Messages;

/**
 * Which magic owns each name its stubs declare in the notebook (records, holder classes, methods), so that a binding
 * never silently replaces another's or the user's: {@code f} and {@code F} both capitalise to {@code FGradient}
 * (the second binding broke the first: "f_grad cannot be used until its errors are fixed"), and a user's own
 * {@code record GGradient} vanished, with the variables of that type, under {@code %autodiff reverse g}.
 */
final class GeneratedNames {

    private static final Pattern TYPE = Pattern.compile("(?m)^(?:final class|record) ([^\\s(]+)");

    private final Map<String, String> ownerOf = new HashMap<>();

    /** The names {@code stubs} declares: its types and its methods. */
    static List<String> declaredBy(BindingStubs.Stubs stubs) {
        List<String> names = new ArrayList<>();
        Matcher type = TYPE.matcher(stubs.source());
        while (type.find()) {
            names.add(type.group(1));
        }
        for (String signature : stubs.signatures()) {
            String head = signature.substring(0, signature.indexOf('('));
            names.add(head.substring(head.lastIndexOf(' ') + 1));
        }
        return names;
    }

    /**
     * Refuses {@code names} for binding {@code base} if another binding owns one, or if the notebook declares one
     * that no binding generated ({@code declaredInNotebook}).
     */
    void check(String base, List<String> names, java.util.function.Predicate<String> declaredInNotebook) {
        for (String name : names) {
            String owner = ownerOf.get(name);
            if (owner != null && !owner.equals(base)) {
                throw new IllegalArgumentException(Messages.NAME_TAKEN_BY_BINDING.format(name, base, owner, base));
            }
            if (owner == null && declaredInNotebook.test(name)) {
                throw new IllegalArgumentException(Messages.NAME_TAKEN_BY_USER.format(name, base, name));
            }
        }
    }

    void claim(String base, List<String> names) {
        names.forEach(name -> ownerOf.put(name, base));
    }
}
