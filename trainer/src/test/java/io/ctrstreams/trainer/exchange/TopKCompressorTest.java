package io.ctrstreams.trainer.exchange;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ctrstreams.model.delta.ValueEncoding;
import java.util.SplittableRandom;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Assumptions;
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

  @Test
  void shouldSelectWithoutAllocatingPerRound() {
    // the selection's buffers are the compressor's: a round allocates nothing (it used to copy the
    // scores and allocate the index array of every tensor, about 9 kB per round here)
    java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Assumptions.assumeTrue(mx instanceof com.sun.management.ThreadMXBean bean && bean.isThreadAllocatedMemorySupported()
        && bean.isThreadAllocatedMemoryEnabled(), "thread allocation counter not available");
    com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) mx;
    ParamLayout layout = ParamLayout.builder().add("w", 500, 1).add("t", 2000 * 8, 8).build();
    TopKCompressor c = new TopKCompressor(layout, 0.04, 0.1, ValueEncoding.FP16);
    SplittableRandom r = new SplittableRandom(3);
    float[] v = new float[layout.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    float[] out = new float[layout.size()];
    long bytes = 0;
    for (int i = 0; i < 5; i++) {
      bytes = c.compress(v, out); // warm-up
    }
    long tid = Thread.currentThread().getId();
    long before = bean.getThreadAllocatedBytes(tid);
    for (int i = 0; i < 50; i++) {
      c.compress(v, out);
    }
    long allocated = bean.getThreadAllocatedBytes(tid) - before;
    // the counter's own call may allocate a few bytes; one per-round array would be >= 50 x 2 kB
    assertTrue(allocated < 4096, "50 rounds allocated " + allocated + " bytes");
    // dense: 50 of 500 elements, table: 80 of 2000 rows
    assertEquals(50 * (4 + 2) + 80 * (4 + 8 * 2), bytes);
    assertEquals(0.04, c.contraction(), 1e-12);
  }
}
