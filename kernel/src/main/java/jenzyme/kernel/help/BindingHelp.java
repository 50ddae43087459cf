package jenzyme.kernel.help;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Documentation of the methods and records the magics generate ({@code f_grad}, {@code FGradient}, {@code f_fwd},
 * ...; docs/MAGICS.md is the naming contract), written for the user's own names with an example call. Generated
 * stubs carry no Javadoc, and a cell method's name alone says what the binding does.
 */
final class BindingHelp {

    /** {@code FGradient f_grad(double[] p, double x)}: return type, name, parameters. */
    private static final Pattern METHOD = Pattern.compile("^(\\S+) (\\w+)\\((.*)\\)$");
    /** JShell's signature of a cell record: {@code FGradient(double value, double[] dp)}. */
    private static final Pattern RECORD_SIGNATURE = Pattern.compile("^(\\w+)\\((.*)\\)$");
    private static final Pattern RECORD = Pattern.compile("record\\s+\\w+\\s*\\(([^)]*)\\)");

    private final Predicate<String> isCellMethod;
    private final Function<String, Optional<String>> cellTypeSource;

    /** @param isCellMethod whether a cell method has this name; @param cellTypeSource a cell type's source by name */
    BindingHelp(Predicate<String> isCellMethod, Function<String, Optional<String>> cellTypeSource) {
        this.isCellMethod = isCellMethod;
        this.cellTypeSource = cellTypeSource;
    }

    /** Markdown for a generated binding whose JShell signature is {@code signature}, if it is one. */
    Optional<String> describe(String signature) {
        Matcher method = METHOD.matcher(signature.strip());
        if (!method.matches()) {
            Matcher record = RECORD_SIGNATURE.matcher(signature.strip());
            return record.matches() ? recordHelp(record.group(1)) : Optional.empty();
        }
        String name = method.group(2);
        List<String[]> parameters = new ArrayList<>();
        for (String p : method.group(3).isBlank() ? new String[0] : method.group(3).split(",\\s*")) {
            parameters.add(p.strip().split("\\s+"));
        }
        for (String suffix : List.of("_grad_into", "_grad_set", "_grad", "_fwd", "_hvp_into", "_hvp", "_native")) {
            String f = name.endsWith(suffix) ? name.substring(0, name.length() - suffix.length()) : "";
            if (!f.isEmpty() && isCellMethod.test(f)) {
                return Optional.of(methodHelp(suffix, f, method.group(1), name, parameters));
            }
        }
        return Optional.empty();
    }

