package jenzyme.magics.binding;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.lang.model.SourceVersion;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.EntryPoint;

/**
 * Which magic owns each name its stubs declare in the notebook (records, holder classes, methods), so that a binding
 * never silently replaces another's or the user's: {@code f} and {@code F} both capitalise to {@code FGradient}
 * (the second binding broke the first: "f_grad cannot be used until its errors are fixed"), and a user's own
 * {@code record GGradient} vanished, with the variables of that type, under {@code %autodiff reverse g}.
 */
final class GeneratedNames {

    /** The prefixes of the names generated from a parameter's: gradient, tangent, hvp direction and result. */
    private static final List<String> PREFIXES = List.of("d", "t", "v", "hv");

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
     * The name the stubs of {@code entry}'s method give a parameter's gradient ({@code prefix} d), tangent (t), hvp
     * direction (v) or result (hv): {@code prefix + name} ({@code dx}, {@code to}), with {@code _} appended while that
     * is a Java keyword or literal, one of the method's parameter names, or the name an earlier parameter got
     * (docs/MAGICS.md). So a record parameter {@code o} has the gradient component {@code do_}: JShell rejected
     * {@code do}, and the magic then reported that its own holder class "would replace your declaration". And
     * parameters {@code o} and {@code o_} get {@code do_} and {@code do__}: both got {@code do_} before, the stubs
     * declared it twice and did not compile. {@code name} may be a leaf ({@code o.k}): only its first part is
     * declared.
     */
    static String prefixed(String prefix, String name, EntryPoint entry) {
        return prefixed(prefix, name, entry.declared().stream().map(EntryPoint.JavaParameter::name).toList());
    }

    /**
     * A fixed name the stubs of {@code entry}'s method declare beside its parameters (docs/MAGICS.md): the direction
     * {@code v} and result {@code hv} of an hvp of one parameter, {@code _grad_into}'s {@code dActive}, the cotangent
     * {@code ybar}, {@code _jvp_into}'s {@code y} and {@code ty}, {@code _jac_into}'s {@code jacobian}. It is
     * {@code name}, with {@code _} appended while it is one of the parameters' names or a name generated from one
     * ({@link #prefixed} with each of {@link #PREFIXES}): {@code double f(double[] v)} had
     * {@code f_hvp(double[] v, double[] v)}, and a parameter {@code dActive} (or a {@code double[] Active}, whose
     * shadow is {@code dActive}) had {@code f_grad_into(..., double[] dActive, double[] dActive)}; neither compiled.
     * The locals the stubs declare ({@code out$}, {@code r$}, {@code value$}, {@code dActive$}, {@code hv$x}, the
     * catch parameters {@code e$} and {@code t$}, loop counters) are named the same way: {@code $} is legal in a
     * parameter's name, and {@code double f(double[] out$)} had stubs declaring {@code out$} twice.
     */
    static String besideParameters(String name, EntryPoint entry) {
        return besideParameters(name, entry.declared().stream().map(EntryPoint.JavaParameter::name).toList());
    }

    /** {@link #besideParameters(String, EntryPoint)} for a method whose parameters are {@code parameters}. */
    static String besideParameters(String name, List<String> parameters) {
        Set<String> taken = new HashSet<>(parameters);
        for (String prefix : PREFIXES) {
            parameters.forEach(parameter -> taken.add(prefixed(prefix, parameter, parameters)));
        }
        return unused(name, taken);
    }

    /** {@link #prefixed(String, String, EntryPoint)} for a method whose parameters are {@code parameters}, in order. */
    static String prefixed(String prefix, String name, List<String> parameters) {
        int dot = name.indexOf('.');
        String parameter = dot < 0 ? name : name.substring(0, dot);
        int position = parameters.indexOf(parameter);
        Set<String> taken = new HashSet<>(parameters);
        for (String earlier : position < 0 ? parameters : parameters.subList(0, position)) {
            taken.add(unused(prefix + earlier, taken));
        }
        String declared = unused(prefix + parameter, taken);
        return dot < 0 ? declared : declared + name.substring(dot);
    }

    /** {@code candidate}, with {@code _} appended while it is a Java keyword or literal or in {@code taken}. */
    private static String unused(String candidate, Set<String> taken) {
        String name = candidate;
        while (SourceVersion.isKeyword(name) || taken.contains(name)) {
            name += "_";
        }
        return name;
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
