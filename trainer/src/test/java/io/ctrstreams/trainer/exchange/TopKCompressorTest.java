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
  void shouldSendDenseTensorsWholeInInt8BlocksAndTablesAsBefore() {
    // a dense tensor of 70 values: blocks of 32, 32 and 6, each its own bfloat16 scale; a table of 10 rows of 4
    ParamLayout layout = ParamLayout.builder().add("w", 70, 1).add("t", 40, 4).build();
    TopKCompressor c = new TopKCompressor(layout, 0.2, 1, ValueEncoding.FP16, ValueEncoding.INT8);
    TopKCompressor fp16 = new TopKCompressor(layout, 0.2, 1, ValueEncoding.FP16);
    SplittableRandom r = new SplittableRandom(11);
    float[] v = new float[110];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextGaussian() * (i < 32 ? 1e-3 : 2));
    }
    float[] out = new float[110];
    float[] ref = new float[110];
    long bytes = c.compress(v, out);
    long fp16Bytes = fp16.compress(v, ref);
    float[] block = new float[32];
    for (int b0 = 0; b0 < 70; b0 += 32) {
      int n = Math.min(32, 70 - b0);
      ValueEncoding.INT8.quantize(v, b0, n, block, 0);
      double norm = 0;
      double err = 0;
      for (int i = 0; i < n; i++) {
        assertEquals(block[i], out[b0 + i], 0f, "value " + (b0 + i));
        norm += (double) v[b0 + i] * v[b0 + i];
        err += (double) (v[b0 + i] - out[b0 + i]) * (v[b0 + i] - out[b0 + i]);
      }
      // |error| <= s/2 with s about max|v|/127: under 0.05% of the block's squared norm (0.06% with bf16's rounding)
      assertTrue(err <= 6e-4 * norm, "block " + b0 + ": " + err + " of " + norm);
    }
    for (int i = 70; i < 110; i++) {
      assertEquals(ref[i], out[i], 0f, "table value " + i); // the table part as without int8
    }
    // tables: 2 of 10 rows, each a 4-byte index and 4 fp16 values; w: 70 bytes and 3 scales, no index
    assertEquals(2 * (4 + 4 * 2) + 70 + 3 * 2, bytes);
    assertEquals(2 * (4 + 4 * 2) + 70 * (4 + 2), fp16Bytes);
    assertEquals(ValueEncoding.INT8, c.denseEncoding());
    assertEquals(ValueEncoding.FP16, fp16.denseEncoding());
  }

  @Test
  void shouldRefuseInt8DenseValuesUnlessTheDenseTensorsGoWhole() {
    ParamLayout layout = ParamLayout.builder().add("w", 70, 1).add("t", 40, 4).build();
    io.ctrstreams.trainer.TrainerException e = org.junit.jupiter.api.Assertions.assertThrows(
        io.ctrstreams.trainer.TrainerException.class,
        () -> new TopKCompressor(layout, 0.2, 0.5, ValueEncoding.FP16, ValueEncoding.INT8));
    assertTrue(e.getMessage().contains("dense ratio 0.5"), e.getMessage());
    e = org.junit.jupiter.api.Assertions.assertThrows(io.ctrstreams.trainer.TrainerException.class,
        () -> new TopKCompressor(layout, 0.2, 1, ValueEncoding.FP16, ValueEncoding.INT4));
    assertTrue(e.getMessage().contains("INT4"), e.getMessage());
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
