package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static jenzyme.runtime.testing.ScratchFixtures.WORK_CONST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.Argument;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.testing.CentralDifferences;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.ScratchFixtures;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * Const arrays that compiled code writes with values depending on differentiated inputs and reads back (issue 12):
 * Enzyme takes Const memory as inactive, so the path through such an array used to drop silently out of the
 * gradient. They are now scratch (lower/ScratchArrays): Duplicated to Enzyme with a zeroed shadow the worker's
 * wrapper allocates, Const to the user. Each shape — a Const work-buffer parameter, the same through callees, a
 * notebook's static array, a record's array component marked Const — against central differences of the JVM method
 * and the JVM's own value and buffer, in reverse and forward mode (--width, hvp and Jacobians: ScratchArraysModesTest);
 * the harmless shapes (data only read, an output only written, a buffer filled with constants) keep the Const fast
 * path.
 */
class ScratchArraysTest {

    private static final CompiledClasses classes = ScratchFixtures.compile();
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    private static JavaMethod method(String name, String descriptor) {
        return ScratchFixtures.method(classes, name, descriptor);
    }

    /** The arguments of the request: scratch for the written-and-read Const arrays only. */
    @Test
    void onlyArraysWrittenWithComputedValuesAndReadBackAreScratch() throws Exception {
        assertTokens("cubes", "([D[D)D", WORK_CONST, "const:i32*", "dup:double*", "const:i32", "scratch:double*",
                "const:i32");
        assertTokens("viaCallees", "([D[D)D", WORK_CONST, "const:i32*", "dup:double*", "const:i32",
                "scratch:double*", "const:i32");
        assertTokens("viaRecord", "([D[D)D", WORK_CONST, "const:i32*", "dup:double*", "const:i32",
                "scratch:double*", "const:i32");
        assertTokens("viaField", "([D)D", Map.of(), "const:i32*", "dup:double*", "const:i32", "scratch:double*",
                "const:i32");
        assertTokens("data", "([D[D)D", Map.of("d", Activity.CONST), "const:i32*", "dup:double*", "const:i32",
                "const:double*", "const:i32");
        assertTokens("output", "([D[D)D", Map.of("out", Activity.CONST), "const:i32*", "dup:double*", "const:i32",
                "const:double*", "const:i32");
        assertTokens("weights", "([D[D)D", WORK_CONST, "const:i32*", "dup:double*", "const:i32", "const:double*",
                "const:i32");
        // an object from the JVM: its numbers, pos, vel (written from pos and read: scratch), then h and n
        assertTokens("run", "(Lscr/Sc$Particle;DI)D", Map.of("p.vel", Activity.CONST), "const:i32*", "dup:double*",
                "const:i32", "dup:double*", "const:i32", "scratch:double*", "const:i32", "active:double", "const:i32");
        // left Duplicated, the same buffer is an ordinary shadowed array
        assertTokens("cubes", "([D[D)D", Map.of(), "const:i32*", "dup:double*", "const:i32", "dup:double*",
                "const:i32");
    }

    private static void assertTokens(String name, String descriptor, Map<String, Activity> activities,
                                     String... tokens) throws Exception {
        try (Derivative d = pipeline.differentiate(method(name, descriptor), Mode.REVERSE, activities,
                DifferentiationOptions.DEFAULT)) {
            assertEquals(List.of(tokens), d.convention().workerArguments().stream().map(Argument::token).toList(),
                    name);
            // the model travels with shipped derivatives (Spark): where the arrays are written travels with it
            var bytes = new java.io.ByteArrayOutputStream();
            try (var out = new java.io.ObjectOutputStream(bytes)) {
                out.writeObject(d.convention().model());
            }
            try (var in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
                var model = (jenzyme.runtime.ad.CallingConvention.Model) in.readObject();
                assertEquals(List.of(tokens), jenzyme.runtime.ad.CallingConvention.of(model).workerArguments()
                        .stream().map(Argument::token).toList(), name + " after serialisation");
            }
        }
    }

    @Test
    void aConstWorkBufferKeepsItsPathInReverseAndForwardMode() throws Throwable {
        assertReverseAndForward("cubes");
        assertReverseAndForward("viaCallees");
        assertReverseAndForward("viaRecord");
    }

