package jenzyme.kernel.exec;

import jenzyme.magics.UserMethod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.instruction.InvokeInstruction;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract the compiler frontend relies on: every loaded snippet class is in the store under its internal
 * name, as JShell compiled it, and a call between cell methods is an {@code invokestatic} whose owner is in the
 * store and declares the callee.
 */
class SnippetClassBytesTest {

    private JavaEvaluator evaluator;

    @BeforeEach
    void start() {
        evaluator = JavaEvaluator.start(SnippetClassBytesTest.class.getClassLoader());
        evaluator.beginCell();
    }

    @AfterEach
    void stop() {
        evaluator.close();
    }

    @Test
    void calleeOwnerInTheCallersBytesResolvesInTheStoreBeforeAndAfterRedefinition() throws Exception {
        evaluator.eval("double f(double t) { return t * t; }");
        evaluator.eval("double loss(double t) { return f(t) + 1; }");
        UserMethod firstF = only(evaluator.methods("f"));
        assertEquals("(D)D", firstF.descriptor());
        assertTrue(firstF.ownerInternalName().matches("REPL/\\$JShell\\$\\d+[A-Z]*"), firstF.ownerInternalName());
        assertEquals(firstF.ownerInternalName(), calleeOwner(only(evaluator.methods("loss")), "f"));

        evaluator.eval("double f(double t) { return t * t * t; }");
        UserMethod secondF = only(evaluator.methods("f"));
        assertNotEquals(firstF.ownerInternalName(), secondF.ownerInternalName(), "a redefinition gets a new class name");
        UserMethod loss = only(evaluator.methods("loss"));
        assertEquals(secondF.ownerInternalName(), calleeOwner(loss, "f"), "the recompiled caller calls the new f");
        // The old class is still in the store: callers compiled before keep resolving.
        assertTrue(evaluator.classBytes().bytesOf(firstF.ownerInternalName()).isPresent());
        assertEquals("double f(double t) { return t * t * t; }", secondF.source());
    }

    @Test
    void topLevelMethodsArePublicStaticInTheirWrapperClass() throws Exception {
        evaluator.eval("int twice(int n) { return 2 * n; }");
        UserMethod twice = only(evaluator.methods("twice"));
        MethodModel method = method(classModel(twice.ownerInternalName()), "twice");
        assertEquals("(I)I", method.methodType().stringValue());
        assertTrue((method.flags().flagsMask() & ClassFile.ACC_STATIC) != 0);
        assertTrue((method.flags().flagsMask() & ClassFile.ACC_PUBLIC) != 0);
    }

    @Test
    void overloadsAreListedOnePerSnippet() throws Exception {
        evaluator.eval("double g(double x) { return x; }");
        evaluator.eval("double g(double[] xs) { return xs[0]; }");
        List<String> descriptors = evaluator.methods("g").stream().map(UserMethod::descriptor).sorted().toList();
        assertEquals(List.of("(D)D", "([D)D"), descriptors);
        assertEquals(List.of(), evaluator.methods("nothingCalledThis"));
    }

    @Test
    void storedBytesAreJShellsOriginalsWithoutInterruptChecks() throws Exception {
        evaluator.eval("double spin(int n) { double s = 0; for (int i = 0; i < n; i++) s += i; return s; }");
        byte[] stored = evaluator.classBytes().bytesOf(only(evaluator.methods("spin")).ownerInternalName()).orElseThrow();
        assertFalse(referencesStopSignal(stored), "the store must hold uninstrumented bytes");
        byte[] woven = new StopCheckWeaver(ClassHierarchyResolver.defaultResolver()).instrument(stored);
        assertTrue(referencesStopSignal(woven), "weaving the same bytes adds the checks");
    }

    private static boolean referencesStopSignal(byte[] classFile) {
        String stopSignal = StopSignal.class.getName().replace('.', '/');
        for (var entry : ClassFile.of().parse(classFile).constantPool()) {
            if (entry instanceof ClassEntry classEntry && classEntry.asInternalName().equals(stopSignal)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void nestedClassesOfCellsAreStoredToo() throws Exception {
        evaluator.eval("class Accumulator { double total; void add(double x) { total += x; } }");
        evaluator.eval("double sumAll(double[] xs) { Accumulator a = new Accumulator(); for (double x : xs) a.add(x); return a.total; }");
        ClassModel sumAll = classModel(only(evaluator.methods("sumAll")).ownerInternalName());
        String accumulator = method(sumAll, "sumAll").code().orElseThrow().elementStream()
                .filter(e -> e instanceof InvokeInstruction i && i.name().equalsString("add"))
                .map(e -> ((InvokeInstruction) e).owner().asInternalName())
                .findFirst().orElseThrow();
        assertTrue(accumulator.matches("REPL/\\$JShell\\$\\d+[A-Z]*\\$Accumulator"), accumulator);
        assertTrue(evaluator.classBytes().bytesOf(accumulator).isPresent());
    }

    @Test
    void storeRejectsDottedNames() {
        assertThrows(IllegalArgumentException.class, () -> evaluator.classBytes().bytesOf("REPL.$JShell$1"));
    }

    private String calleeOwner(UserMethod caller, String callee) {
        MethodModel method = method(classModel(caller.ownerInternalName()), caller.name());
        InvokeInstruction call = method.code().orElseThrow().elementStream()
                .filter(e -> e instanceof InvokeInstruction i && i.opcode() == Opcode.INVOKESTATIC && i.name().equalsString(callee))
                .map(InvokeInstruction.class::cast)
                .findFirst().orElseThrow(() -> new AssertionError(caller.name() + " does not invokestatic " + callee));
        String owner = call.owner().asInternalName();
        MethodModel target = method(classModel(owner), callee);
        assertEquals(call.type().stringValue(), target.methodType().stringValue());
        return owner;
    }

    private ClassModel classModel(String internalName) {
        byte[] bytes = evaluator.classBytes().bytesOf(internalName)
                .orElseThrow(() -> new AssertionError("not in the store: " + internalName));
        return ClassFile.of().parse(bytes);
    }

    private static MethodModel method(ClassModel model, String name) {
        return model.methods().stream().filter(m -> m.methodName().equalsString(name)).findFirst()
                .orElseThrow(() -> new AssertionError(model.thisClass().asInternalName() + " has no method " + name));
    }

    private static UserMethod only(List<UserMethod> methods) {
        assertEquals(1, methods.size(), methods.toString());
        return methods.getFirst();
    }
}
