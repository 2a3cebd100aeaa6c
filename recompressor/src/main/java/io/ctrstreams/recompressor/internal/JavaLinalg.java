package io.ctrstreams.recompressor.internal;

import io.ctrstreams.recompressor.Linalg;
import io.ctrstreams.recompressor.RecompressorException;
import io.ctrstreams.recompressor.SymmetricEigen;

/**
 * Plain-Java reference linear algebra: Householder tridiagonalization followed by the implicit
 * QL algorithm (EISPACK tred2/tql2, as in JAMA's public-domain EigenvalueDecomposition), all in
 * double precision. Used as the reference every faster backend is tested against.
 */
public final class JavaLinalg implements Linalg {
  /** The single instance; stateless. */
  public static final JavaLinalg INSTANCE = new JavaLinalg();

  private JavaLinalg() {}

  @Override
  public String name() {
    return "java";
  }

  /** Checks the operands of {@link #addGram} (every backend takes the same). */
  static void checkGram(double[] a, int rows, int cols, double[] acc) {
    if (a.length < (long) rows * cols || acc.length != (long) cols * cols) {
      throw new RecompressorException(
          "Gram of a " + rows + " x " + cols + " block needs " + (long) rows * cols
              + " values and a " + cols + " x " + cols + " accumulator, found " + a.length
              + " and " + acc.length);
    }
  }

  @Override
  public void addGram(double[] a, int rows, int cols, double[] acc) {
    checkGram(a, rows, cols, acc);
    // Upper triangle by rank-1 updates (row-major friendly), then mirror.
    for (int r = 0; r < rows; r++) {
      int off = r * cols;
      for (int i = 0; i < cols; i++) {
        double ai = a[off + i];
        if (ai == 0) {
          continue;
        }
        int base = i * cols;
        for (int j = i; j < cols; j++) {
          acc[base + j] += ai * a[off + j];
        }
      }
    }
    // acc may already hold a symmetric sum: the lower triangle gets the same increment as the
    // upper one, so copying upper over lower keeps it exact.
    for (int i = 0; i < cols; i++) {
      for (int j = i + 1; j < cols; j++) {
        acc[j * cols + i] = acc[i * cols + j];
      }
    }
  }

