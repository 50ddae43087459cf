package jenzyme.kernel;

import static jenzyme.runtime.testing.CentralDifferences.along;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;

/**
 * An object from the JVM with array and long fields that compiled code writes (lower.ObjectLayout: its numbers, its
 * longs and each array as its own leaf), through the notebook's stubs: after {@code run_native} the object holds what
 * the JVM's own call leaves in it (its arrays written in place, the long exact beyond 2^53); {@code run_grad}'s
 * gradient object holds the array partials in its array fields, checked against central differences; the forward
 * tangent equals the reverse gradient dotted with the direction.
 */
class CopiedArrayFieldsTest {

    private static final String PARTICLE = """
            final class Particle {
                final double[] pos, vel;
                double t;
                long steps;
                Particle(double[] pos, double[] vel, double t, long steps) {
                    this.pos = pos; this.vel = vel; this.t = t; this.steps = steps;
                }
                void step(double h) {
                    for (int i = 0; i < pos.length; i++) { vel[i] -= h * (pos[i] * pos[i] - 1) * pos[i]; pos[i] += h * vel[i]; }
                    t += h;
                    steps++;
                }
                double energy() {
                    double e = 0.1 * t * t;
                    for (int i = 0; i < pos.length; i++) e += 0.5 * vel[i] * vel[i] + 0.25 * (pos[i] * pos[i] - 2) * pos[i] * pos[i];
                    return e;
                }
            }
            double run(Particle p, double h, int n) {
                for (int k = 0; k < n; k++) p.step(h);
                return p.energy();
            }
            """;

    @RegisterExtension
    static final NotebookCells cells = new NotebookCells(PARTICLE);
    private static MethodHandle run;
    private static MethodHandle make;

    @BeforeAll
    static void start() throws Exception {
        run = cells.handle("run");
        make = NotebookCells.constructor(run.type().parameterType(0), double[].class, double[].class, double.class,
                long.class);
    }

    @Test
    void theNativeCallLeavesTheObjectAsTheJvmsOwnCallDoes() throws Throwable {
        assertTrue(cells.text("%jit run").contains("run_native(Particle p, double h, int n)"));
        MethodHandle nativeRun = cells.handle("run_native");
        Random random = new Random(3);
        for (int trial = 0; trial < 30; trial++) {
            double[] pos = random.doubles(4, -1.5, 1.5).toArray(), vel = random.doubles(4, -1, 1).toArray();
            double t = random.nextDouble(), h = random.nextDouble(0.01, 0.2);
            int n = random.nextInt(0, 8);
            Object onJvm = particle(pos, vel, t), p = particle(pos, vel, t);
            assertEquals((double) run.invoke(onJvm, h, n), (double) nativeRun.invoke(p, h, n), 0, "value " + trial);
            assertArrayEquals((double[]) field(onJvm, "pos"), (double[]) field(p, "pos"), 0, "pos " + trial);
            assertArrayEquals((double[]) field(onJvm, "vel"), (double[]) field(p, "vel"), 0, "vel " + trial);
            assertEquals(field(onJvm, "t"), field(p, "t"), "t " + trial);
            assertEquals((1L << 53) + 1 + n, field(p, "steps"), "steps " + trial);
        }
    }

    @Test
    void theGradientObjectHoldsThePartialsOfItsArraysAndForwardAgrees() throws Throwable {
        assertTrue(cells.text("%autodiff reverse run").contains(
                "run_grad_into(Particle p, double[] dp, double[] dp$pos, double[] dp$vel, double h, int n, double[] dActive)"));
        cells.text("%autodiff forward run");
        MethodHandle reverse = cells.handle("run_grad");
        MethodHandle forward = cells.handle("run_fwd");
        double[] pos = {0.3, -0.7, 1.1}, vel = {0.2, 0.5, -0.4};
        double t = 0.25, h = 0.1;
        int n = 5;
        Object gradient = reverse.invoke(particle(pos, vel, t), h, n);
        Object dp = read(gradient, "dp");
        double[] dpos = (double[]) field(dp, "pos"), dvel = (double[]) field(dp, "vel");
        for (int i = 0; i < 3; i++) {
            double[] up = pos.clone(), down = pos.clone();
            up[i] += 1e-6;
            down[i] -= 1e-6;
            double fd = ((double) run.invoke(particle(up, vel, t), h, n) - (double) run.invoke(particle(down, vel, t), h,
                    n)) / 2e-6;
            assertEquals(fd, dpos[i], 1e-6 * (1 + Math.abs(fd)), "d/dpos" + i);
            up = vel.clone();
            down = vel.clone();
            up[i] += 1e-6;
            down[i] -= 1e-6;
            fd = ((double) run.invoke(particle(pos, up, t), h, n) - (double) run.invoke(particle(pos, down, t), h, n))
                    / 2e-6;
            assertEquals(fd, dvel[i], 1e-6 * (1 + Math.abs(fd)), "d/dvel" + i);
        }
        double fdt = ((double) run.invoke(particle(pos, vel, t + 1e-6), h, n)
                - (double) run.invoke(particle(pos, vel, t - 1e-6), h, n)) / 2e-6;
        assertEquals(fdt, (double) field(dp, "t"), 1e-6 * (1 + Math.abs(fdt)), "d/dt");
        // forward along a direction: its value tangent is the gradient dotted with it
        double[] tpos = {0.5, -0.25, 1}, tvel = {-1, 0.75, 0.5};
        double tt = 0.3, th = -0.2;
        Object tangent = forward.invoke(particle(pos, vel, t), particle(tpos, tvel, tt), h, th, n);
        double dot = (double) field(dp, "t") * tt + (double) read(gradient, "dh") * th;
        for (int i = 0; i < 3; i++) {
            dot += dpos[i] * tpos[i] + dvel[i] * tvel[i];
        }
        assertEquals(dot, (double) read(tangent, "dvalue"), 1e-12 * (1 + Math.abs(dot)), "forward = reverse");
    }

