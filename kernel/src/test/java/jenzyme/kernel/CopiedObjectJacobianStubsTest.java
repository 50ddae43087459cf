package jenzyme.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code %autodiff jacobian} of methods writing the fields of an object from the JVM, through the stubs the notebook
 * calls: the object's fields at entry are the Jacobian's columns when {@code --wrt} names them, each sweep starts
 * from them, and after {@code _jac}/{@code _jac_into} the object holds what one JVM call leaves in it (bit for bit,
 * also when the call throws). Entries against the analytic Jacobians of two small models, on random objects.
 */
class CopiedObjectJacobianStubsTest {

    private static final String MODELS = """
            final class Gauge {
                double sum, rate;
                int count;
                final double scale;
                Gauge(double sum, double rate, int count, double scale) {
                    this.sum = sum; this.rate = rate; this.count = count; this.scale = scale;
                }
            }
            double[] tick(Gauge g, double x) {
                g.sum += g.scale * x * x;
                g.rate *= x;
                g.count++;
                if (g.sum > 30) throw new IllegalArgumentException("gauge overflow");
                return new double[] {g.sum * g.rate, g.sum + x};
            }
            final class Body {
                final double[] pos, vel;
                double t;
                Body(double[] pos, double[] vel, double t) { this.pos = pos; this.vel = vel; this.t = t; }
                void drift(double[] k, double[] y) {
                    for (int i = 0; i < pos.length; i++) { vel[i] -= k[i] * pos[i]; pos[i] += vel[i]; y[i] = pos[i] * t; }
                    t += 1;
                }
            }
            void fly(Body b, double[] k, double h, double[] y) {
                for (int i = 0; i < b.pos.length; i++) {
                    b.vel[i] -= h * k[i] * b.pos[i];
                    b.pos[i] += h * b.vel[i];
                    y[i] = b.pos[i] * b.t;
                }
                b.t += h;
            }
            """;

    @RegisterExtension
    static final NotebookCells cells = new NotebookCells(MODELS);

    @Test
    void theNumberFieldsAtEntryAreTheColumnsAndTheGaugeHoldsOneCallsFields() throws Throwable {
        // a returned array: only _jac_into (_jac would size y by calling tick on the JVM, writing g twice)
        String both = cells.text("%autodiff jacobian tick --wrt g");
        assertTrue(both.contains("void tick_jac_into(Gauge g, double x, double[][] jacobian)"), both);
        assertFalse(both.contains("tick_jac("), both);
        cells.text("%autodiff jacobian tick --wrt g --mode forward --width 2 --name tickf");
        MethodHandle jvm = stub("tick");
        Random random = new Random(3);
        int thrown = 0;
        for (String name : new String[] {"tick_jac_into", "tickf_jac_into"}) {
            MethodHandle jac = stub(name);
            for (int trial = 0; trial < 20; trial++) {
                double s = random.nextDouble(-2, 2), r = random.nextGaussian(), c = random.nextDouble(0.5, 2),
                        x = random.nextDouble(-5, 5);
                int count = random.nextInt(10);
                Object g = gauge(s, r, count, c), onJvm = gauge(s, r, count, c);
                double[][] j = new double[2][4];
                String jvmFailure = failure(() -> jvm.invoke(onJvm, x));
                assertEquals(jvmFailure, failure(() -> jac.invoke(g, x, j)), name + " at trial " + trial);
                assertArrayEquals(gaugeFields(onJvm), gaugeFields(g), 0, name + ": fields after the call " + trial);
                if (jvmFailure != null) {
                    thrown++;
                    continue;
                }
                // columns sum, rate, count, scale at entry; s' = s + c x², r' = r x; y = (s' r', s' + x)
                double s1 = s + c * x * x, r1 = r * x;
                assertArrayEquals(new double[] {r1, s1 * x, 0, x * x * r1}, j[0], 1e-14 * (1 + Math.abs(s1 * x)),
                        name + " row 0 at trial " + trial);
                assertArrayEquals(new double[] {1, 0, 0, x * x}, j[1], 1e-14 * (1 + x * x), name + " row 1");
            }
        }
        assertTrue(thrown > 0 && thrown < 30, thrown + " calls threw");
        // the vector-Jacobian and Jacobian-vector products of the same method agree with the Jacobian's rows
        cells.text("%autodiff reverse tick");
        cells.text("%autodiff forward tick");
        MethodHandle jac = stub("tick_jac_into"), vjp = stub("tick_vjp"), jvp = stub("tick_jvp_into");
        double s = 0.7, r = -1.3, c = 1.1, x = 1.9;
        double[][] j = new double[2][4];
        jac.invoke(gauge(s, r, 2, c), x, j);
        double[] ybar = {0.6, -2.5}, t = {0.3, -0.8, 0, 1.7};
        Object products = vjp.invoke(gauge(s, r, 2, c), x, ybar);
        double[] dg = gaugeFields(Reflected.component(products, "dg"));
        double[] jty = new double[4];
        for (int col = 0; col < 4; col++) {
            jty[col] = ybar[0] * j[0][col] + ybar[1] * j[1][col];
        }
        assertArrayEquals(jty, dg, 1e-14 * (1 + Math.abs(jty[0])), "ybar J against tick_vjp's dg");
        double[] y = new double[2], ty = new double[2];
        jvp.invoke(gauge(s, r, 2, c), gauge(t[0], t[1], 0, t[3]), x, 0.0, y, ty);
        for (int row = 0; row < 2; row++) {
            double jt = j[row][0] * t[0] + j[row][1] * t[1] + j[row][3] * t[3];
            assertEquals(jt, ty[row], 1e-14 * (1 + Math.abs(jt)), "J t against tick_jvp_into, row " + row);
        }
    }

