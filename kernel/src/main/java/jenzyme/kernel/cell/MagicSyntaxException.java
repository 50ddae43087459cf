package jenzyme.kernel.cell;

/** A magic line the {@link CellParser} cannot split into arguments (e.g. an unclosed quote): the user's mistake. */
public final class MagicSyntaxException extends IllegalArgumentException {

    public MagicSyntaxException(String message) {
        super(message);
    }
}
