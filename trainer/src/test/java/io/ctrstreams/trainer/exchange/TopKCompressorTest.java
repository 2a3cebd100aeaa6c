package io.ctrstreams.trainer.exchange;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ctrstreams.model.delta.ValueEncoding;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TopKCompressorTest {

  @Test
  void shouldPickLargestElementsOfDenseTensorsAndWholeRowsOfTables() {
    ParamLayout layout = ParamLayout.builder().add("w", 4, 1).add("table", 6, 2).build();
    TopKCompressor c = new TopKCompressor(layout, 0.5, ValueEncoding.FP32);
    float[] v = {1, -5, 3, 0.5f, /* table rows: */ 1, 1, 0, 3, 0.1f, 0.1f};
    float[] out = new float[10];
    long bytes = c.compress(v, out);
    // w: k = 2 of 4 -> -5 and 3; table: k = ceil(1.5) = 2 of 3 rows -> rows 0 (norm^2 2) and 1 (9)
    assertArrayEquals(new float[] {0, -5, 3, 0, 1, 1, 0, 3, 0, 0}, out, 0f);
    assertEquals(2 * (4 + 4) + 2 * (4 + 2 * 4), bytes);
    assertEquals(0.5, c.contraction(), 1e-12);
    assertEquals(40, c.denseBytes());
  }

  @Test
  void shouldRoundToHalfAndClampAndContract() {
    ParamLayout layout = ParamLayout.builder().add("w", 100, 1).add("t", 200, 4).build();
    TopKCompressor c = new TopKCompressor(layout, 0.1, ValueEncoding.FP16);
    SplittableRandom r = new SplittableRandom(7);
    float[] v = new float[300];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextGaussian() * 3);
    }
    v[5] = 1e6f;
    float[] out = new float[300];
    c.compress(v, out);
    assertEquals(65504f, out[5]);
    double before = 0;
    double after = 0;
    for (int i = 0; i < v.length; i++) {
      if (i == 5) {
        continue;
      }
      before += (double) v[i] * v[i];
      after += (double) (v[i] - out[i]) * (v[i] - out[i]);
      assertTrue(out[i] == 0 || out[i] == ValueEncoding.FP16.round(v[i]), "value " + i);
    }
    assertTrue(after <= (1 - 0.1) * before, "contraction: " + after + " vs " + before);
  }
}
