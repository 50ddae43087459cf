package jenzyme.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Map;
import java.util.Random;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.Argument;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.JacobianOptions;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.bind.LaneTable;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.testing.CentralDifferences;
import jenzyme.runtime.testing.CompiledClasses;
import jenzyme.runtime.testing.InMemoryJavac;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import jenzyme.runtime.testing.MarkedLines;

/**
 * Const arrays that compiled code writes with values depending on differentiated inputs and reads back (issue 12):
 * Enzyme takes Const memory as inactive, so the path through such an array used to drop silently out of the
 * gradient. They are now scratch (lower/ScratchArrays): Duplicated to Enzyme with a zeroed shadow the worker's
 * wrapper allocates, Const to the user. Each shape — a Const work-buffer parameter, the same through callees, a
 * notebook's static array, a record's array component marked Const — against central differences of the JVM method
 * and the JVM's own value and buffer, in reverse and forward mode, --width, hvp and a Jacobian; the harmless shapes
 * (data only read, an output only written, a buffer filled with constants) keep the Const fast path.
 */
class ScratchArraysTest {

    private static final String SOURCE = """
            package scr;
            public class Sc {
                static double[] BUF = new double[8];
                /** sum x^3, through a Const work buffer. */
                public static double cubes(double[] x, double[] work) {
                    for (int i = 0; i < x.length; i++) work[i] = x[i] * x[i];
                    double s = 0;
                    for (int i = 0; i < x.length; i++) s += work[i] * x[i];
                    return s;
                }
                static void fill(double[] x, double[] w) { for (int i = 0; i < x.length; i++) w[i] = Math.sin(x[i]); }
                static double dot(double[] w, double[] x) {
                    double s = 0;
                    for (int i = 0; i < x.length; i++) s += w[i] * x[i];
                    return s;
                }
                /** sum x sin x: one callee writes the buffer, another reads it. */
                public static double viaCallees(double[] x, double[] work) { fill(x, work); return dot(work, x); }
                record Buf(double[] w) {}
                static void fillBuf(Buf b, double[] x) { for (int i = 0; i < x.length; i++) b.w()[i] = x[i] * Math.cos(x[i]); }
                /** sum x cos x: the buffer inside a record made here, written by a callee. */
                public static double viaRecord(double[] x, double[] work) {
                    Buf b = new Buf(work);
                    fillBuf(b, x);
                    double s = 0;
                    for (int i = 0; i < x.length; i++) s += b.w()[i];
                    return s;
                }
                static final class Particle {
                    final double[] pos, vel;
                    double t;
                    Particle(double[] pos, double[] vel, double t) { this.pos = pos; this.vel = vel; this.t = t; }
                    void step(double h) {
                        for (int i = 0; i < pos.length; i++) { vel[i] -= h * (pos[i] * pos[i] - 1) * pos[i]; pos[i] += h * vel[i]; }
                        t += h;
                    }
                    double energy() {
                        double e = 0.1 * t * t;
                        for (int i = 0; i < pos.length; i++) e += 0.5 * vel[i] * vel[i] + 0.25 * (pos[i] * pos[i] - 2) * pos[i] * pos[i];
                        return e;
                    }
                }
                /** An object from the JVM whose fields compiled code writes, vel updated from pos and pos from vel. */
                public static double run(Particle p, double h, int n) {
                    for (int k = 0; k < n; k++) p.step(h);
                    return p.energy();
                }
                /** sum e^(2x), through a notebook's static array. */
                public static double viaField(double[] x) {
                    for (int i = 0; i < x.length; i++) BUF[i] = Math.exp(x[i]);
                    double s = 0;
                    for (int i = 0; i < x.length; i++) s += BUF[i] * BUF[i];
                    return s;
                }
                record State(double[] pos, double[] vel) {}
                /** Leapfrog steps of a harmonic oscillator, then the energy: vel is updated from pos, pos from vel. */
                public static double leapfrog(State s, double h, int n) {
                    double[] p = s.pos(), v = s.vel();
                    for (int k = 0; k < n; k++) {
                        for (int i = 0; i < p.length; i++) { v[i] -= h * p[i]; p[i] += h * v[i]; }
                    }
                    double e = 0;
                    for (int i = 0; i < p.length; i++) e += p[i] * p[i] + v[i] * v[i];
                    return e;
                }
                /** y = work + shifted work, work = x^2: a vector function whose buffer is not differentiated. */
                public static void smooth(double[] x, double[] work, double[] y) {
                    for (int i = 0; i < x.length; i++) work[i] = x[i] * x[i];
                    for (int i = 0; i < x.length; i++) y[i] = work[i] + 0.5 * work[(i + 1) % x.length];
                }
                static double[][] GRID = new double[1][8];
                /** A two-dimensional buffer: refused Const (no hidden shadow for a row table). */
                public static double gridSum(double[] x, double[][] grid) {
                    for (int i = 0; i < x.length; i++) grid[0][i] = x[i] * x[i];  // gridStore
                    double s = 0;
                    for (int i = 0; i < x.length; i++) s += grid[0][i] * x[i];
                    return s;
                }
                static void square(double[] x, double[] row) {
                    for (int i = 0; i < x.length; i++) row[i] = x[i] * x[i];       // fieldStore
                }
                public static double fieldGrid(double[] x) {
                    square(x, GRID[0]);
                    double s = 0;
                    for (int i = 0; i < x.length; i++) s += GRID[0][i] * x[i];
                    return s;
                }
                /** Harmless: the data only read. */
                public static double data(double[] w, double[] d) {
                    double s = 0;
                    for (int i = 0; i < d.length; i++) s += (w[0] * d[i] - 1) * (w[0] * d[i] - 1);
                    return s;
                }
                /** Harmless: an output only written. */
                public static double output(double[] x, double[] out) {
                    for (int i = 0; i < x.length; i++) out[i] = x[i] * x[i];
                    return x[0];
                }
                /** Harmless: a buffer only given constants, then read. */
                public static double weights(double[] x, double[] work) {
                    for (int i = 0; i < x.length; i++) work[i] = 1.5;
                    double s = 0;
                    for (int i = 0; i < x.length; i++) s += work[i] * x[i] * x[i];
                    return s;
                }
            }
            """;

