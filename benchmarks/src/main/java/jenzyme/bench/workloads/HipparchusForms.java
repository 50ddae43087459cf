package jenzyme.bench.workloads;

import org.hipparchus.CalculusFieldElement;

/**
 * The benchmark's workloads written with Hipparchus's automatic differentiation (the "Hipparchus" columns of
 * ./bench): the Java methods of this package, operation for operation, over any {@link CalculusFieldElement}.
 * {@code active} holds the differentiated inputs in the bench's gradient order; Const arguments stay plain Java.
 */
public final class HipparchusForms {

    private HipparchusForms() {
    }

    /** {@link Rosenbrock#rosenbrock}: active = x. */
    public static <T extends CalculusFieldElement<T>> T rosenbrock(T[] x, Object[] arguments) {
        T s = x[0].getField().getZero();
        for (int i = 0; i + 1 < x.length; i++) {
            T u = x[i + 1].subtract(x[i].multiply(x[i]));
            T v = x[i].negate().add(1);
            s = s.add(u.multiply(100).multiply(u).add(v.multiply(v)));
        }
        return s;
    }

    /** {@link LotkaVolterraFit#odeLoss}: active = p; arguments = (p, obs, steps). */
    public static <T extends CalculusFieldElement<T>> T odeLoss(T[] p, Object[] arguments) {
        double[] obs = (double[]) arguments[1];
        int steps = (Integer) arguments[2];
        T alpha = p[0], beta = p[1], delta = p[2], gamma = p[3];
        T x = p[4], y = p[5];
        double dt = LotkaVolterraFit.SPAN / steps;
        T loss = x.getField().getZero();
        for (int k = 0; k < steps; k++) {
            T k1x = alpha.multiply(x).subtract(beta.multiply(x).multiply(y));
            T k1y = delta.multiply(x).multiply(y).subtract(gamma.multiply(y));
            T x2 = x.add(k1x.multiply(0.5 * dt)), y2 = y.add(k1y.multiply(0.5 * dt));
            T k2x = alpha.multiply(x2).subtract(beta.multiply(x2).multiply(y2));
            T k2y = delta.multiply(x2).multiply(y2).subtract(gamma.multiply(y2));
            T x3 = x.add(k2x.multiply(0.5 * dt)), y3 = y.add(k2y.multiply(0.5 * dt));
            T k3x = alpha.multiply(x3).subtract(beta.multiply(x3).multiply(y3));
            T k3y = delta.multiply(x3).multiply(y3).subtract(gamma.multiply(y3));
            T x4 = x.add(k3x.multiply(dt)), y4 = y.add(k3y.multiply(dt));
            T k4x = alpha.multiply(x4).subtract(beta.multiply(x4).multiply(y4));
            T k4y = delta.multiply(x4).multiply(y4).subtract(gamma.multiply(y4));
            x = x.add(k1x.add(k2x.multiply(2)).add(k3x.multiply(2)).add(k4x).multiply(dt / 6));
            y = y.add(k1y.add(k2y.multiply(2)).add(k3y.multiply(2)).add(k4y).multiply(dt / 6));
            T ex = x.subtract(obs[2 * k]), ey = y.subtract(obs[2 * k + 1]);
            loss = loss.add(ex.multiply(ex).add(ey.multiply(ey)).multiply(dt));
        }
        return loss;
    }

    /** {@link LogisticRegression#logreg}: active = w; arguments = (w, X, y, n, d). */
    public static <T extends CalculusFieldElement<T>> T logreg(T[] w, Object[] arguments) {
        double[] X = (double[]) arguments[1];
        double[] y = (double[]) arguments[2];
        int n = (Integer) arguments[3], d = (Integer) arguments[4];
        T total = w[0].getField().getZero();
        for (int i = 0; i < n; i++) {
            T z = w[d];
            for (int j = 0; j < d; j++) {
                z = z.add(w[j].multiply(X[i * d + j]));
            }
            T t = z.multiply(-y[i]);
            total = total.add(t.getReal() > 0 ? t.add(t.negate().exp().log1p()) : t.exp().log1p());
        }
        T penalty = w[0].getField().getZero();
        for (int j = 0; j < d; j++) {
            penalty = penalty.add(w[j].multiply(w[j]));
        }
        return total.divide(n).add(penalty.multiply(0.5 * LogisticRegression.L2));
    }

    /** {@link TranscendentalLoop#composite}: active = (a, b, c); arguments = (a, b, c, n). */
    public static <T extends CalculusFieldElement<T>> T composite(T[] abc, Object[] arguments) {
        T a = abc[0], b = abc[1], c = abc[2];
        int n = (Integer) arguments[3];
        T x = a, s = a.getField().getZero();
        for (int k = 0; k < n; k++) {
            double t = k * TranscendentalLoop.STEP;
            T forcing = b.multiply(x).add(t).sin().subtract(c.multiply(x.tanh()))
                    .add(a.multiply(t).cos().multiply(c.multiply(-t).exp()));
            x = x.add(forcing.multiply(TranscendentalLoop.STEP));
            s = s.add(x.multiply(x).log1p().add(b.multiply(b).multiply(t).add(1).sqrt().multiply(x.atan())));
        }
        return s;
    }
}
