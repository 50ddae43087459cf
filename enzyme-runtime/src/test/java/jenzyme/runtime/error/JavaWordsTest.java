package jenzyme.runtime.error;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Names in messages are Java's, never JShell's wrappers or JVM descriptors. */
class JavaWordsTest {

    @Test
    void typesOwnersAndMethodsReadAsWritten() {
        assertEquals("double[][]", JavaWords.type("[[D"));
        assertEquals("String", JavaWords.type("Ljava/lang/String;"));
        assertEquals("SqGradient", JavaWords.type("LREPL/$JShell$23$SqGradient;"), "a record declared in a cell");
        assertEquals("java.util.List", JavaWords.owner("java/util/List"));
        assertEquals("", JavaWords.owner("REPL/$JShell$5B"), "a cell's own methods have no class to name");
        assertEquals("f(double, int[], Point[])",
                JavaWords.method("REPL/$JShell$5B", "f", "(D[I[LREPL/$JShell$2$Point;)D"));
        assertEquals("Math.random()", JavaWords.method("java/lang/Math", "random", "()D"));
        assertEquals("a lambda taking (double[])", JavaWords.method("REPL/$JShell$9", "lambda$do_it$$0", "([D)[D"),
                "javac's name of a lambda's body is no name the user wrote");
        assertEquals("reading scale", "reading " + JavaWords.field("REPL/$JShell$3", "scale"));
    }
}