  @Override
  public SymmetricEigen symmetricEigen(double[] a, int n) {
    if (n < 1 || a.length != (long) n * n) {
      throw new RecompressorException(
          "symmetric matrix of order " + n + " needs " + (long) n * n + " values, found "
              + a.length);
    }
    double[][] v = new double[n][n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(a, i * n, v[i], 0, n);
    }
    double[] d = new double[n];
    double[] e = new double[n];
    tred2(n, v, d, e);
    // tql2 rotates pairs of columns of V; work on V^T so the rotation touches contiguous rows.
    double[][] vt = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        vt[j][i] = v[i][j];
      }
    }
    tql2(n, vt, d, e);
    // Sort descending; vt[j] is the eigenvector of d[j].
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (x, y) -> Double.compare(d[y], d[x]));
    double[] values = new double[n];
    double[] vectors = new double[n * n];
    for (int c = 0; c < n; c++) {
      int src = order[c];
      values[c] = d[src];
      double[] vec = vt[src];
      for (int r = 0; r < n; r++) {
        vectors[r * n + c] = vec[r];
      }
    }
    return new SymmetricEigen(n, values, vectors);
  }

  /** Householder reduction of symmetric V to tridiagonal form (d diagonal, e subdiagonal). */
  private static void tred2(int n, double[][] v, double[] d, double[] e) {
    for (int j = 0; j < n; j++) {
      d[j] = v[n - 1][j];
    }
    for (int i = n - 1; i > 0; i--) {
      double scale = 0.0;
      double h = 0.0;
      for (int k = 0; k < i; k++) {
        scale += Math.abs(d[k]);
      }
      if (scale == 0.0) {
        e[i] = d[i - 1];
        for (int j = 0; j < i; j++) {
          d[j] = v[i - 1][j];
          v[i][j] = 0.0;
          v[j][i] = 0.0;
        }
      } else {
        for (int k = 0; k < i; k++) {
          d[k] /= scale;
          h += d[k] * d[k];
        }
        double f = d[i - 1];
        double g = Math.sqrt(h);
        if (f > 0) {
          g = -g;
        }
        e[i] = scale * g;
        h -= f * g;
        d[i - 1] = f - g;
        for (int j = 0; j < i; j++) {
          e[j] = 0.0;
        }
        for (int j = 0; j < i; j++) {
          f = d[j];
          v[j][i] = f;
          g = e[j] + v[j][j] * f;
          for (int k = j + 1; k <= i - 1; k++) {
            g += v[k][j] * d[k];
            e[k] += v[k][j] * f;
          }
          e[j] = g;
        }
        f = 0.0;
        for (int j = 0; j < i; j++) {
          e[j] /= h;
          f += e[j] * d[j];
        }
        double hh = f / (h + h);
        for (int j = 0; j < i; j++) {
          e[j] -= hh * d[j];
        }
        for (int j = 0; j < i; j++) {
          f = d[j];
          g = e[j];
          for (int k = j; k <= i - 1; k++) {
            v[k][j] -= (f * e[k] + g * d[k]);
          }
          d[j] = v[i - 1][j];
          v[i][j] = 0.0;
        }
      }
      d[i] = h;
    }
    for (int i = 0; i < n - 1; i++) {
      v[n - 1][i] = v[i][i];
      v[i][i] = 1.0;
      double h = d[i + 1];
      if (h != 0.0) {
        for (int k = 0; k <= i; k++) {
          d[k] = v[k][i + 1] / h;
        }
        for (int j = 0; j <= i; j++) {
          double g = 0.0;
          for (int k = 0; k <= i; k++) {
            g += v[k][i + 1] * v[k][j];
          }
          for (int k = 0; k <= i; k++) {
            v[k][j] -= g * d[k];
          }
        }
      }
      for (int k = 0; k <= i; k++) {
        v[k][i + 1] = 0.0;
      }
    }
    for (int j = 0; j < n; j++) {
      d[j] = v[n - 1][j];
      v[n - 1][j] = 0.0;
    }
    v[n - 1][n - 1] = 1.0;
    e[0] = 0.0;
  }

  /** sqrt(a^2 + b^2) without overflow; Math.hypot is exact but several times slower. */
  private static double hypot(double a, double b) {
    double x = Math.abs(a);
    double y = Math.abs(b);
    if (x < y) {
      double t = x;
      x = y;
      y = t;
    }
    if (x == 0) {
      return 0;
    }
    double r = y / x;
    return x * Math.sqrt(1 + r * r);
  }

  /** Implicit QL on the tridiagonal (d, e); vt holds V transposed (row j = column j of V). */
  private static void tql2(int n, double[][] vt, double[] d, double[] e) {
    for (int i = 1; i < n; i++) {
      e[i - 1] = e[i];
    }
    e[n - 1] = 0.0;
    double f = 0.0;
    double tst1 = 0.0;
    double eps = Math.ulp(1.0);
    for (int l = 0; l < n; l++) {
      tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
      int m = l;
      while (m < n) {
        if (Math.abs(e[m]) <= eps * tst1) {
          break;
        }
        m++;
      }
      if (m > l) {
        int iter = 0;
        do {
          if (++iter > 100) {
            throw new RecompressorException(
                "QL iteration did not converge for eigenvalue " + l + " of " + n);
          }
          double g = d[l];
          double p = (d[l + 1] - g) / (2.0 * e[l]);
          double r = hypot(p, 1.0);
          if (p < 0) {
            r = -r;
          }
          d[l] = e[l] / (p + r);
          d[l + 1] = e[l] * (p + r);
          double dl1 = d[l + 1];
          double h = g - d[l];
          for (int i = l + 2; i < n; i++) {
            d[i] -= h;
          }
          f += h;
          p = d[m];
          double c = 1.0;
          double c2 = c;
          double c3 = c;
          double el1 = e[l + 1];
          double s = 0.0;
          double s2 = 0.0;
          for (int i = m - 1; i >= l; i--) {
            c3 = c2;
            c2 = c;
            s2 = s;
            g = c * e[i];
            h = c * p;
            r = hypot(p, e[i]);
            e[i + 1] = s * r;
            s = e[i] / r;
            c = p / r;
            p = c * d[i] - s * g;
            d[i + 1] = h + s * (c * g + s * d[i]);
            double[] vi = vt[i];
            double[] vi1 = vt[i + 1];
            for (int k = 0; k < n; k++) {
              double hk = vi1[k];
              vi1[k] = s * vi[k] + c * hk;
              vi[k] = c * vi[k] - s * hk;
            }
          }
          p = -s * s2 * c3 * el1 * e[l] / dl1;
          e[l] = s * p;
          d[l] = c * p;
        } while (Math.abs(e[l]) > eps * tst1);
      }
      d[l] += f;
      e[l] = 0.0;
    }
  }
}
