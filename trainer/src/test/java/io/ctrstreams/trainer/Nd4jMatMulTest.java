package io.ctrstreams.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.ctrstreams.model.internal.MatMul;
import io.ctrstreams.model.internal.MatMuls;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The row-major products of every provider (plain Java, the JVM's choice, ND4J) against scalar loops. */
class Nd4jMatMulTest {
  private static final MatMul[] PROVIDERS = {MatMuls.java(), MatMuls.get(), Nd4jMatMul.instance()};

  private static float[] rnd(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  private static void close(float[] a, float[] b, int k, String what) {
    for (int i = 0; i < a.length; i++) {
      assertThat(a[i]).as("%s [%d]", what, i).isCloseTo(b[i], within(1e-4f * (1 + k)));
    }
  }

  /** Scalar reference: y[n, m] += x[n, k] * b[k, m]. */
  private static void referenceMulAdd(float[] x, int n, int k, float[] b, int m, float[] y) {
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < m; j++) {
        double s = 0;
        for (int i = 0; i < k; i++) {
          s += (double) x[r * k + i] * b[i * m + j];
        }
        y[r * m + j] += (float) s;
      }
    }
  }

  /** out[c, r] = in[r, c]. */
  private static float[] transpose(float[] in, int rows, int cols) {
    float[] out = new float[in.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        out[c * rows + r] = in[r * cols + c];
      }
    }
    return out;
  }

  @Property(tries = 40)
  void shouldAgreeWithScalarReferenceOnOddSizes(@ForAll @IntRange(min = 1, max = 37) int n,
      @ForAll @IntRange(min = 1, max = 37) int k, @ForAll @IntRange(min = 1, max = 37) int m, @ForAll long seed) {
    Random r = new Random(seed);
    float[] x = rnd(r, n * k);
    float[] b = rnd(r, k * m);
    float[] y0 = rnd(r, n * m);
    float[] ref = y0.clone();
    referenceMulAdd(x, n, k, b, m, ref);
    // b viewed as w[m, k]^T: transposed for the TransB form.
    float[] w = transpose(b, k, m);
    float[] a = rnd(r, n * m);
    float[] g0 = rnd(r, m * k);
    float[] refT = g0.clone();
    referenceMulAdd(transpose(a, n, m), m, n, x, k, refT);
    for (MatMul g : PROVIDERS) {
      float[] y = y0.clone();
      g.mulAdd(x, n, k, b, m, y);
      close(y, ref, k, g.describe() + " mulAdd seed " + seed);
      float[] y2 = y0.clone();
      g.mulAddTransB(x, n, k, w, m, y2);
      close(y2, ref, k, g.describe() + " mulAddTransB seed " + seed);
      float[] y3 = g0.clone();
      g.mulAddTransA(a, n, m, x, k, y3);
      close(y3, refT, n, g.describe() + " mulAddTransA seed " + seed);
    }
  }
}
