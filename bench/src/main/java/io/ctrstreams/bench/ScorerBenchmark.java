package io.ctrstreams.bench;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.Scorer;
import java.util.Random;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Scores one request (a context plus {@code batch} candidate ads) with the Criteo-shaped models
 * of {@link BenchModels}. One op = one request; ns per candidate = score / batch. Candidates
 * cycle through 64 pre-encoded pools so rows vary between ops.
 */
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "--add-modules=jdk.incubator.vector"})
public class ScorerBenchmark extends NsBenchmark {
  /** Architecture: DNN or DCNV2. */
  @Param({"DNN", "DCNV2"})
  public String arch;

  /** dense or lowrank (see {@link BenchModels}). */
  @Param({"dense", "lowrank"})
  public String variant;

  /** Candidates per request. */
  @Param({"1", "16", "256"})
  public int batch;

  /** optimized ({@code CtrModel.scorer()}) or reference. */
  @Param({"optimized"})
  public String scorer;

  private static final int POOLS = 8;

  private Scorer s;
  private FeatureVector[] contexts;
  private FeatureVector[][] pools;
  private float[] out;
  private int next;

  /** Builds the model and inputs and checks the optimized scorer against the reference. */
  @Setup(Level.Trial)
  public void setup() {
    CtrModel model = BenchModels.model(arch, "lowrank".equals(variant));
    s = "reference".equals(scorer) ? model.referenceScorer() : model.scorer();
    Random rnd = new Random(7);
    contexts = new FeatureVector[POOLS];
    pools = new FeatureVector[POOLS][batch];
    for (int p = 0; p < POOLS; p++) {
      contexts[p] = BenchModels.vector(model.spec(), rnd);
      for (int i = 0; i < batch; i++) {
        pools[p][i] = BenchModels.vector(model.spec(), rnd);
      }
    }
    out = new float[batch];
    float[] ref = new float[batch];
    model.scorer().scoreLogitsBatch(contexts[0], pools[0], batch, out);
    model.referenceScorer().scoreLogitsBatch(contexts[0], pools[0], batch, ref);
    for (int i = 0; i < batch; i++) {
      if (!(Math.abs(out[i] - ref[i]) <= 1e-4 * Math.max(1, Math.abs(ref[i])))) {
        throw new IllegalStateException(model.name() + ": optimized logit " + out[i] + " != reference " + ref[i]
            + " for candidate " + i);
      }
    }
  }

  /** Scores one request. */
  @Benchmark
  public void score(Blackhole bh) {
    bh.consume(scoreOnce());
  }

  /** Scores the next request (also used by {@link CpuTimeBench}); returns the pCTRs. */
  public float[] scoreOnce() {
    int p = next;
    next = (p + 1) & (POOLS - 1);
    s.scoreBatch(contexts[p], pools[p], batch, out);
    return out;
  }
}
