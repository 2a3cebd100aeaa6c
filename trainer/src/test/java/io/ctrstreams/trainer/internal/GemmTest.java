package io.ctrstreams.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class GemmTest {
  private static final GemmBackend ND4J = new Nd4jGemm();

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

  @Property(tries = 40)
  void shouldAgreeWithScalarReferenceOnOddSizes(@ForAll @IntRange(min = 1, max = 37) int n,
      @ForAll @IntRange(min = 1, max = 37) int k, @ForAll @IntRange(min = 1, max = 37) int m, @ForAll long seed) {
    Random r = new Random(seed);
    float[] x = rnd(r, n * k);
    float[] b = rnd(r, k * m);
    float[] y0 = rnd(r, n * m);
    float[] ref = y0.clone();
    Gemm.referenceMulAdd(x, n, k, b, m, ref);
    for (GemmBackend g : new GemmBackend[] {GemmBackend.java(), ND4J}) {
      float[] y = y0.clone();
      g.mulAdd(x, n, k, b, m, y);
      close(y, ref, k, "mulAdd seed " + seed);
      // b viewed as w[m, k]^T: transpose it for the TransB form.
      float[] w = new float[m * k];
      Gemm.transpose(b, k, m, w);
      float[] y2 = y0.clone();
      g.mulAddTransB(x, n, k, w, m, y2);
      close(y2, ref, k, "mulAddTransB seed " + seed);
    }
    float[] a = rnd(r, n * m);
    float[] g0 = rnd(r, m * k);
    float[] refT = g0.clone();
    Gemm.referenceMulAddTransA(a, n, m, x, k, refT);
    for (GemmBackend g : new GemmBackend[] {GemmBackend.java(), ND4J}) {
      float[] y = g0.clone();
      g.mulAddTransA(a, n, m, x, k, y);
      close(y, refT, n, "mulAddTransA seed " + seed);
    }
  }
}