    @Test
    void theArrayFieldsAndTheParameterAreColumnsAndTheBodyAdvancesOnce() throws Throwable {
        String bound = cells.text("%autodiff jacobian fly");
        assertTrue(bound.contains("double[][] fly_jac(Body b, double[] k, double h, double[] y)"), bound);
        cells.text("%autodiff jacobian fly --wrt b.vel --name flyv");
        cells.text("%autodiff jacobian fly --wrt b --mode forward --name flyt");
        MethodHandle jvm = stub("fly"), inK = stub("fly_jac"), inVel = stub("flyv_jac_into"), inT = stub("flyt_jac");
        Random random = new Random(8);
        int n = 5;
        for (int trial = 0; trial < 10; trial++) {
            double[] pos = random.doubles(n, -1, 1).toArray(), vel = random.doubles(n, -1, 1).toArray(),
                    k = random.doubles(n, 0.5, 2).toArray();
            double t = random.nextDouble(0.5, 2), h = random.nextDouble(0.05, 0.2);
            Object onJvm = body(pos, vel, t);
            jvm.invoke(onJvm, k, h, new double[n]);
            double[] moved = new double[n];
            for (int i = 0; i < n; i++) {
                moved[i] = pos[i] + h * (vel[i] - h * k[i] * pos[i]);
            }
            // y_i = pos_i' t with pos_i' = pos_i + h (vel_i - h k_i pos_i): diagonal in k and vel, a column in t
            Object b = body(pos, vel, t);
            double[][] jk = (double[][]) inK.invoke(b, k, h, new double[n]);
            assertArrayEquals(bodyFields(onJvm), bodyFields(b), 0, "fields after fly_jac " + trial);
            Object bv = body(pos, vel, t);
            double[][] jv = new double[n][n];
            inVel.invoke(bv, k, h, new double[n], jv);
            assertArrayEquals(bodyFields(onJvm), bodyFields(bv), 0, "fields after flyv_jac_into " + trial);
            Object bt = body(pos, vel, t);
            double[][] jt = (double[][]) inT.invoke(bt, k, h, new double[n]);
            assertArrayEquals(bodyFields(onJvm), bodyFields(bt), 0, "fields after flyt_jac " + trial);
            assertEquals(1, jt[0].length, "--wrt b: one column, the number field t");
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    assertEquals(i == j ? -h * h * pos[i] * t : 0, jk[i][j], 1e-15, "d y/d k " + i + "," + j);
                    assertEquals(i == j ? h * t : 0, jv[i][j], 1e-15, "d y/d vel " + i + "," + j);
                }
                assertEquals(moved[i], jt[i][0], 1e-15 * (1 + Math.abs(moved[i])), "d y/d t " + i);
            }
        }
        assertThrows(NullPointerException.class, () -> stub("fly_jac").invoke(null, new double[n], 0.1,
                new double[n]));
        // the receiver of an instance method, read at each call: d y_i / d k_i = -pos_i t, the body moved once
        cells.run("var body = new Body(new double[] {0.5, -1}, new double[] {0.25, 2}, 3);");
        assertTrue(cells.text("%autodiff jacobian body.drift --name bd").contains("double[][] bd_jac(double[] k,"
                + " double[] y)"));
        double[][] j = cells.matrix("bd_jac(new double[] {2, 0.5}, new double[2])");
        assertArrayEquals(new double[] {-0.5 * 3, 0}, j[0], 1e-15);
        assertArrayEquals(new double[] {0, 1 * 3}, j[1], 1e-15);
        // vel = (0.25 - 2 * 0.5, 2 + 0.5) = (-0.75, 2.5), pos = (-0.25, 1.5), t = 4: one call, not one per sweep
        assertArrayEquals(new double[] {-0.25, 1.5, -0.75, 2.5, 4}, cells.numbers(
                "body.pos[0], body.pos[1], body.vel[0], body.vel[1], body.t"), 0);
        // without a double[] output of its own, the method's object is not y unless named, and the refusal says how
        cells.define("void nudge(Body b, double[] k) {"
                + " for (int i = 0; i < k.length; i++) b.vel[i] += k[i] * b.pos[i]; b.t++; }");
        String refusal = cells.refusal("%autodiff jacobian nudge");
        assertTrue(refusal.contains("the fields of b, a Body from the JVM, are x or y only when named: --out b for its"
                + " number fields, --out b.<field> for an array field"), refusal);
    }

    private static MethodHandle stub(String name) {
        return cells.handle(name);
    }

    /** The message of what {@code call} throws, or null. */
    private static String failure(ThrowingCall call) {
        try {
            call.run();
            return null;
        } catch (Throwable e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    @FunctionalInterface
    private interface ThrowingCall {
        void run() throws Throwable;
    }

    private static Object gauge(double sum, double rate, int count, double scale) throws Throwable {
        Class<?> type = stub("tick").type().parameterType(0);
        return NotebookCells.constructor(type, double.class, double.class, int.class, double.class)
                .invoke(sum, rate, count, scale);
    }

    private static double[] gaugeFields(Object g) throws ReflectiveOperationException {
        return new double[] {(double) Reflected.field(g, "sum"), (double) Reflected.field(g, "rate"),
            (int) Reflected.field(g, "count"), (double) Reflected.field(g, "scale")};
    }

    private static Object body(double[] pos, double[] vel, double t) throws Throwable {
        Class<?> type = stub("fly").type().parameterType(0);
        return NotebookCells.constructor(type, double[].class, double[].class, double.class)
                .invoke(pos.clone(), vel.clone(), t);
    }

    /** pos, vel and t, one array. */
    private static double[] bodyFields(Object b) throws ReflectiveOperationException {
        double[] pos = (double[]) Reflected.field(b, "pos"), vel = (double[]) Reflected.field(b, "vel");
        double[] all = java.util.Arrays.copyOf(pos, 2 * pos.length + 1);
        System.arraycopy(vel, 0, all, pos.length, vel.length);
        all[all.length - 1] = (double) Reflected.field(b, "t");
        return all;
    }
}
