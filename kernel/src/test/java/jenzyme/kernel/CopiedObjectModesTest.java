package jenzyme.kernel;

import static jenzyme.runtime.testing.CentralDifferences.along;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Random;
import jenzyme.magics.binding.VectorFunctions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;

/**
 * An object from the JVM whose fields compiled code writes, in the modes beyond %jit and reverse: after each call
 * the object holds what the JVM's own call leaves in it (also when the call throws), and its tangents are checked
 * against central differences of the JVM's method and against the reverse gradient. The stubs are called as the
 * notebook's methods they are, through handles, on many random objects.
 */
class CopiedObjectModesTest {

    private static final String METER = """
            final class Meter {
                double sum, rate;
                int count;
                final double scale;
                boolean on;
                Meter(double sum, double rate, int count, double scale, boolean on) {
                    this.sum = sum; this.rate = rate; this.count = count; this.scale = scale; this.on = on;
                }
            }
            double bump(Meter m, double x) {
                for (int i = 0; i < 3; i++) {
                    m.sum += m.scale * x * x + m.rate * m.sum;
                    m.rate = m.rate * x - 0.25 * m.sum;
                    m.count++;
                    if (m.sum > 40) throw new IllegalArgumentException("meter overflow");
                }
                m.on = m.sum > 0;
                return m.sum * m.rate / m.count;
            }
            final class Cell {
                double u, w;
                Cell(double u, double w) { this.u = u; this.w = w; }
            }
            double relax(Cell c, double k) {
                for (int i = 0; i < 4; i++) {
                    c.u += k * (c.w - c.u);
                    c.w *= 0.9 + 0.05 * c.u * c.u;
                }
                return c.u * c.w + k * c.w;
            }
            """;
    /** The fields of Meter that have tangents and partials, in declaration order. */
    private static final String[] FLOATING = {"sum", "rate", "scale"};

    @RegisterExtension
    static final NotebookCells cells = new NotebookCells(METER);
    private static MethodHandle bump;
    private static MethodHandle make;

    @BeforeAll
    static void start() throws Exception {
        bump = cells.handle("bump");
        make = NotebookCells.constructor(bump.type().parameterType(0), double.class, double.class, int.class,
                double.class, boolean.class);
    }

