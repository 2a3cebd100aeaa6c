package io.ctrstreams.loadtest;

import io.ctrstreams.bench.BenchModels;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.format.CtrmFormat;

/**
 * The models under load: the Criteo-shaped DNN of the JMH scorer benchmarks
 * ({@link BenchModels}: 13 numeric + 26 categorical fields, embedding dim 16, MLP 400-400-400),
 * dense, or low-rank with the bench module's {@code LowRankConfig} (embedding rank 4 folded
 * into the first layer, MLP ranks [0, 64, 64]). Reusing {@code BenchModels} keeps the kernel
 * ratios of BENCHMARKS.md section 1 and the end-to-end ratios of section 4 about the same pair.
 */
public final class LoadModels {
  /** Seed of every generated model (weights do not change the cost of scoring). */
  public static final long SEED = 42;

  private LoadModels() {}

  /** The spec of the dense or compressed benchmark model. */
  public static ModelSpec spec(boolean compressed) {
    return BenchModels.spec("DNN", compressed);
  }

  /** A seeded random model with the given version. */
  public static CtrModel model(boolean compressed, long version) {
    return CtrModel.random(spec(compressed), SEED).withVersion(version);
  }

  /** The .ctrm bytes of {@code model}, as a publisher sends them. */
  public static byte[] ctrm(CtrModel model) {
    return CtrmFormat.toBytes(model.toFile());
  }
}
