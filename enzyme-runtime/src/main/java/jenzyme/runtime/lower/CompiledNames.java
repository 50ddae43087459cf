package jenzyme.runtime.lower;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The methods behind compiled symbols ({@code jz_spin_66b4d51d672acf7e} and the worker's wrappers named
 * after it), for messages: a worker failure or a binding error that names a symbol is shown with the method as the
 * user wrote it ({@code spin(int)}). Filled as {@link SymbolNames} names methods; process-wide, one entry per distinct
 * method ever lowered.
 */
public final class CompiledNames {

    private static final Pattern SYMBOL = Pattern.compile("\\bjz_[A-Za-z0-9]+_[0-9a-f]{16}\\w*");
    /** Put into words ({@link MethodRef#asWritten}) only when a message names the symbol: most never fail. */
    private static final Map<String, MethodRef> METHODS = new ConcurrentHashMap<>();

    private CompiledNames() {}

    static void register(String symbol, MethodRef method) {
        METHODS.put(symbol, method);
    }

    /** {@code text} with every compiled symbol replaced by its method as written ("compiled code" if unknown). */
    public static String readable(String text) {
        if (text == null || !text.contains("jz_")) {
            return text;
        }
        Matcher symbols = SYMBOL.matcher(text);
        StringBuilder out = new StringBuilder();
        while (symbols.find()) {
            String symbol = symbols.group();
            String method = METHODS.entrySet().stream().filter(e -> symbol.startsWith(e.getKey()))
                    .map(entry -> entry.getValue().asWritten()).findFirst().orElse("compiled code");
            symbols.appendReplacement(out, Matcher.quoteReplacement(method));
        }
        return symbols.appendTail(out).toString();
    }
}