    @Test
    void forwardCopiesTheFieldsBackAndGivesTheTangentsOfTheValueAndOfTheFieldsAtExit() throws Throwable {
        assertTrue(cells.text("%autodiff forward bump").contains("BumpTangent bump_fwd(Meter m, Meter tm, double x,"
                + " double tx)"));
        cells.text("%autodiff reverse bump");
        MethodHandle forward = cells.handle("bump_fwd"), reverse = cells.handle("bump_grad");
        Random random = new Random(5);
        int thrown = 0;
        for (int trial = 0; trial < 40; trial++) {
            double[] at = {random.nextDouble(-1, 1), random.nextDouble(-1, 1), random.nextDouble(0.5, 2)};
            int count = random.nextInt(1, 5);
            double x = random.nextDouble(-3, 3);
            double[] direction = random.doubles(3, -1, 1).toArray();
            double tx = random.nextDouble(-1, 1);
            Object onJvm = meter(at, count), m = meter(at, count), tm = meter(direction, 7);
            Object expected, got;
            try {
                expected = (double) bump.invoke(onJvm, x);
            } catch (IllegalArgumentException e) {
                expected = e.getMessage();
            }
            try {
                got = read(forward.invoke(m, tm, x, tx), "value");
            } catch (IllegalArgumentException e) {
                got = e.getMessage();
            }
            assertEquals(expected, got, "value or exception at trial " + trial);
            assertArrayEquals(state(onJvm), state(m), 0, "fields after the call, trial " + trial);
            if (expected instanceof String) {
                thrown++;
                continue;
            }
            // along (direction, tx) from (at, x): the value's tangent and the fields' tangents at exit
            double h = 1e-6;
            Object up = meter(along(at, direction, h), count), down = meter(along(at, direction, -h), count);
            double fd = ((double) bump.invoke(up, x + h * tx) - (double) bump.invoke(down, x - h * tx)) / (2 * h);
            Object tangent = forward.invoke(meter(at, count), tm = meter(direction, 7), x, tx);
            double dvalue = (double) read(tangent, "dvalue");
            assertEquals(fd, dvalue, 1e-6 * (1 + Math.abs(fd)), "dvalue at trial " + trial);
            for (int f = 0; f < 2; f++) { // sum and rate are written; scale is final and keeps its tangent
                double fieldFd = (floating(up)[f] - floating(down)[f]) / (2 * h);
                assertEquals(fieldFd, floating(tm)[f], 1e-6 * (1 + Math.abs(fieldFd)), FLOATING[f] + " at " + trial);
            }
            assertEquals(direction[2], floating(tm)[2], 0, "the final field's tangent");
            assertEquals(7, field(tm, "count"), "an int field of the tangent is left alone");
            // the reverse gradient (partials w.r.t. the fields at entry) dotted with the direction
            Object gradient = reverse.invoke(meter(at, count), x);
            double[] partials = floating(read(gradient, "dm"));
            double dot = (double) read(gradient, "dx") * tx;
            for (int f = 0; f < 3; f++) {
                dot += partials[f] * direction[f];
            }
            assertEquals(dot, dvalue, 1e-12 * (1 + Math.abs(dot)), "forward = reverse at trial " + trial);
        }
        assertTrue(thrown > 0 && thrown < 30, "some trials throw inside the loop: " + thrown);
        // null objects are named as the stub's parameters are (JShell's own message would say <parameter2>)
        Object some = meter(new double[] {0.5, 0.25, 1.5}, 2);
        assertEquals("tm is null", assertThrows(NullPointerException.class,
                () -> forward.invoke(some, null, 1.0, 1.0)).getMessage());
        assertEquals("m is null", assertThrows(NullPointerException.class,
                () -> reverse.invoke(null, 1.0)).getMessage());
        // Const: no tangent object, the fields still copied back
        assertTrue(cells.text("%autodiff forward bump m=Const --name fixed").contains(
                "FixedTangent fixed_fwd(Meter m, double x, double tx)"));
        Object m = meter(new double[] {0.5, 0.25, 1.5}, 2), onJvm = meter(new double[] {0.5, 0.25, 1.5}, 2);
        double value = (double) bump.invoke(onJvm, 1.25);
        assertEquals(value, (double) read(cells.handle("fixed_fwd").invoke(m, 1.25, 1.0), "value"));
        assertArrayEquals(state(onJvm), state(m), 0);
    }

    @Test
    void eachLaneOfWidthIsASingleForwardSweepAndTheFieldsAreCopiedBack() throws Throwable {
        assertTrue(cells.text("%autodiff forward bump --width 3 --name lanes").contains(
                "LanesTangents lanes_fwd(Meter m, Meter[] tm, double x, double[] tx)"));
        cells.text("%autodiff forward bump --name single");
        MethodHandle lanes = cells.handle("lanes_fwd"), single = cells.handle("single_fwd");
        Random random = new Random(9);
        for (int trial = 0; trial < 12; trial++) {
            double[] at = {random.nextDouble(-1, 1), random.nextDouble(-1, 1), random.nextDouble(0.5, 1)};
            int count = random.nextInt(1, 5);
            double x = random.nextDouble(-2, 2);
            double[][] directions = new double[3][];
            Object[] tm = (Object[]) java.lang.reflect.Array.newInstance(bump.type().parameterType(0), 3);
            for (int lane = 0; lane < 3; lane++) {
                directions[lane] = random.doubles(3, -1, 1).toArray();
                tm[lane] = meter(directions[lane], 7);
            }
            double[] tx = random.doubles(3, -1, 1).toArray();
            Object m = meter(at, count), onJvm = meter(at, count);
            double value = (double) bump.invoke(onJvm, x);
            Object batch = lanes.invoke(m, tm, x, tx);
            assertEquals(value, (double) read(batch, "value"), 0, "value at trial " + trial);
            assertArrayEquals(state(onJvm), state(m), 0, "fields after the call, trial " + trial);
            for (int lane = 0; lane < 3; lane++) {
                Object alone = meter(directions[lane], 7);
                double dvalue = (double) read(single.invoke(meter(at, count), alone, x, tx[lane]), "dvalue");
                assertEquals(dvalue, ((double[]) read(batch, "dvalue"))[lane], 1e-13 * (1 + Math.abs(dvalue)),
                        "lane " + lane);
                assertArrayEquals(floating(alone), floating(tm[lane]), 1e-13, "field tangents of lane " + lane);
            }
        }
        assertTrue(cells.refusal("lanes_fwd(new Meter(0, 0, 1, 1, false), new Meter[] {new Meter(0, 0, 0, 0, false)},"
                + " 1, new double[3]);").contains("expected 3 tangents in tm (one per lane of --width 3), got 1"));
    }

