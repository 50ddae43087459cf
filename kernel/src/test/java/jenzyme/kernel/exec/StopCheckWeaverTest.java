package jenzyme.kernel.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.MethodModel;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Map;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StopCheckWeaverTest {

    private static final String SOURCE = """
            package fixture;
            public class Loops {
                public static int straight(int n) { return n > 0 ? n * 2 : -n; }
                public static int single(int n) { int s = 0; for (int i = 0; i < n; i++) { s += i; } return s; }
                public static int nested(int n) {
                    int s = 0;
                    for (int i = 0; i < n; i++) { int j = 0; while (j < i) { s += j; j++; } }
                    return s;
                }
            }""";

    private final byte[] woven = new StopCheckWeaver(ClassHierarchyResolver.defaultResolver())
            .instrument(InMemoryJavac.compile("fixture.Loops", SOURCE).bytesOf("fixture/Loops").orElseThrow());

    @AfterEach
    void clearSignal() {
        StopSignal.clear();
    }

    private long checksIn(String methodName) {
        MethodModel method = ClassFile.of().parse(woven).methods().stream()
                .filter(m -> m.methodName().equalsString(methodName)).findFirst().orElseThrow();
        return method.code().orElseThrow().elementStream()
                .filter(e -> e instanceof InvokeInstruction call && call.owner().asInternalName().equals("jenzyme/kernel/exec/StopSignal"))
                .count();
    }

    @Test
    void everyMethodChecksOnEntryAndEveryLoopOnItsBackEdge() {
        assertEquals(1, checksIn("straight"));
        assertEquals(2, checksIn("single"));
        assertEquals(3, checksIn("nested"));
    }

    @Test
    void wovenCodeComputesTheSameAndStopsWhenSignalled() throws Exception {
        Class<?> loops = new ClassLoader(StopCheckWeaverTest.class.getClassLoader()) {
            Class<?> define() {
                return defineClass("fixture.Loops", woven, 0, woven.length);
            }
        }.define();
        Method nested = loops.getMethod("nested", int.class);
        assertEquals(10, nested.invoke(null, 5)); // sum over i<5 of 0+..+(i-1) = 0+0+1+3+6
        StopSignal.request();
        InvocationTargetException stopped = assertThrows(InvocationTargetException.class, () -> nested.invoke(null, 5));
        assertInstanceOf(CellInterruptedError.class, stopped.getCause());
    }
}