    /** {@code f(x, work)} with work Const: gradient and tangent against central differences, value and work as the JVM's. */
    private static void assertReverseAndForward(String name) throws Throwable {
        MethodHandle jvm = classes.jvmHandle("scr.Sc", name);
        try (Derivative reverse = pipeline.differentiate(method(name, "([D[D)D"), Mode.REVERSE, WORK_CONST,
                DifferentiationOptions.DEFAULT);
             Derivative forward = pipeline.differentiate(method(name, "([D[D)D"), Mode.FORWARD, WORK_CONST,
                     DifferentiationOptions.DEFAULT)) {
            Random random = new Random(31);
            for (int trial = 0; trial < 12; trial++) {
                int n = 1 + trial % 6;
                double[] x = random.doubles(n, -2, 2).toArray(), v = random.doubles(n, -1, 1).toArray();
                double[] jvmWork = new double[n];
                double value = (double) jvm.invoke(x.clone(), jvmWork);
                double[] fd = CentralDifferences.gradient(y -> (double) jvm.invoke(y, new double[n]), x);

                double[] dx = new double[n], work = random.doubles(n).toArray();
                double[] out = new double[reverse.convention().slots().size()];
                reverse.handle().invoke(x.clone(), dx, work, out);
                assertEquals(value, out[reverse.convention().primalSlot()], 1e-13 * (1 + Math.abs(value)), name);
                assertArrayEquals(jvmWork, work, 0, name + ": work after the call, as the JVM leaves it");
                double directional = 0;
                for (int k = 0; k < n; k++) {
                    assertEquals(fd[k], dx[k], 1e-6 * (1 + Math.abs(fd[k])), name + " d/dx" + k + " n=" + n);
                    directional += fd[k] * v[k];
                }
                double[] fwdOut = new double[forward.convention().slots().size()];
                forward.handle().invoke(x.clone(), v, random.doubles(n).toArray(), fwdOut);
                assertEquals(directional, fwdOut[forward.convention().returnTangentSlot()],
                        1e-6 * (1 + Math.abs(directional)), name + " tangent n=" + n);
            }
        }
    }

    /** A notebook's static array as the buffer (a hidden Const argument): sum e^(2x), gradient 2 e^(2x). */
    @Test
    void aStaticArrayUsedAsABufferKeepsItsPath() throws Throwable {
        try (Derivative reverse = pipeline.differentiate(method("viaField", "([D)D"), Mode.REVERSE, Map.of(),
                DifferentiationOptions.DEFAULT);
             Derivative forward = pipeline.differentiate(method("viaField", "([D)D"), Mode.FORWARD, Map.of(),
                     DifferentiationOptions.DEFAULT)) {
            Random random = new Random(7);
            for (int trial = 0; trial < 8; trial++) {
                int n = 1 + trial;
                double[] x = random.doubles(n, -1, 1).toArray(), v = random.doubles(n, -1, 1).toArray();
                double[] dx = new double[n], out = new double[reverse.convention().slots().size()];
                reverse.handle().invoke(x, dx, out);
                double tangent = 0;
                for (int k = 0; k < n; k++) {
                    assertEquals(2 * Math.exp(2 * x[k]), dx[k], 1e-13 * Math.exp(2 * x[k]), "d/dx" + k);
                    tangent += 2 * Math.exp(2 * x[k]) * v[k];
                }
                double[] fwdOut = new double[forward.convention().slots().size()];
                forward.handle().invoke(x, v, fwdOut);
                assertEquals(tangent, fwdOut[forward.convention().returnTangentSlot()], 1e-12 * (1 + Math.abs(tangent)));
            }
        }
    }

