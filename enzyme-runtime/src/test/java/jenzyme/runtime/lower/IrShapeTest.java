package jenzyme.runtime.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jenzyme.runtime.llvm.LlvmModules;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.DebianLlvm19;
import jenzyme.runtime.testing.InMemoryJavac;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.junit.jupiter.api.Test;

import static org.bytedeco.llvm.global.LLVM.*;

/**
 * The IR the Enzyme worker receives has the shape Enzyme needs (see ENZYME-NOTES "What the IR must look like"):
 * the fixed calling convention, typed element loads and stores carrying TBAA type names, the interrupt flag as an
 * external {@code enzyme_const} global read by volatile loads, callees internal, libm/intrinsics only, and bitcode
 * that verifies and round-trips.
 */
class IrShapeTest {

    private static final CompiledClasses CLASSES = InMemoryJavac.compile("shape.Shape", """
            package shape;
            public class Shape {
                static double f(double x, double[] a, int n) {
                    double s = 0;
                    for (int i = 0; i < n; i++) {
                        s += a[i] * Math.sin(x) + helper(a, i);
                    }
                    return s;
                }
                private static double helper(double[] a, int i) { return Math.atan2(a[i], 1.0); }
                static void mixed(float[] f, int[] k, long[] l, double[] d, boolean flag) {
                    f[0] = k[0] + l[0] + (float) d[0];
                    k[0] = flag ? 1 : 2;
                    l[0] = k[0];
                    d[0] = f[0];
                }
                static double scratch(int n) {
                    double[] t = new double[n];
                    t[0] = 1;
                    return t[0];
                }
            }
            """);

    @Test
    void entryFollowsTheCallingConventionAndDescribesItsParameters() {
        LoweredModule module = lower("f", "(D[DI)D");
        EntryPoint entry = module.entry();
        assertEquals("double @" + entry.symbol() + "(ptr, double, ptr, i32, i32)", entry.llvmSignature());
        assertTrue(module.irText().contains("define double @" + entry.symbol()
                + "(ptr noalias nocapture %status, double %x, ptr %a, i32 %a.len, i32 %n)"), module.irText());
        assertEquals(List.of(new NativeParameter("x", JavaType.DOUBLE, 1), new NativeParameter("a", JavaType.DOUBLE_ARRAY, 2),
                new NativeParameter("n", JavaType.INT, 4)), entry.parameters());
        assertEquals(5, entry.llvmParameterCount());
        assertEquals(JavaType.DOUBLE, entry.returnType());
        assertTrue(entry.symbol().matches("jz_f_[0-9a-f]{16}"), entry.symbol());
        assertEquals(entry.symbol(), lower("f", "(D[DI)D").entry().symbol(), "symbol names are deterministic");
    }

    @Test
    void elementAccessesAreTypedAndTbaaTagged() {
        String ir = lower("mixed", "([F[I[J[DZ)V").irText();
        for (String[] typeAndTbaa : new String[][] {{"float", "float"}, {"i32", "int"}, {"i64", "long"}, {"double", "double"}}) {
            String tag = tbaaTagNamed(ir, typeAndTbaa[1]);
            assertTrue(Pattern.compile("load " + typeAndTbaa[0] + ", ptr %\\S+, align \\d+, !tbaa " + tag).matcher(ir).find(),
                    "typed " + typeAndTbaa[0] + " load tagged " + typeAndTbaa[1] + ":\n" + ir);
            assertTrue(Pattern.compile("store " + typeAndTbaa[0] + " %\\S+, ptr %\\S+, align \\d+, !tbaa " + tag).matcher(ir).find(),
                    "typed " + typeAndTbaa[0] + " store tagged " + typeAndTbaa[1] + ":\n" + ir);
        }
        assertTrue(ir.contains("!{!\"Simple C/C++ TBAA\"}"), ir);
        assertTrue(ir.contains("i8 %flag"), "booleans cross as i8:\n" + ir);
        assertFalse(ir.contains("bitcast"), "no bit-pattern round trips:\n" + ir);
    }