    @Test
    void anArrayFieldTakesItsOwnActivityAndANumberFieldIsRefusedInWords() throws Throwable {
        assertTrue(cells.text("%autodiff reverse run p.vel=Const --name fixedvel").contains(
                "fixedvel_grad_into(Particle p, double[] dp, double[] dp$pos, double h, int n, double[] dActive)"));
        // (vel is written from pos here, so its Const drops that path from dpos, as for any Const array written
        // with active values: only the partials' presence is checked)
        Object fixed = read(cells.handle("fixedvel_grad").invoke(particle(new double[] {0.4, -0.2,
                0.9}, new double[] {0.1, -0.3, 0.6}, 0.5), 0.05, 3), "dp");
        assertEquals(3, ((double[]) field(fixed, "pos")).length, "dpos");
        assertEquals(null, field(fixed, "vel"), "no partials for the Const array");
        assertTrue(cells.refusal("%autodiff reverse run p.t=Const --name fixedt").contains("p.t names the field t of p,"
                + " a Particle from the JVM whose fields compiled code writes: its number fields travel together in one"
                + " array copied back after the call, so they take one activity (p=Const for all of them)"));
    }

    @Test
    void hvpOfSuchAClassIsTheDerivativeOfItsGradientAndLeavesTheObjectAsTheJvmDoes() throws Throwable {
        // one step: Enzyme's second sweep over run's outer loop fails on its own caches ("mixed activity", the
        // open hvp-of-loops issue), whatever the stubs pass
        cells.define("double once(Particle p, double h, int n) { p.step(h); return p.energy(); }");
        assertTrue(cells.text("%autodiff hvp once").contains("OnceHvp once_hvp(Particle p, Particle vp, double h,"
                + " double vh, int n)"));
        cells.text("%autodiff reverse once --name rg");
        MethodHandle hvp = cells.handle("once_hvp");
        MethodHandle once = cells.handle("once");
        MethodHandle gradient = cells.handle("rg_grad");
        double[] pos = {0.3, -0.8, 1.1}, vel = {0.2, 0.5, -0.4}, vpos = {0.5, -0.25, 1}, vvel = {-1, 0.75, 0.5};
        double t = 0.7, h = 0.05, vt = 0.3, vh = -0.2;
        int n = 1;
        Object p = particle(pos, vel, t), onJvm = particle(pos, vel, t);
        Object product = hvp.invoke(p, particle(vpos, vvel, vt), h, vh, n);
        once.invoke(onJvm, h, n);
        for (String array : new String[] {"pos", "vel"}) {
            assertArrayEquals((double[]) field(onJvm, array), (double[]) field(p, array), 0, array + " after the call");
        }
        assertEquals(field(onJvm, "t"), field(p, "t"));
        assertEquals(field(onJvm, "steps"), field(p, "steps"));
        // central differences of the compiled gradient (pos, vel, t, h) along v
        double e = 1e-6;
        double[] up = gradientAt(gradient, along(pos, vpos, e), along(vel, vvel, e), t + e * vt, h + e * vh, n);
        double[] down = gradientAt(gradient, along(pos, vpos, -e), along(vel, vvel, -e), t - e * vt, h - e * vh, n);
        Object hp = read(product, "hvp");
        double[] got = flat((double[]) field(hp, "pos"), (double[]) field(hp, "vel"), (double) field(hp, "t"),
                (double) read(product, "hvh"));
        for (int i = 0; i < got.length; i++) {
            double fd = (up[i] - down[i]) / (2 * e);
            assertEquals(fd, got[i], 1e-5 * (1 + Math.abs(fd)), "(H·v)" + i);
        }
    }

    /** The gradient of once as (dpos, dvel, dt, dh). */
    private static double[] gradientAt(MethodHandle gradient, double[] pos, double[] vel, double t, double h, int n)
            throws Throwable {
        Object g = gradient.invoke(particle(pos, vel, t), h, n);
        Object dp = read(g, "dp");
        return flat((double[]) field(dp, "pos"), (double[]) field(dp, "vel"), (double) field(dp, "t"),
                (double) read(g, "dh"));
    }

    private static double[] flat(double[] pos, double[] vel, double t, double h) {
        double[] all = new double[pos.length + vel.length + 2];
        System.arraycopy(pos, 0, all, 0, pos.length);
        System.arraycopy(vel, 0, all, pos.length, vel.length);
        all[all.length - 2] = t;
        all[all.length - 1] = h;
        return all;
    }

    private static Object particle(double[] pos, double[] vel, double t) throws Throwable {
        return make.invoke(pos.clone(), vel.clone(), t, (1L << 53) + 1);
    }

    private static Object field(Object object, String name) throws ReflectiveOperationException {
        return Reflected.field(object, name);
    }

    private static Object read(Object record, String component) throws ReflectiveOperationException {
        return Reflected.component(record, component);
    }
}