    private String methodHelp(String suffix, String f, String returns, String name, List<String[]> parameters) {
        String args = String.join(", ", parameters.stream().map(p -> p[1]).toList());
        StringBuilder example = new StringBuilder();
        String text = switch (suffix) {
            case "_grad" -> {
                example.append(returns).append(" g = ").append(name).append("(").append(args).append(");\n")
                        .append("double value = g.value();");
                components(returns).stream().skip(1).findFirst().ifPresent(c -> example.append("\n")
                        .append(c[0]).append(" ").append(c[1]).append(" = g.").append(c[1]).append("();   // ∂")
                        .append(f).append("/∂").append(c[1].substring(1)));
                yield "**Reverse-mode gradient of `" + f + "`**, bound by `%autodiff reverse " + f + "`: one call "
                        + "returns the value of `" + f + "` and its partial derivatives with respect to every "
                        + "non-Const parameter, in a new `" + returns + "` record (`value`, then `d<parameter>`).\n\n"
                        + "For loops that must not allocate, `" + f + "_grad_into` writes into arrays you own.";
            }
            case "_grad_into", "_grad_set" -> {
                boolean set = suffix.equals("_grad_set");
                for (String[] p : parameters) {
                    boolean shadow = p[1].startsWith("d") && parameters.stream().anyMatch(q -> q[1].equals(p[1].substring(1)));
                    if (shadow) {
                        example.append(p[0]).append(" ").append(p[1]).append(" = new ")
                                .append(p[0].replace("[]", "")).append("[").append(p[1].substring(1))
                                .append(".length];   // ").append(set ? "overwritten with the gradient\n"
                                        : "zeros: the gradient is added\n");
                    } else if (p[1].equals("dActive")) {
                        example.append("double[] dActive = new double[").append(scalarPartials(f)).append("];\n");
                    }
                }
                example.append(returns.equals("void") ? "" : returns + " value = ").append(name).append("(")
                        .append(args).append(");");
                yield "**Allocation-free reverse-mode gradient of `" + f + "`**" + (set ? "" : " (Enzyme's convention)")
                        + ", bound by `%autodiff reverse " + f + "`: after each differentiated array comes its shadow, "
                        + (set ? "which is **written** with the gradient (no need to zero it; `" + f + "_grad_into` "
                        + "adds to it instead)" : "which receives the gradient **added** to what it holds (zero it "
                        + "first, or call `" + f + "_grad_set`)") + "; the partials of Active "
                        + "scalars go to `dActive` in parameter order. Each shadow must be at least as long as its "
                        + "array." + (returns.equals("void") ? "" : " Returns the value of `" + f + "`.");
            }
            case "_fwd" -> {
                for (String[] p : parameters) {
                    if (p[1].startsWith("t") && parameters.stream().anyMatch(q -> q[1].equals(p[1].substring(1)))) {
                        example.append(p[0]).append(" ").append(p[1]).append(" = ").append(p[0].endsWith("[]")
                                ? "new " + p[0].replace("[]", "") + "[" + p[1].substring(1) + ".length];   // fill in a direction"
                                : "1;   // direction").append("\n");
                    }
                }
                example.append(returns.equals("void") ? "" : returns + " t = ").append(name).append("(").append(args)
                        .append(");").append(returns.equals("void") ? "" : "\ndouble slope = t.dvalue();");
                yield "**Forward-mode derivative of `" + f + "`**, bound by `%autodiff forward " + f + "`: after each "
                        + "non-Const parameter comes its tangent (a direction); returns the value and the "
                        + "directional derivative along the tangents as `" + returns + "(value, dvalue)`.";
            }
            case "_hvp" -> {
                example.append(returns).append(" hv = ").append(name).append("(").append(args).append(");   // H(")
                        .append(parameters.getFirst()[1]).append(")·v");
                yield "**Hessian-vector product of `" + f + "`**, bound by `%autodiff hvp " + f + "`: H·v, the "
                        + "second derivative of `" + f + "` at the point along `v`, without forming H (Enzyme's "
                        + "forward mode over its reverse-mode gradient), in a new `" + returns + "` (a record "
                        + "parameter's part of H·v is a record of its type).";
            }
            case "_hvp_into" -> {
                example.append("double[] hv = new double[").append(parameters.getFirst()[1]).append(".length];\n")
                        .append(name).append("(").append(args).append(");");
                yield "**Allocation-free Hessian-vector product of `" + f + "`**, bound by `%autodiff hvp " + f
                        + "`: writes H·v into `hv` (overwritten, not accumulated).";
            }
            default -> {
                example.append(returns.equals("void") ? "" : returns + " fast = ").append(name).append("(")
                        .append(args).append(");   // same result as ").append(f).append("(").append(args).append(")");
                yield "**`" + f + "` compiled to native code** without AD, bound by `%jit " + f + "`: same signature "
                        + "and results as `" + f + "`, to compare values and speed with the JVM.";
            }
        };
        return text + "\n\n**Example**\n\n```java\n" + example + "\n```\n\nSee `%autodiff?` and docs/MAGICS.md.";
    }

    private Optional<String> recordHelp(String type) {
        for (String suffix : List.of("Gradient", "Tangent")) {
            if (!type.endsWith(suffix) || type.length() == suffix.length()) {
                continue;
            }
            String base = type.substring(0, type.length() - suffix.length());
            String f = Character.toLowerCase(base.charAt(0)) + base.substring(1);
            List<String[]> components = components(type);
            if (!isCellMethod.test(f) || components.isEmpty()) {
                continue;
            }
            StringBuilder list = new StringBuilder();
            for (String[] c : components) {
                list.append("\n- `").append(c[0]).append(" ").append(c[1]).append("` — ").append(
                        c[1].equals("value") ? "the value of `" + f + "`"
                                : c[1].equals("dvalue") ? "the directional derivative along the tangents"
                                : "∂" + f + "/∂" + c[1].substring(1)
                                + (c[0].endsWith("[]") ? ", one entry per element of `" + c[1].substring(1) + "`" : ""));
            }
            String call = suffix.equals("Gradient") ? f + "_grad" : f + "_fwd";
            return Optional.of("**What `" + call + "` returns**: an immutable record of the value and the "
                    + (suffix.equals("Gradient") ? "partial derivatives (arrays freshly allocated)" : "directional derivative")
                    + ".\n\n**Components**\n" + list + "\n\n**Example**\n\n```java\n" + type + " r = " + call
                    + "(...);\nSystem.out.println(r.value() + \" \" + r." + components.getLast()[1] + "());\n```");
        }
        return Optional.empty();
    }

    /** The record's components as {type, name}, from its cell source; empty if no such cell record. */
    private List<String[]> components(String type) {
        Optional<Matcher> record = cellTypeSource.apply(type).map(RECORD::matcher).filter(Matcher::find);
        if (record.isEmpty() || record.get().group(1).isBlank()) {
            return List.of();
        }
        return List.of(record.get().group(1).split(",")).stream().map(c -> c.strip().split("\\s+")).toList();
    }

    /** How many Active scalar partials {@code f_grad_into} writes to dActive: the record's scalar components. */
    private int scalarPartials(String f) {
        String record = Character.toUpperCase(f.charAt(0)) + f.substring(1) + "Gradient";
        long scalars = components(record).stream().skip(1).filter(c -> !c[0].endsWith("[]")).count();
        return (int) Math.max(scalars, 1);
    }
}
