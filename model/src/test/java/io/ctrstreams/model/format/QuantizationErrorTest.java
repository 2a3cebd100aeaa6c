package io.ctrstreams.model.format;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.Tensor;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Measures and bounds the error of the lossy dtypes on a realistic weight tensor (a 2000 x 16
 * embedding table, N(0, 0.05) with a few heavy-tailed rows) and prints the figures, so the
 * recompressor can weigh bytes against accuracy.
 */
class QuantizationErrorTest {
  private static final int ROWS = 2000;
  private static final int DIM = 16;

  @Test
  void shouldStayWithinDocumentedBoundsAndReportTheError() {
    Tensor original = embedding(42);
    ModelFile file = new ModelFile("q", 0, "{}", Map.of(), List.of(original), Map.of());
    int f32Bytes = CtrmFormat.toBytes(file).length;
    for (TensorDtype dtype : new TensorDtype[] {TensorDtype.FLOAT16, TensorDtype.INT8_ROW_SCALED}) {
      byte[] bytes = CtrmFormat.toBytes(file, WriteOptions.allAs(dtype));
      Tensor decoded = CtrmFormat.read(bytes).tensor("emb");
      CtrmFormatProperties.assertWithinBound(original, decoded, dtype);
      float[] x = original.data();
      float[] y = decoded.data();
      double maxAbs = 0;
      double sumSq = 0;
      double maxRel = 0;
      for (int i = 0; i < x.length; i++) {
        double e = Math.abs((double) y[i] - x[i]);
        maxAbs = Math.max(maxAbs, e);
        sumSq += e * e;
        if (Math.abs(x[i]) > 1e-3) {
          maxRel = Math.max(maxRel, e / Math.abs(x[i]));
        }
      }
      double rms = Math.sqrt(sumSq / x.length);
      System.out.printf(
          "%s on %dx%d N(0,0.05) embedding: file %d bytes (FLOAT32 %d, %.2fx smaller), "
              + "max abs error %.3e, RMS error %.3e, max rel error (|x|>1e-3) %.3e%n",
          dtype, ROWS, DIM, bytes.length, f32Bytes, (double) f32Bytes / bytes.length, maxAbs,
          rms, maxRel);
      if (dtype == TensorDtype.INT8_ROW_SCALED) {
        // uniform rounding noise: RMS ~ step / sqrt(12) per row (the row maximum itself is exact)
        double expectedSq = 0;
        for (int r = 0; r < ROWS; r++) {
          double step = rowMax(x, r) / 127.0;
          expectedSq += step * step / 12 * DIM;
        }
        double expectedRms = Math.sqrt(expectedSq / x.length);
        assertThat(rms / expectedRms).as("RMS vs step/sqrt(12)").isBetween(0.85, 1.05);
      } else {
        assertThat(maxRel).isLessThanOrEqualTo(0x1p-11);
      }
    }
  }

  private static Tensor embedding(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] data = new float[ROWS * DIM];
    for (int r = 0; r < ROWS; r++) {
      double tail = r % 100 == 0 ? 20 : 1; // a few rows with outliers, as hot ids have
      for (int j = 0; j < DIM; j++) {
        data[r * DIM + j] = (float) (gaussian(rnd) * 0.05 * (j == 0 ? tail : 1));
      }
    }
    return new Tensor("emb", new int[] {ROWS, DIM}, data);
  }

  private static double gaussian(SplittableRandom rnd) {
    // Box-Muller: SplittableRandom has no nextGaussian in Java 17
    return Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
  }

  private static double rowMax(float[] x, int r) {
    double m = 0;
    for (int j = r * DIM; j < (r + 1) * DIM; j++) {
      m = Math.max(m, Math.abs(x[j]));
    }
    return m;
  }
}
