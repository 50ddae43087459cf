package scientific;

/** Linear algebra as it is written on double[][]: residuals, factorisations, iterations, grids, small networks. */
public class Linear {

    static double matVecResidualNorm(double[][] a, double[] x, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double r = -b[i];
            for (int j = 0; j < x.length; j++) {
                r += a[i][j] * x[j];
            }
            s += r * r;
        }
        return s;
    }

    static double symmetricQuadraticForm(double[][] a, double[] x) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x.length; j++) {
                s += 0.5 * (a[i][j] + a[j][i]) * x[i] * x[j];
            }
        }
        return s;
    }

    static double traceOfGram(double[][] a) {
        double t = 0;
        for (int j = 0; j < a[0].length; j++) {
            for (int i = 0; i < a.length; i++) {
                t += a[i][j] * a[i][j];
            }
        }
        return t;
    }

    /** Gaussian elimination (no pivoting: the diagonal is shifted to make A diagonally dominant). */
    static double gaussianEliminationSum(double[][] a, double[] b) {
        int n = a.length;
        double[][] m = new double[n][n];
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                m[i][j] = a[i][j];
            }
            m[i][i] += n;
            r[i] = b[i];
        }
        for (int k = 0; k < n; k++) {
            for (int i = k + 1; i < n; i++) {
                double f = m[i][k] / m[k][k];
                for (int j = k; j < n; j++) {
                    m[i][j] -= f * m[k][j];
                }
                r[i] -= f * r[k];
            }
        }
        double sum = 0;
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            double s = r[i];
            for (int j = i + 1; j < n; j++) {
                s -= m[i][j] * x[j];
            }
            x[i] = s / m[i][i];
            sum += x[i];
        }
        return sum;
    }

    static double jacobiResidual(double[][] a, double[] b, int steps) {
        int n = b.length;
        double[] x = new double[n];
        double[] next = new double[n];
        for (int it = 0; it < steps; it++) {
            for (int i = 0; i < n; i++) {
                double s = b[i];
                for (int j = 0; j < n; j++) {
                    if (j != i) {
                        s -= a[i][j] * x[j];
                    }
                }
                next[i] = s / (a[i][i] + 2 * n);
            }
            System.arraycopy(next, 0, x, 0, n);
        }
        double res = 0;
        for (int i = 0; i < n; i++) {
            double r = b[i] - 2 * n * x[i];
            for (int j = 0; j < n; j++) {
                r -= a[i][j] * x[j];
            }
            res += r * r;
        }
        return res;
    }

    /** log det(X'X + I) through its Cholesky factor. */
    static double gramLogDet(double[][] x) {
        int p = x[0].length;
        double[][] g = new double[p][p];
        for (int i = 0; i < p; i++) {
            for (int j = 0; j < p; j++) {
                double s = i == j ? 1 : 0;
                for (int k = 0; k < x.length; k++) {
                    s += x[k][i] * x[k][j];
                }
                g[i][j] = s;
            }
        }
        double[][] l = new double[p][p];
        double logDet = 0;
        for (int j = 0; j < p; j++) {
            double d = g[j][j];
            for (int k = 0; k < j; k++) {
                d -= l[j][k] * l[j][k];
            }
            l[j][j] = Math.sqrt(d);
            logDet += 2 * Math.log(l[j][j]);
            for (int i = j + 1; i < p; i++) {
                double s = g[i][j];
                for (int k = 0; k < j; k++) {
                    s -= l[i][k] * l[j][k];
                }
                l[i][j] = s / l[j][j];
            }
        }
        return logDet;
    }

    static double frobeniusDistance(double[][] a, double[][] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                double d = a[i][j] - b[i][j];
                s += d * d;
            }
        }
        return Math.sqrt(s);
    }

    static double rowSoftmaxEntropy(double[][] logits) {
        double h = 0;
        for (double[] row : logits) {
            double max = row[0];
            for (double v : row) {
                max = Math.max(max, v);
            }
            double z = 0;
            for (double v : row) {
                z += Math.exp(v - max);
            }
            for (double v : row) {
                double p = Math.exp(v - max) / z;
                h -= p * Math.log(p);
            }
        }
        return h;
    }

    static double bilinear(double[] u, double[][] a, double[] v) {
        double s = 0;
        for (int i = 0; i < u.length; i++) {
            double[] row = a[i];
            double t = 0;
            for (int j = 0; j < v.length; j++) {
                t += row[j] * v[j];
            }
            s += u[i] * t;
        }
        return s;
    }

    static double powerIterationRayleigh(double[][] a, int steps) {
        int n = a.length;
        double[] v = new double[n];
        double[] w = new double[n];
        java.util.Arrays.fill(v, 1.0);
        for (int it = 0; it < steps; it++) {
            double norm = 0;
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int j = 0; j < n; j++) {
                    s += a[i][j] * v[j];
                }
                w[i] = s;
                norm += s * s;
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < n; i++) {
                v[i] = w[i] / norm;
            }
        }
        double num = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                num += v[i] * a[i][j] * v[j];
            }
        }
        return num;
    }

    static double traceOfProductWithTranspose(double[][] a, double[][] b) {
        double t = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < b.length; j++) {
                t += a[i][j] * b[j][i];
            }
        }
        return t;
    }

    /** Sample covariance of the rows (observations) of x: its trace plus the squares of its off-diagonal. */
    static double covarianceSpread(double[][] samples) {
        int n = samples.length, p = samples[0].length;
        double[] mean = new double[p];
        for (double[] row : samples) {
            for (int j = 0; j < p; j++) {
                mean[j] += row[j] / n;
            }
        }
        double[][] cov = new double[p][p];
        for (double[] row : samples) {
            for (int i = 0; i < p; i++) {
                for (int j = 0; j < p; j++) {
                    cov[i][j] += (row[i] - mean[i]) * (row[j] - mean[j]) / (n - 1);
                }
            }
        }
        double s = 0;
        for (int i = 0; i < p; i++) {
            for (int j = 0; j < p; j++) {
                s += i == j ? cov[i][i] : cov[i][j] * cov[i][j];
            }
        }
        return s;
    }

    /** The discrete Dirichlet energy of a grid function. */
    static double dirichletEnergy(double[][] u) {
        double e = 0;
        for (int i = 0; i + 1 < u.length; i++) {
            for (int j = 0; j + 1 < u[i].length; j++) {
                double dx = u[i + 1][j] - u[i][j];
                double dy = u[i][j + 1] - u[i][j];
                e += 0.5 * (dx * dx + dy * dy);
            }
        }
        return e;
    }

    /** Explicit finite differences for u_t = D (u_xx + u_yy) on a grid with fixed borders. */
    static double heatEquation2d(double[][] u, double diffusivity, int steps) {
        int n = u.length, m = u[0].length;
        double dt = 0.1 / steps;
        double[][] next = new double[n][m];
        for (int s = 0; s < steps; s++) {
            for (int i = 1; i < n - 1; i++) {
                for (int j = 1; j < m - 1; j++) {
                    next[i][j] = u[i][j] + diffusivity * dt
                            * (u[i + 1][j] + u[i - 1][j] + u[i][j + 1] + u[i][j - 1] - 4 * u[i][j]);
                }
            }
            for (int i = 1; i < n - 1; i++) {
                for (int j = 1; j < m - 1; j++) {
                    u[i][j] = next[i][j];
                }
            }
        }
        double total = 0;
        for (double[] row : u) {
            for (double v : row) {
                total += v * v;
            }
        }
        return total;
    }

    static double mahalanobisSquared(double[][] a, double[] x, double[] mu) {
        int n = x.length;
        double[][] l = new double[n][n];
        for (int j = 0; j < n; j++) {
            double d = 0;
            for (int k = 0; k < n; k++) {
                d += a[j][k] * a[j][k];
            }
            d += 1;
            for (int k = 0; k < j; k++) {
                d -= l[j][k] * l[j][k];
            }
            l[j][j] = Math.sqrt(d);
            for (int i = j + 1; i < n; i++) {
                double s = 0;
                for (int k = 0; k < n; k++) {
                    s += a[i][k] * a[j][k];
                }
                for (int k = 0; k < j; k++) {
                    s -= l[i][k] * l[j][k];
                }
                l[i][j] = s / l[j][j];
            }
        }
        double[] z = new double[n];
        double d2 = 0;
        for (int i = 0; i < n; i++) {
            double s = x[i] - mu[i];
            for (int k = 0; k < i; k++) {
                s -= l[i][k] * z[k];
            }
            z[i] = s / l[i][i];
            d2 += z[i] * z[i];
        }
        return d2;
    }

    static double denseLayerLoss(double[][] w, double[] b, double[] x, double[] y) {
        double loss = 0;
        for (int i = 0; i < w.length; i++) {
            double z = b[i];
            for (int j = 0; j < x.length; j++) {
                z += w[i][j] * x[j];
            }
            double e = Math.tanh(z) - y[i];
            loss += e * e;
        }
        return loss / w.length;
    }

    static double logSumExpOfRows(double[][] a) {
        double total = 0;
        for (double[] row : a) {
            double max = Double.NEGATIVE_INFINITY;
            for (double v : row) {
                if (v > max) {
                    max = v;
                }
            }
            double s = 0;
            for (double v : row) {
                s += Math.exp(v - max);
            }
            total += max + Math.log(s);
        }
        return total;
    }

    static double forwardSubstitutionSum(double[][] l, double[] b) {
        int n = b.length;
        double[] y = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double s = b[i];
            for (int j = 0; j < i; j++) {
                s -= l[i][j] * y[j];
            }
            y[i] = s / (l[i][i] + n);
            sum += y[i];
        }
        return sum;
    }

    static double springNetworkEnergy(double[][] points, double k) {
        double e = 0;
        for (int i = 0; i + 1 < points.length; i++) {
            double d2 = 0;
            for (int c = 0; c < points[i].length; c++) {
                double d = points[i + 1][c] - points[i][c];
                d2 += d * d;
            }
            double stretch = Math.sqrt(d2 + 1e-3) - 0.5;
            e += 0.5 * k * stretch * stretch;
        }
        return e;
    }
}
