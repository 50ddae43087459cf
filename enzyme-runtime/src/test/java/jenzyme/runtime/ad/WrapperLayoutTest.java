package jenzyme.runtime.ad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import jenzyme.runtime.error.BindingException;
import org.junit.jupiter.api.Test;

/**
 * The Java planner of the derivative wrapper against the cases the worker's planner is tested on
 * ({@code worker/tests/data/layouts.txt}), so that the frontend and the worker cannot drift apart unnoticed.
 */
class WrapperLayoutTest {

    private static final Path CASES = Path.of("worker/tests/data/layouts.txt");

    @Test
    void plansTheLayoutsSharedWithTheWorker() throws IOException {
        int checked = 0;
        for (String line : Files.readAllLines(CASES)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = Arrays.stream(line.split("\\|", -1)).map(String::strip).toArray(String[]::new);
            assertEquals(9, f.length, line);
            Mode mode = Arrays.stream(Mode.values()).filter(m -> m.token().equals(f[0])).findFirst().orElseThrow();
            List<Argument> arguments = Arrays.stream(f[2].split(",")).map(WrapperLayoutTest::argument).toList();
            List<NativeType> types = Arrays.stream(f[5].split(",")).map(NativeType::ofToken).toList();
            NativeType returnType = f[6].equals("void") ? null : NativeType.ofToken(f[6]);
            WrapperLayout layout = WrapperLayout.plan(mode, Integer.parseInt(f[1]), arguments, types, returnType, activity(f[3]),
                    Boolean.parseBoolean(f[4]));
            assertEquals("(" + f[7] + ") -> [" + f[8] + "]", layout.toString(), line);
            checked++;
        }
        assertTrue(checked >= 10, "expected the shared cases, read " + checked);
    }

    @Test
    void theForwardPassOverAGradientWrapperIsTheHessianVectorLayout() {
        WrapperLayout gradient = WrapperLayout.plan(Mode.REVERSE, 1, List.of(argument("const:i32*"),
                        argument("dup:double*"), argument("const:i32")),
                List.of(NativeType.PTR, NativeType.PTR, NativeType.I32), NativeType.DOUBLE, Activity.ACTIVE, false);
        WrapperLayout over = gradient.forwardOver();
        assertEquals(List.of("const:i32*", "dup:double*", "dup:double*", "const:i32", "const:double*"),
                over.arguments().stream().map(Argument::token).toList());
        assertEquals("(arg0:ptr,arg1:ptr,shadow1:ptr,arg2:ptr,shadow2:ptr,arg3:i32,arg4:ptr,out:ptr) -> []",
                over.toString());
    }

    /** A Const work buffer written and read (scratch) takes no parameter of the forward pass either: its wrapper's own. */
    @Test
    void aScratchArrayStaysScratchInTheForwardPassOverTheGradient() {
        WrapperLayout gradient = WrapperLayout.plan(Mode.REVERSE, 1, List.of(argument("const:i32*"),
                        argument("dup:double*"), argument("const:i32"), argument("scratch:double*"),
                        argument("const:i32")), List.of(NativeType.PTR, NativeType.PTR, NativeType.I32, NativeType.PTR,
                        NativeType.I32), NativeType.DOUBLE, Activity.ACTIVE, false);
        WrapperLayout over = gradient.forwardOver();
        assertEquals(List.of("const:i32*", "dup:double*", "dup:double*", "const:i32", "scratch:double*", "const:i32",
                "const:double*"), over.arguments().stream().map(Argument::token).toList());
        assertEquals("(arg0:ptr,arg1:ptr,shadow1:ptr,arg2:ptr,shadow2:ptr,arg3:i32,arg4:ptr,arg5:i32,arg6:ptr,out:ptr) "
                + "-> []", over.toString());
        assertThrows(IllegalArgumentException.class, () -> Argument.scratch(ArgType.PTR_I32));
    }

    @Test
    void aWrapperTheWorkerDescribedDifferentlyIsRefused() {
        WrapperLayout layout = WrapperLayout.plan(Mode.REVERSE, 1, List.of(argument("active:double")),
                List.of(NativeType.DOUBLE), NativeType.DOUBLE, Activity.ACTIVE, true);
        WrapperSignature same = new WrapperSignature("f_rev", layout.parameters(), layout.slots());
        layout.check(same);
        WrapperSignature withoutPrimal = new WrapperSignature("f_rev", layout.parameters(),
                layout.slots().subList(1, 2));
        BindingException refused = assertThrows(BindingException.class, () -> layout.check(withoutPrimal));
        assertTrue(refused.getMessage().contains("got (arg0:double,out:ptr) -> [adjoint0:double]"),
                refused.getMessage());
    }

    private static Argument argument(String token) {
        String[] parts = token.split(":");
        ArgType type = Arrays.stream(ArgType.values()).filter(t -> t.token().equals(parts[1])).findFirst()
                .orElseThrow();
        return parts[0].equals("scratch") ? Argument.scratch(type) : Argument.of(activity(parts[0]), type);
    }

    private static Activity activity(String token) {
        return Arrays.stream(Activity.values()).filter(a -> a.token().equals(token)).findFirst().orElseThrow();
    }
}