    @Test
    void loopsPollTheInactiveInterruptFlagAndCalleesAreInternal() {
        LoweredModule module = lower("f", "(D[DI)D");
        String ir = module.irText();
        assertTrue(ir.contains("@jenzyme_interrupt_enzyme_const = external global i32"), ir);
        assertTrue(ir.contains("load volatile i32, ptr @jenzyme_interrupt_enzyme_const"), ir);
        assertTrue(ir.contains("call double @llvm.sin.f64("), ir);
        assertTrue(ir.contains("call double @atan2("), ir);
        Matcher helper = Pattern.compile("define internal double @(jz_helper_[0-9a-f]{16})\\(ptr noalias nocapture %status, ptr %a, i32 %a.len, i32 %i\\)").matcher(ir);
        assertTrue(helper.find(), ir);
        assertEquals(List.of("shape.Shape.f(D[DI)D", "shape.Shape.helper([DI)D"), module.loweredMethods());
        Pattern definitions = Pattern.compile("^define (?!internal)", Pattern.MULTILINE);
        assertEquals(1, definitions.matcher(ir).results().count(), "only the entry is external:\n" + ir);
    }

    @Test
    void arraysAllocatedInsideAreCallocedAndFreed() {
        String ir = lower("scratch", "(I)D").irText();
        assertTrue(ir.contains("call ptr @calloc(i64 1, i64"), ir); // zeroed shadows too (IrModule.zeroedAllocation)
        assertTrue(ir.contains("call void @free(ptr"), ir);
    }

    @Test
    void bitcodeVerifiesAndRoundTrips() {
        LoweredModule module = lower("f", "(D[DI)D");
        LLVMContextRef context = LLVMContextCreate();
        try {
            LLVMModuleRef parsed = LlvmModules.parseBitcode(context, module.bitcode(), module.moduleName());
            assertTrue(LlvmModules.verify(parsed).isEmpty());
            assertEquals(withoutComments(module.irText()), withoutComments(LlvmModules.irText(parsed)));
            LLVMDisposeModule(parsed);
        } finally {
            LLVMContextDispose(context);
        }
    }

    /** The printer lists a block's predecessors in use-list order, which bitcode does not keep. */
    private static String withoutComments(String ir) {
        return ir.replaceAll("\\s*; preds = .*", "");
    }

    /** The worker's LLVM (Debian 19.1.7) reads our bitcode (Bytedeco 19.1.3) and keeps TBAA through its O2 pipeline. */
    @Test
    void workerLlvmReadsAndOptimisesOurBitcode() throws Exception {
        LoweredModule module = lower("f", "(D[DI)D");
        String optimised = DebianLlvm19.opt(module.bitcode(), "verify,default<O2>,verify");
        assertTrue(optimised.contains("define double @" + module.entry().symbol() + "("), optimised);
        assertTrue(Pattern.compile("load double, ptr %\\S+, align 8, !tbaa").matcher(optimised).find(), optimised);
        assertFalse(optimised.contains("alloca"), "mem2reg promoted every local:\n" + optimised);
    }

    private static LoweredModule lower(String method, String descriptor) {
        return new BytecodeLowering(CLASSES).lower("shape/Shape", method, descriptor);
    }

    /** The metadata id of the access tag whose type node is named {@code typeName}, e.g. {@code !5}. */
    private static String tbaaTagNamed(String ir, String typeName) {
        Matcher type = Pattern.compile("(![0-9]+) = !\\{!\"" + typeName + "\", ![0-9]+, i64 0\\}").matcher(ir);
        assertTrue(type.find(), "TBAA type " + typeName + " in:\n" + ir);
        Matcher tag = Pattern.compile("(![0-9]+) = !\\{" + type.group(1) + ", " + type.group(1) + ", i64 0\\}").matcher(ir);
        assertTrue(tag.find(), "TBAA access tag for " + typeName);
        return tag.group(1);
    }
}