    /**
     * {@code s.vel=Const} on a record whose method updates vel from pos and pos from vel: d/dpos and d/dh against
     * central differences (the path through vel used to be missing from both).
     */
    @Test
    void aRecordsArrayComponentMarkedConstKeepsItsPath() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("scr.Sc", "leapfrog");
        Class<?> state = classes.load("scr.Sc$State");
        var make = state.getDeclaredConstructor(double[].class, double[].class);
        make.setAccessible(true);
        try (Derivative reverse = pipeline.differentiate(method("leapfrog", "(Lscr/Sc$State;DI)D"), Mode.REVERSE,
                Map.of("s.vel", Activity.CONST), DifferentiationOptions.DEFAULT);
             Derivative forward = pipeline.differentiate(method("leapfrog", "(Lscr/Sc$State;DI)D"), Mode.FORWARD,
                     Map.of("s.vel", Activity.CONST), DifferentiationOptions.DEFAULT)) {
            Random random = new Random(11);
            for (int trial = 0; trial < 6; trial++) {
                double[] pos = random.doubles(3, -1, 1).toArray(), vel = random.doubles(3, -1, 1).toArray();
                double[] tp = random.doubles(3, -1, 1).toArray();
                double h = 0.05 + 0.1 * random.nextDouble();
                int n = 2 + trial;
                CentralDifferences.OfArray energy = p -> (double) jvm.invoke(make.newInstance(p, vel.clone()), h, n);
                double[] fd = CentralDifferences.gradient(energy, pos);
                double fdH = CentralDifferences.derivative(
                        g -> (double) jvm.invoke(make.newInstance(pos.clone(), vel.clone()), g, n), h);
                double[] dpos = new double[3], out = new double[reverse.convention().slots().size()];
                reverse.handle().invoke(pos.clone(), dpos, vel.clone(), h, n, out);
                double tangent = 0;
                for (int k = 0; k < 3; k++) {
                    assertEquals(fd[k], dpos[k], 1e-6, "d/dpos" + k);
                    tangent += fd[k] * tp[k];
                }
                assertEquals(fdH, out[reverse.convention().adjointSlot(2)], 1e-6, "d/dh");
                double[] fwdOut = new double[forward.convention().slots().size()];
                forward.handle().invoke(pos.clone(), tp, vel.clone(), h, 0.0, n, fwdOut);
                assertEquals(tangent, fwdOut[forward.convention().returnTangentSlot()], 1e-6, "tangent");
            }
        }
    }

    /**
     * A Const two-dimensional array written with computed values and read back cannot get a hidden shadow: refused in
     * words at the store's line, naming the array and the way out, whether a parameter or a notebook's static array
     * written in a callee; left Duplicated, the same method differentiates (sum x^3: 3 x^2).
     */
    @Test
    void aConstMatrixWrittenAndReadBackIsRefusedAtTheLineOfTheStore() throws Throwable {
        for (Mode mode : Mode.values()) {
            LoweringException parameter = assertThrows(LoweringException.class, () -> pipeline.differentiate(
                    method("gridSum", "([D[[D)D"), mode, Map.of("grid", Activity.CONST),
                    DifferentiationOptions.DEFAULT).close());
            assertEquals("grid (double[][]) is constant here, and compiled code writes values computed from the "
                    + "differentiated parameters into it at this line and reads them back: Enzyme takes a constant "
                    + "array's memory as inactive and would drop that path from the derivative (a constant "
                    + "one-dimensional array gets a hidden shadow for it, a two-dimensional one cannot); drop "
                    + "grid=Const (its gradient is then computed and left unused), or allocate the buffer inside the "
                    + "method (a new double[][] there) in scr.Sc.gridSum(double[], double[][]) at line "
                    + ScratchFixtures.lineOf("gridStore"), parameter.getMessage());
            assertEquals(ScratchFixtures.lineOf("gridStore"), parameter.sourceLine());
            LoweringException field = assertThrows(LoweringException.class, () -> pipeline.differentiate(
                    method("fieldGrid", "([D)D"), mode, Map.of(), DifferentiationOptions.DEFAULT).close());
            assertTrue(field.getMessage().startsWith("scr.Sc.GRID (double[][]) is constant here"), field.getMessage());
            assertTrue(field.getMessage().endsWith("; allocate the buffer inside the method instead of writing into "
                    + "the notebook variable or constant scr.Sc.GRID in scr.Sc.square(double[], double[]) at line "
                    + ScratchFixtures.lineOf("fieldStore")), field.getMessage());
        }
        try (Derivative reverse = pipeline.differentiate(method("gridSum", "([D[[D)D"), Mode.REVERSE, Map.of(),
                DifferentiationOptions.DEFAULT)) {
            double[] x = {0.5, -1.5, 2}, dx = new double[3], out = new double[1];
            reverse.handle().invoke(x, dx, new double[][] {new double[3]}, new double[][] {new double[3]}, out);
            for (int k = 0; k < 3; k++) {
                assertEquals(3 * x[k] * x[k], dx[k], 1e-14, "d/dx" + k);
            }
        }
    }

    /**
     * {@code p.vel=Const} on an object from the JVM whose method updates vel from pos and pos from vel (the case that
     * found issue 12): d/dpos against central differences of the JVM method, and the object's arrays after the call
     * as the JVM leaves them.
     */
    @Test
    void aConstArrayFieldOfAnObjectKeepsItsPath() throws Throwable {
        MethodHandle jvm = classes.jvmHandle("scr.Sc", "run");
        var make = classes.load("scr.Sc$Particle").getDeclaredConstructor(double[].class, double[].class,
                double.class);
        make.setAccessible(true);
        try (Derivative reverse = pipeline.differentiate(method("run", "(Lscr/Sc$Particle;DI)D"), Mode.REVERSE,
                Map.of("p.vel", Activity.CONST), DifferentiationOptions.DEFAULT)) {
            Random random = new Random(29);
            for (int trial = 0; trial < 6; trial++) {
                double[] pos = random.doubles(3, -1.2, 1.2).toArray(), vel = random.doubles(3, -1, 1).toArray();
                double t = random.nextDouble(), h = 0.05 + 0.1 * random.nextDouble();
                int n = 1 + trial;
                double[] fd = CentralDifferences.gradient(
                        x -> (double) jvm.invoke(make.newInstance(x, vel.clone(), t), h, n), pos);
                double[] jvmPos = pos.clone(), jvmVel = vel.clone();
                double value = (double) jvm.invoke(make.newInstance(jvmPos, jvmVel, t), h, n);
                double[] nativePos = pos.clone(), nativeVel = vel.clone(), dpos = new double[3];
                double[] out = new double[reverse.convention().slots().size()];
                reverse.handle().invoke(new double[] {t}, new double[1], nativePos, dpos, nativeVel, h, n, out);
                assertEquals(value, out[reverse.convention().primalSlot()], 1e-13 * (1 + Math.abs(value)));
                assertArrayEquals(jvmPos, nativePos, 0, "pos after the call");
                assertArrayEquals(jvmVel, nativeVel, 0, "vel after the call");
                for (int k = 0; k < 3; k++) {
                    assertEquals(fd[k], dpos[k], 1e-6 * (1 + Math.abs(fd[k])), "d/dpos" + k + " n=" + n);
                }
            }
        }
    }
}
