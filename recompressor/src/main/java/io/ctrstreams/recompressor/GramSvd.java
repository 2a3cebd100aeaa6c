package io.ctrstreams.recompressor;

/** Thin SVD through the Gram matrix of the smaller side; see {@link Linalg#svd}. */
final class GramSvd {
  private GramSvd() {}

  static Svd svd(Linalg la, double[] a, int m, int n) {
    if (a.length != (long) m * n) {
      throw new RecompressorException(
          "matrix " + m + " x " + n + " needs " + (long) m * n + " values, found " + a.length);
    }
    if (m >= n) {
      // A^T A = V S^2 V^T; U = A V S^-1.
      double[] g = new double[n * n];
      la.addGram(a, m, n, g);
      SymmetricEigen e = la.symmetricEigen(g, n);
      double[] s = new double[n];
      for (int j = 0; j < n; j++) {
        s[j] = Math.sqrt(Math.max(e.values()[j], 0));
      }
      double[] v = e.vectors(); // n x n, columns = right singular vectors
      double[] u = new double[m * n];
      for (int i = 0; i < m; i++) {
        int ai = i * n;
        int ui = i * n;
        for (int k = 0; k < n; k++) {
          double aik = a[ai + k];
          if (aik == 0) {
            continue;
          }
          int vk = k * n;
          for (int j = 0; j < n; j++) {
            u[ui + j] += aik * v[vk + j];
          }
        }
      }
      finishColumns(u, m, n, s);
      double[] vt = new double[n * n];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          vt[j * n + i] = v[i * n + j];
        }
      }
      return new Svd(m, n, s, u, vt);
    }
    // Wide matrix: SVD of the transpose, then swap the roles of U and V.
    double[] at = new double[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        at[j * m + i] = a[i * n + j];
      }
    }
    Svd t = svd(la, at, n, m); // A^T = U' S V'^T  =>  A = V' S U'^T
    int p = m;
    double[] u = new double[m * p];
    for (int i = 0; i < p; i++) {
      for (int j = 0; j < m; j++) {
        u[j * p + i] = t.vt()[i * m + j];
      }
    }
    double[] vt = new double[p * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < p; j++) {
        vt[j * n + i] = t.u()[i * p + j];
      }
    }
    return new Svd(m, n, t.values(), u, vt);
  }

  /**
   * Divides column j of {@code u} (m x p) by s[j]; columns of (numerically) zero singular values
   * are replaced by an orthonormal completion so U keeps orthonormal columns.
   */
  private static void finishColumns(double[] u, int m, int p, double[] s) {
    double tiny = (s.length == 0 ? 0 : s[0]) * 1e-10;
    for (int j = 0; j < p; j++) {
      boolean degenerate = s[j] <= tiny || s[j] == 0;
      if (!degenerate) {
        double inv = 1.0 / s[j];
        for (int i = 0; i < m; i++) {
          u[i * p + j] *= inv;
        }
      }
      // The Gram route loses orthogonality in columns of small singular values (error grows
      // like (s0 / sj)^2 * eps): re-orthogonalize those against earlier columns.
      if (!degenerate && s[j] >= s[0] * 1e-4) {
        continue;
      }
      for (int pass = 0; pass < 2; pass++) {
        if (degenerate && pass == 0) {
          // Start the completion from the unit vector least represented so far.
          int best = 0;
          double bestNorm = Double.MAX_VALUE;
          for (int i = 0; i < m; i++) {
            double q = 0;
            for (int c = 0; c < j; c++) {
              q += u[i * p + c] * u[i * p + c];
            }
            if (q < bestNorm) {
              bestNorm = q;
              best = i;
            }
          }
          for (int i = 0; i < m; i++) {
            u[i * p + j] = i == best ? 1 : 0;
          }
        }
        for (int c = 0; c < j; c++) {
          double dot = 0;
          for (int i = 0; i < m; i++) {
            dot += u[i * p + c] * u[i * p + j];
          }
          for (int i = 0; i < m; i++) {
            u[i * p + j] -= dot * u[i * p + c];
          }
        }
        double norm = 0;
        for (int i = 0; i < m; i++) {
          norm += u[i * p + j] * u[i * p + j];
        }
        norm = Math.sqrt(norm);
        if (norm > 0) {
          for (int i = 0; i < m; i++) {
            u[i * p + j] /= norm;
          }
        }
      }
    }
  }
}
