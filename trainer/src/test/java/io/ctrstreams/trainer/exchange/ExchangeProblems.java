package io.ctrstreams.trainer.exchange;

import java.util.SplittableRandom;

/** Small test problems with known optima for the exchange algorithms. */
final class ExchangeProblems {
  private ExchangeProblems() {}

  /** Per-worker least squares f_i(x) = 0.5 ||A_i x - b_i||^2 / m, with worker-specific b_i. */
  static final class LeastSquares {
    final int n;
    final int d;
    final int m;
    final double[][][] a;
    final double[][] b;

    LeastSquares(int n, int d, int m, double heterogeneity, long seed) {
      this.n = n;
      this.d = d;
      this.m = m;
      SplittableRandom r = new SplittableRandom(seed);
      a = new double[n][m][d];
      b = new double[n][m];
      double[] common = gaussian(r, d);
      for (int i = 0; i < n; i++) {
        double[] own = gaussian(r, d);
        for (int k = 0; k < m; k++) {
          double s = 0;
          for (int j = 0; j < d; j++) {
            a[i][k][j] = r.nextGaussian() / Math.sqrt(d);
            s += a[i][k][j] * (common[j] + heterogeneity * own[j]);
          }
          b[i][k] = s + 0.1 * r.nextGaussian();
        }
      }
    }

    private static double[] gaussian(SplittableRandom r, int d) {
      double[] v = new double[d];
      for (int j = 0; j < d; j++) {
        v[j] = r.nextGaussian();
      }
      return v;
    }

    /** Gradient of f_i at x into g (float). */
    void gradient(int i, float[] x, float[] g) {
      double[] acc = new double[d];
      for (int k = 0; k < m; k++) {
        double res = -b[i][k];
        for (int j = 0; j < d; j++) {
          res += a[i][k][j] * x[j];
        }
        for (int j = 0; j < d; j++) {
          acc[j] += a[i][k][j] * res;
        }
      }
      for (int j = 0; j < d; j++) {
        g[j] = (float) (acc[j] / m);
      }
    }

    /** The minimiser of sum_i f_i (normal equations, Gaussian elimination in double). */
    double[] optimum() {
      double[][] s = new double[d][d + 1];
      for (int i = 0; i < n; i++) {
        for (int k = 0; k < m; k++) {
          for (int p = 0; p < d; p++) {
            for (int q = 0; q < d; q++) {
              s[p][q] += a[i][k][p] * a[i][k][q];
            }
            s[p][d] += a[i][k][p] * b[i][k];
          }
        }
      }
      for (int c = 0; c < d; c++) {
        int piv = c;
        for (int r = c + 1; r < d; r++) {
          if (Math.abs(s[r][c]) > Math.abs(s[piv][c])) {
            piv = r;
          }
        }
        double[] t = s[c];
        s[c] = s[piv];
        s[piv] = t;
        for (int r = 0; r < d; r++) {
          if (r != c) {
            double f = s[r][c] / s[c][c];
            for (int q = c; q <= d; q++) {
              s[r][q] -= f * s[c][q];
            }
          }
        }
      }
      double[] x = new double[d];
      for (int c = 0; c < d; c++) {
        x[c] = s[c][d] / s[c][c];
      }
      return x;
    }
  }

  /**
   * The three-worker quadratic with opposing objectives (after Beznosikov et al. 2020 and
   * Richtárik et al. 2021, Example 1): f_i(x) = (a_i . x)^2 + 0.5 ||x||^2 with a_i = 2.1 everywhere
   * except -3 at coordinate i. The optimum of the sum is x = 0; at x = (t, t, t) each worker's
   * gradient is largest (-6.2 t) at its own coordinate, so top-1 without feedback moves every
   * coordinate away from 0, for any step size.
   */
  static void opposing(int i, float[] x, float[] g) {
    double dot = 0;
    for (int j = 0; j < 3; j++) {
      dot += coef(i, j) * x[j];
    }
    for (int j = 0; j < 3; j++) {
      g[j] = (float) (2 * dot * coef(i, j) + x[j]);
    }
  }

  private static double coef(int i, int j) {
    return i == j ? -3 : 2.1;
  }

  static double distance(float[] x, double[] y) {
    double s = 0;
    for (int j = 0; j < x.length; j++) {
      s += (x[j] - y[j]) * (x[j] - y[j]);
    }
    return Math.sqrt(s);
  }
}
