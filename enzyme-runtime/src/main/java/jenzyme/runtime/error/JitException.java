package jenzyme.runtime.error;

import java.util.Optional;

/**
 * Raised when LLVM ORC could not add, optimise, link or look up compiled code. Carries the module's name, the
 * symbol concerned (if any) and the module's IR text when it was available.
 */
public final class JitException extends JEnzymeException {

    private final String moduleName;
    private final String symbol;
    private final String irText;

    public JitException(String message) {
        this(message, null, null, null, null);
    }

    public JitException(String message, Throwable cause) {
        this(message, null, null, null, cause);
    }

    public JitException(String message, String moduleName, String symbol, String irText, Throwable cause) {
        super(message, cause);
        this.moduleName = moduleName;
        this.symbol = symbol;
        this.irText = irText;
    }

    public Optional<String> moduleName() {
        return Optional.ofNullable(moduleName);
    }

    public Optional<String> symbol() {
        return Optional.ofNullable(symbol);
    }

    public Optional<String> irText() {
        return Optional.ofNullable(irText);
    }
}
