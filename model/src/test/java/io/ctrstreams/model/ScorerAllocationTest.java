package io.ctrstreams.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Steady-state scoring allocates nothing per candidate (checked with the thread allocation counter). */
class ScorerAllocationTest {

  @Test
  void shouldNotAllocatePerCandidateInSteadyState() {
    java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "no thread allocation counter on this JVM");
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
    Random rnd = new Random(42);
    for (Architecture arch : Architecture.values()) {
      ModelSpec spec = TestSpecs.small().architecture(arch)
          .fields(TestSpecs.small().build().fields().stream().map(f -> f.withEmbeddingDim(4)).toList())
          .crossLayers(arch == Architecture.DCNV2 ? 2 : 0).build();
      CtrModel m = CtrModel.random(spec, 1);
      FeatureVector ctx = ScorerAgreementProperties.randomVector(spec, rnd);
      FeatureVector[] cands = new FeatureVector[40];
      for (int i = 0; i < cands.length; i++) {
        cands[i] = ScorerAgreementProperties.randomVector(spec, rnd);
      }
      float[] out = new float[40];
      for (Scorer s : new Scorer[] {m.scorer(), m.referenceScorer()}) {
        for (int i = 0; i < 2000; i++) { // warm up (JIT, ThreadLocal scratch)
          s.scoreBatch(ctx, cands, 40, out);
          s.score(ctx, cands[i % 40]);
        }
        // Steady state means compiled code: until C2 has compiled the kernels (Vector API code
        // boxes its vectors in the interpreter and C1), a round may allocate; the first round
        // without allocation passes, and 30 rounds that all allocate fail.
        long tid = Thread.currentThread().getId();
        long allocated = Long.MAX_VALUE;
        for (int round = 0; round < 30 && allocated >= 1024; round++) {
          long before = mx.getThreadAllocatedBytes(tid);
          for (int i = 0; i < 1000; i++) {
            s.scoreBatch(ctx, cands, 40, out);
            s.score(ctx, cands[i % 40]);
          }
          allocated = mx.getThreadAllocatedBytes(tid) - before;
        }
        // 41,000 candidates scored per round; allow a few hundred bytes of measurement noise
        assertThat(allocated).as("%s %s bytes allocated for 41,000 candidates", arch, s.getClass().getSimpleName())
            .isLessThan(1024);
      }
    }
  }
}
