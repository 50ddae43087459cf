package scientific;

/** Matrix code: on double[][] as most people write it, and on flat row-major arrays. */
public class Matrices {

    static double frobeniusNorm(double[][] a) {
        double s = 0;
        for (double[] row : a)
            for (double v : row) s += v * v;
        return Math.sqrt(s);
    }

    static double matVecNorm(double[][] a, double[] x) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double yi = 0;
            for (int j = 0; j < x.length; j++) yi += a[i][j] * x[j];
            s += yi * yi;
        }
        return s;
    }

    static double traceOfProduct(double[][] a, double[][] b) {
        double t = 0;
        for (int i = 0; i < a.length; i++)
            for (int k = 0; k < a.length; k++) t += a[i][k] * b[k][i];
        return t;
    }

    static double choleskyLogDet(double[][] a) {
        int n = a.length;
        double[][] l = new double[n][n];
        double logDet = 0;
        for (int j = 0; j < n; j++) {
            double d = a[j][j] + n;
            for (int k = 0; k < j; k++) d -= l[j][k] * l[j][k];
            l[j][j] = Math.sqrt(d);
            logDet += 2 * Math.log(l[j][j]);
            for (int i = j + 1; i < n; i++) {
                double s = a[i][j];
                for (int k = 0; k < j; k++) s -= l[i][k] * l[j][k];
                l[i][j] = s / l[j][j];
            }
        }
        return logDet;
    }

    static double flatMatVecNorm(double[] a, double[] x, int n) {
        int m = a.length / n;
        double s = 0;
        for (int i = 0; i < m; i++) {
            double yi = 0;
            for (int j = 0; j < n; j++) yi += a[i * n + j] * x[j];
            s += yi * yi;
        }
        return s;
    }

    static double powerIterationRayleigh(double[] a, int steps) {
        int n = 2;
        double[] x = {1, 0.5}, y = new double[n];
        for (int s = 0; s < steps; s++) {
            for (int i = 0; i < n; i++) {
                y[i] = 0;
                for (int j = 0; j < n; j++) y[i] += (a[i * n + j] + a[j * n + i]) * x[j];
            }
            double norm = Math.sqrt(y[0] * y[0] + y[1] * y[1]);
            for (int i = 0; i < n; i++) x[i] = y[i] / norm;
        }
        double rq = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) rq += x[i] * (a[i * n + j] + a[j * n + i]) * x[j];
        return rq;
    }

    static double logAbsDet2(double[] m) {
        double det = m[0] * m[3] - m[1] * m[2];
        if (det == 0) throw new ArithmeticException("singular matrix");
        return Math.log(Math.abs(det));
    }

    static double gramSchmidtResidual(double[] v) {
        double[] u1 = {v[0], v[1], v[2]}, u2 = {v[3], v[4], v[5]};
        double n1 = Math.sqrt(u1[0] * u1[0] + u1[1] * u1[1] + u1[2] * u1[2]);
        for (int i = 0; i < 3; i++) u1[i] /= n1;
        double dot = u1[0] * u2[0] + u1[1] * u2[1] + u1[2] * u2[2];
        double r = 0;
        for (int i = 0; i < 3; i++) {
            double w = u2[i] - dot * u1[i];
            r += w * w;
        }
        return r;
    }
}
