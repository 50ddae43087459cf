package jenzyme.kernel;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Arrays;
import java.util.List;
import jenzyme.magics.DefinitionException;
import jenzyme.magics.binding.CompilerSession;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The in-process kernel a test class of the magics runs its cells in, and the cells read back as the notebook shows
 * them. Registered as {@code @RegisterExtension static final NotebookCells cells = new NotebookCells(definitions...)}:
 * the kernel starts before the class's tests (and its {@code @BeforeAll} methods) with the definitions made, and is
 * shut down after them.
 */
final class NotebookCells implements BeforeAllCallback, AfterAllCallback {

    private final List<String> definitions;
    private JEnzymeKernel kernel;
    private CompilerSession compiler;

    /** @param definitions Java cells (classes, methods, variables) defined in the kernel before the tests */
    NotebookCells(String... definitions) {
        this.definitions = List.of(definitions);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        kernel = JEnzymeKernel.start();
        compiler = new CompilerSession(kernel.session());
        for (String definition : definitions) {
            define(definition);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        kernel.onShutdown(false);
    }

    /** The magics' view of the notebook: its methods, the stubs' handles, sampled functions. */
    CompilerSession compiler() {
        return compiler;
    }

    /** Runs {@code cell} as the notebook does (magics included). */
    CellExecutor.CellResult run(String cell) throws Exception {
        return kernel.runCell(cell);
    }

    /** Defines Java code in the notebook's session, as a cell without magics. */
    void define(String javaSource) throws DefinitionException {
        kernel.session().define(javaSource);
    }

    /** The notebook's method {@code name} (the user's, or a stub a magic generated) as a handle. */
    MethodHandle handle(String name) {
        return compiler.jvmHandle(compiler.method(name));
    }

    /** The constructor of a notebook class (a JShell class, reached by {@code type} from one of its methods). */
    static MethodHandle constructor(Class<?> type, Class<?>... parameters) throws IllegalAccessException,
            NoSuchMethodException {
        return MethodHandles.privateLookupIn(type, MethodHandles.lookup()).findConstructor(type,
                MethodType.methodType(void.class, parameters));
    }

    /** The text the notebook shows as {@code cell}'s value. */
    String text(String cell) throws Exception {
        return String.valueOf(kernel.runCell(cell).value().orElseThrow().getData(MIMEType.TEXT_PLAIN));
    }

    /** The values of the comma-separated double expressions, evaluated in the notebook. */
    double[] numbers(String expressions) throws Exception {
        return parse(text("java.util.Arrays.toString(new double[] {" + expressions + "})"));
    }

    /** The rows of a double[][] expression, evaluated in the notebook. */
    double[][] matrix(String expression) throws Exception {
        String shown = text("java.util.Arrays.deepToString(" + expression + ")");
        String inner = shown.substring(shown.indexOf("[[") + 2, shown.lastIndexOf("]]"));
        return Arrays.stream(inner.split("\\],\\s*\\[")).map(NotebookCells::parse).toArray(double[][]::new);
    }

    /** How the notebook shows the error of {@code cell} (a magic's or the Java code's), which must fail. */
    String refusal(String cell) {
        Exception failure = assertThrows(Exception.class, () -> kernel.runCell(cell));
        ErrorReport report = kernel.report(failure);
        return report.value() + "\n" + String.join("\n", report.traceback());
    }

    /** The numbers of {@code [1.0, -2.5E-3]} (the brackets and a String value's quotes left out). */
    private static double[] parse(String list) {
        return Arrays.stream(list.replaceAll("[^0-9eE+\\-.,]", "").split(",")).mapToDouble(Double::parseDouble)
                .toArray();
    }
}