    @Test
    void gradcheckAndPlotSampleTheFieldsOfAnObjectCopiedBack() throws Throwable {
        assertTrue(cells.text("%gradcheck relax --points 5 --seed 2").startsWith(
                "gradcheck passed: 5 points × 3 components"));
        cells.run("%plot relax --at 0.5,1,0.3 --coord 2 --x 0:1"); // raises if refused
        // x = (c.u, c.w, k): the JVM's value on a new Cell, the compiled gradient vs central differences of it
        VectorFunctions relax = cells.compiler().sampled(cells.compiler().method("relax"), java.util.Map.of());
        assertEquals(3, relax.dimension());
        Random random = new Random(3);
        for (int trial = 0; trial < 10; trial++) {
            double[] x = {random.nextDouble(-1, 1), random.nextDouble(-1, 1), random.nextDouble(0, 0.5)};
            assertEquals((double) cells.handle("relax").invoke(cell(x[0], x[1]), x[2]), relax.value().applyAsDouble(x), 0);
            double[] gradient = relax.gradient().apply(x);
            for (int i = 0; i < 3; i++) {
                double[] up = x.clone(), down = x.clone();
                up[i] += 1e-6;
                down[i] -= 1e-6;
                double fd = (relax.value().applyAsDouble(up) - relax.value().applyAsDouble(down)) / 2e-6;
                assertEquals(fd, gradient[i], 1e-7 * (1 + Math.abs(fd)), "d/dx" + i + " at trial " + trial);
            }
        }
    }

    @Test
    void hvpIsTheDerivativeOfTheGradientAlongVAndCopiesTheFieldsBack() throws Throwable {
        assertTrue(cells.text("%autodiff hvp relax").contains("RelaxHvp relax_hvp(Cell c, Cell vc, double k,"
                + " double vk)"));
        cells.text("%autodiff reverse relax");
        MethodHandle hvp = cells.handle("relax_hvp"), gradient = cells.handle("relax_grad");
        Random random = new Random(17);
        for (int trial = 0; trial < 10; trial++) {
            double[] x = {random.nextDouble(-1, 1), random.nextDouble(-1, 1), random.nextDouble(0, 0.5)};
            double[] v = random.doubles(3, -1, 1).toArray();
            Object c = cell(x[0], x[1]), onJvm = cell(x[0], x[1]);
            cells.handle("relax").invoke(onJvm, x[2]);
            Object product = hvp.invoke(c, cell(v[0], v[1]), x[2], v[2]);
            assertArrayEquals(cellFields(onJvm), cellFields(c), 0, "fields after the call, trial " + trial);
            double[] got = {cellFields(read(product, "hvc"))[0], cellFields(read(product, "hvc"))[1],
                (double) read(product, "hvk")};
            // central differences of the compiled gradient along v
            double h = 1e-6;
            double[] up = gradientAt(gradient, x[0] + h * v[0], x[1] + h * v[1], x[2] + h * v[2]);
            double[] down = gradientAt(gradient, x[0] - h * v[0], x[1] - h * v[1], x[2] - h * v[2]);
            for (int i = 0; i < 3; i++) {
                double fd = (up[i] - down[i]) / (2 * h);
                assertEquals(fd, got[i], 1e-6 * (1 + Math.abs(fd)), "(H·v)" + i + " at trial " + trial);
            }
        }
        // an object with int and boolean fields: they take no direction and are copied back
        assertTrue(cells.text("%autodiff hvp bump").contains("BumpHvp bump_hvp(Meter m, Meter vm, double x,"
                + " double vx)"));
        Object m = meter(new double[] {0.5, 0.25, 1.5}, 2), onJvm = meter(new double[] {0.5, 0.25, 1.5}, 2);
        bump.invoke(onJvm, 1.25);
        cells.handle("bump_hvp").invoke(m, meter(new double[] {1, 0, 0}, 0), 1.25, 0.0);
        assertArrayEquals(state(onJvm), state(m), 0);
        assertEquals("vm is null", assertThrows(NullPointerException.class,
                () -> cells.handle("bump_hvp").invoke(m, null, 1.25, 0.0)).getMessage());
    }

