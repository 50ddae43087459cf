package jenzyme.runtime.testing;

import java.util.Map;
import jenzyme.runtime.JavaMethod;
import jenzyme.runtime.ad.Activity;

/**
 * The methods of ScratchArraysTest and ScratchArraysModesTest, as {@code scr.Sc}: Const arrays written with values
 * depending on differentiated inputs and read back (work buffers, through callees, a record's component, an object's
 * field, a notebook's static array, a refused matrix), and the harmless shapes that keep the Const fast path.
 */
public final class ScratchFixtures {

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

    /** The activities that make the work buffer a written-and-read Const array. */
    public static final Map<String, Activity> WORK_CONST = Map.of("work", Activity.CONST);

    private ScratchFixtures() {}

    public static CompiledClasses compile() {
        return InMemoryJavac.compile("scr.Sc", SOURCE);
    }

    /** Method {@code name} of {@code scr.Sc} in {@code classes} ({@link #compile()}). */
    public static JavaMethod method(CompiledClasses classes, String name, String descriptor) {
        return new JavaMethod(classes, "scr/Sc", name, descriptor);
    }

    /** The line of the source marked {@code // marker}. */
    public static int lineOf(String marker) {
        return MarkedLines.lineOf(SOURCE, marker);
    }
}
