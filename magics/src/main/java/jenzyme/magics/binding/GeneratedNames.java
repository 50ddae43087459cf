package jenzyme.magics.binding;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.lang.model.SourceVersion;
import jenzyme.runtime.error.Messages;

/**
 * Which magic owns each name its stubs declare in the notebook (records, holder classes, methods), so that a binding
 * never silently replaces another's or the user's: {@code f} and {@code F} both capitalise to {@code FGradient}
 * (the second binding broke the first: "f_grad cannot be used until its errors are fixed"), and a user's own
 * {@code record GGradient} vanished, with the variables of that type, under {@code %autodiff reverse g}.
 */
final class GeneratedNames {

    private static final Pattern TYPE = Pattern.compile("(?m)^(?:final class|record) ([^\\s(]+)");

    /** The binding that declared a name: its base, and what it differentiates or compiles. */
    private record Owner(String base, String target) {}

    private final Map<String, Owner> ownerOf = new HashMap<>();

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
     * The name the stubs give a parameter's gradient ({@code prefix} d), tangent (t), hvp direction (v) or result (hv):
     * {@code prefix + name}, with {@code _} appended when that is a Java keyword or literal (a record parameter
     * {@code o}: its gradient component {@code do_}, docs/MAGICS.md). JShell rejected {@code do}, and the magic then
     * reported that its own holder class "would replace your declaration". {@code name} may be a leaf ({@code o.k}):
     * only its first part is declared.
     */
    static String prefixed(String prefix, String name) {
        int dot = name.indexOf('.');
        String declared = prefix + (dot < 0 ? name : name.substring(0, dot));
        if (SourceVersion.isKeyword(declared)) {
            declared += "_";
        }
        return dot < 0 ? declared : declared + name.substring(dot);
    }

    /**
     * Refuses {@code names} for binding {@code base} of {@code target} if another binding owns one, if a binding of
     * the same base but of another target owns one and {@code --name} did not ask for that base (an instance
     * method's bindings are named after the method: {@code %autodiff reverse sp2.e} silently took {@code e_grad}
     * over from {@code sp.e}, qa6 R7), or if the notebook declares one that no binding generated
     * ({@code declaredInNotebook}).
     */
    void check(String base, CompilerSession.Target target, List<String> names,
               java.util.function.Predicate<String> declaredInNotebook) {
        for (String name : names) {
            Owner owner = ownerOf.get(name);
            if (owner != null && !owner.base().equals(base)) {
                throw new IllegalArgumentException(Messages.NAME_TAKEN_BY_BINDING.format(name, base, owner.base(),
                        base));
            }
            if (owner == null && declaredInNotebook.test(name)) {
                throw new IllegalArgumentException(Messages.NAME_TAKEN_BY_USER.format(name, base, name));
            }
        }
        if (target.named()) {
            return;
        }
        // named after a method the user calls (e_grad), not our holder classes (e$reverse) or records
        names.stream().filter(name -> name.contains("_") && !name.contains("$")).filter(name ->
                ownerOf.containsKey(name) && !ownerOf.get(name).target().equals(target.text())).findFirst()
                .ifPresent(name -> {
                    String suggested = target.text().replace('.', '_') + (target.text().contains(".") ? "" : "2");
                    throw new IllegalArgumentException(Messages.NAME_BOUND_TO_OTHER_TARGET.format(name,
                            ownerOf.get(name).target(), target.text(), suggested, base));
                });
    }

    void claim(String base, CompilerSession.Target target, List<String> names) {
        names.forEach(name -> ownerOf.put(name, new Owner(base, target.text())));
    }
}