    private static double[] gradientAt(MethodHandle gradient, double u, double w, double k) throws Throwable {
        Object g = gradient.invoke(cell(u, w), k);
        double[] dc = cellFields(read(g, "dc"));
        return new double[] {dc[0], dc[1], (double) read(g, "dk")};
    }

    private static double[] cellFields(Object cell) throws ReflectiveOperationException {
        return new double[] {field(cell, "u").doubleValue(), field(cell, "w").doubleValue()};
    }

    @Test
    void aMethodReturningAnArrayGivesItsJvpIntoCallersArrays() throws Throwable {
        cells.define("""
                double[] bumped(Meter m, double x) {
                    m.sum += m.scale * x * x;
                    m.rate *= x;
                    return new double[] {m.sum * m.rate, m.sum + x};
                }
                """);
        // only _jvp_into: _jvp would size y by calling the JVM's method, writing the object twice
        String bound = cells.text("%autodiff forward bumped");
        assertTrue(bound.contains("void bumped_jvp_into(Meter m, Meter tm, double x, double tx, double[] y,"
                + " double[] ty)") && !bound.contains("bumped_jvp("), bound);
        MethodHandle jvp = cells.handle("bumped_jvp_into"), jvm = cells.handle("bumped");
        Random random = new Random(23);
        for (int trial = 0; trial < 10; trial++) {
            double s = random.nextGaussian(), r = random.nextGaussian(), c = random.nextDouble(0.5, 2),
                    x = random.nextGaussian(), ts = random.nextGaussian(), tr = random.nextGaussian(),
                    tc = random.nextGaussian(), tx = random.nextGaussian();
            Object m = meter(new double[] {s, r, c}, 1), onJvm = meter(new double[] {s, r, c}, 1),
                    tm = meter(new double[] {ts, tr, tc}, 0);
            double[] y = new double[2], ty = new double[2];
            jvp.invoke(m, tm, x, tx, y, ty);
            assertArrayEquals((double[]) jvm.invoke(onJvm, x), y, 0, "y at trial " + trial);
            assertArrayEquals(state(onJvm), state(m), 0, "fields after the call, trial " + trial);
            // s' = s + c x², r' = r x: their tangents, then those of (s' r', s' + x)
            double s1 = s + c * x * x, r1 = r * x, ds = ts + x * x * tc + 2 * c * x * tx, dr = tr * x + r * tx;
            assertArrayEquals(new double[] {ds * r1 + s1 * dr, ds + tx}, ty, 1e-14 * (1 + Math.abs(s1 * r1)));
            assertArrayEquals(new double[] {ds, dr, tc}, floating(tm), 1e-14 * (1 + Math.abs(ds)));
        }
    }

    private static Object meter(double[] floating, int count) throws Throwable {
        return make.invoke(floating[0], floating[1], count, floating[2], false);
    }

    private static Object cell(double u, double w) throws Throwable {
        Class<?> type = cells.handle("relax").type().parameterType(0);
        return NotebookCells.constructor(type, double.class, double.class).invoke(u, w);
    }

    /** sum, rate, scale. */
    private static double[] floating(Object meter) throws ReflectiveOperationException {
        double[] values = new double[FLOATING.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = field(meter, FLOATING[i]).doubleValue();
        }
        return values;
    }

    /** Every field, in declaration order (on as 0 or 1). */
    private static double[] state(Object meter) throws ReflectiveOperationException {
        double[] f = floating(meter);
        return new double[] {f[0], f[1], field(meter, "count").doubleValue(), f[2],
            (Boolean) fieldValue(meter, "on") ? 1 : 0};
    }

    private static Number field(Object object, String name) throws ReflectiveOperationException {
        return (Number) fieldValue(object, name);
    }

    private static Object fieldValue(Object object, String name) throws ReflectiveOperationException {
        return Reflected.field(object, name);
    }

    private static Object read(Object record, String component) throws ReflectiveOperationException {
        return Reflected.component(record, component);
    }
}
