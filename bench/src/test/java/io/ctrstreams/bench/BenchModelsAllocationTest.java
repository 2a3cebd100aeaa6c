package io.ctrstreams.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.Scorer;
import io.ctrstreams.model.internal.MatMuls;
import java.lang.management.ManagementFactory;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The scorer allocates nothing per candidate in steady state on the benchmark models (Criteo
 * shape, DNN and DCN-V2, dense and low-rank, batch 1 / 16 / 256): the shapes where the kernels'
 * large register tiles run, and where C2 once boxed a 6x4 tile's vectors (BENCHMARKS.md 1e). The
 * pattern of the model core's {@code ScorerAllocationTest}, on these models.
 */
class BenchModelsAllocationTest {

  @Test
  void scorerShouldNotAllocatePerCandidateOnTheBenchmarkModels() {
    java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "no thread allocation counter on this JVM");
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
    long tid = Thread.currentThread().getId();
    Random rnd = new Random(11);
    for (String arch : new String[] {"DNN", "DCNV2"}) {
      for (boolean lowRank : new boolean[] {false, true}) {
        CtrModel model = BenchModels.model(arch, lowRank);
        Scorer s = model.scorer();
        FeatureVector ctx = BenchModels.vector(model.spec(), rnd);
        FeatureVector[] cands = new FeatureVector[256];
        for (int i = 0; i < cands.length; i++) {
          cands[i] = BenchModels.vector(model.spec(), rnd);
        }
        float[] out = new float[256];
        int[] batches = {1, 16, 256};
        for (int i = 0; i < 3000; i++) { // warm up: C2 compiles the kernels (Vector API code boxes before)
          s.scoreBatch(ctx, cands, batches[i % 3], out);
        }
        // the first round without allocation passes; 40 rounds that all allocate fail
        long allocated = Long.MAX_VALUE;
        for (int round = 0; round < 40 && allocated >= 1024; round++) {
          long before = mx.getThreadAllocatedBytes(tid);
          for (int i = 0; i < 300; i++) {
            s.scoreBatch(ctx, cands, batches[i % 3], out);
          }
          allocated = mx.getThreadAllocatedBytes(tid) - before;
        }
        // 27,300 candidates per round
        assertThat(allocated).as("%s %s (%s): bytes allocated for 27,300 candidates", arch,
            lowRank ? "low-rank" : "dense", MatMuls.describe()).isLessThan(1024);
      }
    }
  }
}
