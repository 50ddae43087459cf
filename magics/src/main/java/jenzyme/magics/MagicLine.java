package jenzyme.magics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import jenzyme.runtime.error.Messages;

/**
 * A parsed magic line, against a declarative {@link Syntax}: positional words, {@code name=Value} assignments,
 * {@code --option value} (or {@code option value}) options and {@code --flag} flags. jjava's MagicsArgs has no valueless long flags, which
 * {@code --dump} needs, hence this small parser. Every mistake is an {@link IllegalArgumentException} that quotes
 * the magic's usage line.
 */
public record MagicLine(List<String> positionals, Map<String, String> assignments, Map<String, String> options,
                        Set<String> flags) {

    /**
     * What a magic accepts: names of its positional words (all required), its options and its flags; {@code help}
     * is shown for {@code %magic?} and {@code %magic --help}.
     */
    public record Syntax(String usage, String help, List<String> positionals, Set<String> options, Set<String> flags) {

        /** The help text as cell output, if {@code words} ask for it. */
        public Optional<org.dflib.jjava.jupyter.kernel.display.DisplayData> helpFor(List<String> words) {
            if (!words.equals(List.of("?")) && !words.equals(List.of("--help"))) {
                return Optional.empty();
            }
            var data = new org.dflib.jjava.jupyter.kernel.display.DisplayData("usage: " + usage + "\n\n" + help);
            data.putMarkdown("**usage:** `" + usage + "`\n\n" + help);
            return Optional.of(data);
        }

        public MagicLine parse(List<String> words) {
            List<String> positional = new ArrayList<>();
            Map<String, String> assignments = new LinkedHashMap<>();
            Map<String, String> optionValues = new LinkedHashMap<>();
            Set<String> flagsSeen = new java.util.LinkedHashSet<>();
            for (int i = 0; i < words.size(); i++) {
                String word = words.get(i);
                if (word.startsWith("--")) {
                    String name = word.substring(2);
                    int eq = name.indexOf('=');
                    if (eq > 0 && options.contains(name.substring(0, eq))) {
                        optionValues.put(name.substring(0, eq), name.substring(eq + 1));
                    } else if (options.contains(name)) {
                        if (i + 1 >= words.size()) {
                            throw usageError("--" + name + " expects a value");
                        }
                        optionValues.put(name, words.get(++i));
                    } else if (flags.contains(name)) {
                        flagsSeen.add(name);
                    } else {
                        throw usageError("unknown option " + word);
                    }
                } else if (positional.size() >= positionals.size() && options.contains(word)) {
                    // A bare option name after the positionals reads like English: "%gradcheck f at 1,2".
                    if (i + 1 >= words.size()) {
                        throw usageError(word + " expects a value");
                    }
                    optionValues.put(word, words.get(++i));
                } else if (word.indexOf('=') > 0 && positional.size() >= positionals.size()) {
                    int eq = word.indexOf('=');
                    assignments.put(word.substring(0, eq), word.substring(eq + 1));
                } else {
                    positional.add(word);
                }
            }
            if (positional.size() != positionals.size()) {
                throw usageError("expected " + String.join(" ", positionals.stream().map(p -> "<" + p + ">").toList())
                        + ", got " + (positional.isEmpty() ? "nothing" : String.join(" ", positional)));
            }
            return new MagicLine(positional, assignments, optionValues, flagsSeen);
        }

        private IllegalArgumentException usageError(String problem) {
            return new IllegalArgumentException(Messages.WITH_USAGE.format(problem, usage));
        }
    }

    /** Numbers separated by commas, e.g. a point {@code 1,2.5,-3}; {@code what} names the option in errors. */
    public static double[] numbers(String text, String what) {
        try {
            return java.util.Arrays.stream(text.split(",")).map(String::trim).mapToDouble(Double::parseDouble)
                    .toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(Messages.NOT_NUMBERS.format(what, text));
        }
    }

    /** An interval {@code a:b} with finite {@code a < b}, e.g. {@code -2:2}; {@code option} names it in errors. */
    public static double[] range(String text, String option) {
        double[] bounds = numbers(text.replace(':', ','), option);
        if (bounds.length != 2 || !(bounds[0] < bounds[1]) || !Double.isFinite(bounds[0] + bounds[1])) {
            throw new IllegalArgumentException(Messages.NOT_A_RANGE.format(option, text));
        }
        return bounds;
    }

    /**
     * The line that makes the same binding again, e.g. {@code %autodiff reverse sq3 --name cube}, for hints such as
     * "re-run ..." once the binding is retired: every word the user gave that changes the code or its name, without
     * {@code --dump}/{@code --verbose}, which only change what the cell shows.
     */
    public String rerun(String magic) {
        StringBuilder line = new StringBuilder(magic);
        positionals.forEach(word -> line.append(' ').append(word));
        assignments.forEach((name, value) -> line.append(' ').append(name).append('=').append(value));
        options.forEach((name, value) -> line.append(" --").append(name).append(' ').append(value));
        flags.stream().filter(flag -> !flag.equals("dump") && !flag.equals("verbose"))
                .forEach(flag -> line.append(" --").append(flag));
        return line.toString();
    }

    public String positional(int index) {
        return positionals.get(index);
    }

    public Optional<String> option(String name) {
        return Optional.ofNullable(options.get(name));
    }

    public boolean flag(String name) {
        return flags.contains(name);
    }
}
