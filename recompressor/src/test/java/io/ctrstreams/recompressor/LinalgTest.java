package io.ctrstreams.recompressor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class LinalgTest {
  private static final Map<String, Reference.Array> REF = Reference.load("linalg_reference.txt");

  static Stream<Linalg> backends() {
    return Stream.of(Linalg.java(), Linalg.nd4j());
  }

  @ParameterizedTest
  @MethodSource("backends")
  void shouldMatchNumpyEigenvaluesOfFixedSymmetricMatrix(Linalg la) {
    Reference.Array sym = REF.get("sym");
    double[] expected = REF.get("sym_eigenvalues_desc").values();
    SymmetricEigen e = la.symmetricEigen(sym.values(), sym.shape()[0]);
    for (int i = 0; i < expected.length; i++) {
      assertThat(e.values()[i]).as("eigenvalue %d (%s)", i, la.name()).isCloseTo(expected[i], within(1e-10));
    }
    assertRebuildsSymmetric(sym.values(), e, 1e-10);
  }

  @ParameterizedTest
  @MethodSource("backends")
  void shouldMatchNumpySingularValuesOfTallAndWideMatrices(Linalg la) {
    for (String name : new String[] {"tall", "wide"}) {
      Reference.Array a = REF.get(name);
      double[] expected = REF.get(name + "_singular_values").values();
      int m = a.shape()[0];
      int n = a.shape()[1];
      Svd s = la.svd(a.values(), m, n);
      for (int i = 0; i < expected.length; i++) {
        // The Gram route resolves singular values to about sqrt(eps) * s0 near zero.
        assertThat(s.values()[i]).as("%s singular value %d (%s)", name, i, la.name())
            .isCloseTo(expected[i], within(1e-7 * expected[0]));
      }
      assertOrthonormalColumns(s.u(), m, s.p(), 1e-9);
      assertOrthonormalColumns(transpose(s.vt(), s.p(), n), n, s.p(), 1e-9);
      assertThat(maxAbsDiff(rebuild(s), a.values())).as("%s rebuild (%s)", name, la.name()).isLessThan(1e-9);
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void shouldAgreeWithJavaReferenceOnOddSizes(Linalg la) {
    long seed = 20261126L;
    Random rnd = new Random(seed);
    for (int n : new int[] {1, 2, 3, 17, 63, 101}) {
      double[] g = new double[n * (n + 3)];
      for (int i = 0; i < g.length; i++) {
        g[i] = rnd.nextGaussian();
      }
      double[] c = new double[n * n];
      Linalg.java().addGram(transpose(g, n, n + 3), n + 3, n, c);
      double[] c2 = new double[n * n];
      la.addGram(transpose(g, n, n + 3), n + 3, n, c2);
      assertThat(maxAbsDiff(c, c2)).as("Gram n=%d seed=%d", n, seed).isLessThan(1e-9);
      SymmetricEigen ref = Linalg.java().symmetricEigen(c, n);
      SymmetricEigen got = la.symmetricEigen(c, n);
      for (int i = 0; i < n; i++) {
        assertThat(got.values()[i]).as("n=%d eigenvalue %d seed=%d", n, i, seed)
            .isCloseTo(ref.values()[i], within(1e-9 * Math.max(1, ref.values()[0])));
      }
      assertOrthonormalColumns(got.vectors(), n, n, 1e-9);
      assertRebuildsSymmetric(c, got, 1e-9 * Math.max(1, ref.values()[0]));
    }
  }

  static void assertRebuildsSymmetric(double[] a, SymmetricEigen e, double tol) {
    int n = e.n();
    double[] r = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int k = 0; k < n; k++) {
          s += e.vectors()[i * n + k] * e.values()[k] * e.vectors()[j * n + k];
        }
        r[i * n + j] = s;
      }
    }
    assertThat(maxAbsDiff(r, a)).as("V diag(values) V^T rebuilds A").isLessThan(tol);
  }

  static void assertOrthonormalColumns(double[] u, int m, int p, double tol) {
    for (int a = 0; a < p; a++) {
      for (int b = a; b < p; b++) {
        double dot = 0;
        for (int i = 0; i < m; i++) {
          dot += u[i * p + a] * u[i * p + b];
        }
        assertThat(dot).as("column %d . column %d", a, b).isCloseTo(a == b ? 1 : 0, within(tol));
      }
    }
  }

  static double[] rebuild(Svd s) {
    int m = s.m();
    int n = s.n();
    int p = s.p();
    double[] r = new double[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double v = 0;
        for (int k = 0; k < p; k++) {
          v += s.u()[i * p + k] * s.values()[k] * s.vt()[k * n + j];
        }
        r[i * n + j] = v;
      }
    }
    return r;
  }

  static double[] transpose(double[] a, int m, int n) {
    double[] t = new double[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        t[j * m + i] = a[i * n + j];
      }
    }
    return t;
  }

  static double maxAbsDiff(double[] a, double[] b) {
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }
}