    private static CompiledClasses classes;
    @AutoClose
    private static final Pipeline pipeline = Pipeline.create();

    @BeforeAll
    static void start() {
        classes = InMemoryJavac.compile("scr.Sc", SOURCE);
    }

    private static JavaMethod method(String name, String descriptor) {
        return new JavaMethod(classes, "scr/Sc", name, descriptor);
    }

    private static final Map<String, Activity> WORK_CONST = Map.of("work", Activity.CONST);

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
                    + lineOf("gridStore"), parameter.getMessage());
            assertEquals(lineOf("gridStore"), parameter.sourceLine());
            LoweringException field = assertThrows(LoweringException.class, () -> pipeline.differentiate(
                    method("fieldGrid", "([D)D"), mode, Map.of(), DifferentiationOptions.DEFAULT).close());
            assertTrue(field.getMessage().startsWith("scr.Sc.GRID (double[][]) is constant here"), field.getMessage());
            assertTrue(field.getMessage().endsWith("; allocate the buffer inside the method instead of writing into "
                    + "the notebook variable or constant scr.Sc.GRID in scr.Sc.square(double[], double[]) at line "
                    + lineOf("fieldStore")), field.getMessage());
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

    private static int lineOf(String marker) {
        return MarkedLines.lineOf(SOURCE, marker);
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

    /** H·v with the buffer Const: sum x^3 has H = diag(6x), sum x sin x has H = diag(2 cos x - x sin x). */
    @Test
    void hessianVectorProductsKeepThePathThroughTheBuffer() throws Throwable {
        try (Derivative cubes = pipeline.hvp(method("cubes", "([D[D)D"), WORK_CONST);
             Derivative callees = pipeline.hvp(method("viaCallees", "([D[D)D"), WORK_CONST)) {
            Random random = new Random(13);
            for (int trial = 0; trial < 8; trial++) {
                int n = 1 + trial;
                double[] x = random.doubles(n, -2, 2).toArray(), v = random.doubles(n, -1, 1).toArray();
                double[] hv = new double[n], out = new double[1];
                cubes.handle().invoke(x, v, hv, new double[n], out);
                double[] hvCallees = new double[n];
                callees.handle().invoke(x, v, hvCallees, new double[n], out);
                for (int k = 0; k < n; k++) {
                    assertEquals(6 * x[k] * v[k], hv[k], 1e-12 * (1 + Math.abs(hv[k])), "cubes (H v)_" + k);
                    double second = 2 * Math.cos(x[k]) - x[k] * Math.sin(x[k]);
                    assertEquals(second * v[k], hvCallees[k], 1e-12, "viaCallees (H v)_" + k);
                }
            }
        }
    }

    /** Two lanes at once (--width 2) equal two directional derivatives 3 x^2 · v. */
    @Test
    void batchedForwardModeKeepsThePathInEveryLane() throws Throwable {
        try (Derivative lanes = pipeline.differentiate(method("cubes", "([D[D)D"), Mode.FORWARD, WORK_CONST,
                DifferentiationOptions.DEFAULT, 2)) {
            Random random = new Random(17);
            LaneTable tangents = new LaneTable(2);
            for (int n : new int[] {1, 4, 9}) {
                double[] x = random.doubles(n, -2, 2).toArray();
                MemorySegment table = tangents.ensure(n);
                double[][] v = {random.doubles(n, -1, 1).toArray(), random.doubles(n, -1, 1).toArray()};
                tangents.copyIn(0, v[0]);
                tangents.copyIn(1, v[1]);
                double[] out = new double[lanes.convention().slots().size()];
                lanes.handle().invoke(x, table, new double[n], out);
                for (int lane = 0; lane < 2; lane++) {
                    double expected = 0;
                    for (int k = 0; k < n; k++) {
                        expected += 3 * x[k] * x[k] * v[lane][k];
                    }
                    assertEquals(expected, out[lanes.convention().returnTangentSlot(lane)],
                            1e-12 * (1 + Math.abs(expected)), "lane " + lane + " n=" + n);
                }
            }
        }
    }

    /** The Jacobian of y = x^2 + 0.5 (shifted x)^2 through a Const buffer, forward and reverse, against the formula. */
    @Test
    void jacobiansKeepThePathThroughTheBuffer() throws Throwable {
        for (Mode mode : Mode.values()) {
            try (Jacobian jacobian = pipeline.jacobian(method("smooth", "([D[D[D)V"), JacobianOptions.DEFAULT
                    .withWrt("x").withOut("y").withMode(mode).withDense(true))) {
                int n = 5;
                double[] x = new Random(19).doubles(n, -2, 2).toArray();
                double[][] j = new double[n][n];
                jacobian.into(j, x, new double[n], new double[n]);
                for (int i = 0; i < n; i++) {
                    for (int k = 0; k < n; k++) {
                        double expected = (k == i ? 2 * x[i] : 0) + (k == (i + 1) % n ? x[k] : 0);
                        assertEquals(expected, j[i][k], 1e-14, mode + " dy" + i + "/dx" + k);
                    }
                }
            }
        }
    }
}
