package jenzyme.kernel.cell;

import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.error.Messages;

/**
 * Splits a magic's argument text like a shell does: blanks separate arguments, single or double quotes keep blanks
 * inside one, and a backslash takes the next character literally.
 */
public final class MagicArguments {

    private MagicArguments() {
    }

    public static List<String> split(String text) {
        List<String> args = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean inArgument = false;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length() && quote != '\'') {
                current.append(text.charAt(++i));
                inArgument = true;
            } else if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    current.append(c);
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
                inArgument = true;
            } else if (Character.isWhitespace(c)) {
                if (inArgument) {
                    args.add(current.toString());
                    current.setLength(0);
                    inArgument = false;
                }
            } else {
                current.append(c);
                inArgument = true;
            }
        }
        if (quote != 0) {
            throw new MagicSyntaxException(Messages.UNCLOSED_QUOTE.format(quote, text.strip()));
        }
        if (inArgument) {
            args.add(current.toString());
        }
        return args;
    }
}
