package io.ctrstreams.trainer.online;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureEncoder;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.trainer.Batch;
import io.ctrstreams.trainer.Features;
import io.ctrstreams.trainer.Trainer;
import io.ctrstreams.trainer.TrainerConfig;
import io.ctrstreams.trainer.data.RawRecord;
import java.util.Map;

/**
 * The backprop {@link Trainer} as an {@link OnlineLearner}: raw records are encoded with the
 * model's own encoder (the serving path's code) into a reused {@link Batch}; snapshots are
 * {@link Trainer#toModel} copies. Labels only (no teacher) — the continuous trainer learns from
 * outcomes; distillation belongs to the recompressor.
 */
public final class TrainerLearner implements OnlineLearner {
  private final Trainer trainer;
  private final FeatureEncoder encoder;
  private final FeatureVector scratch;
  private final Batch batch;
  private final String name;

  /** Wraps a trainer started from {@code init}. */
  public TrainerLearner(CtrModel init, TrainerConfig config) {
    this.trainer = new Trainer(init, config);
    this.encoder = init.encoder();
    this.scratch = encoder.newFeatureVector();
    this.batch = new Batch(init.spec().fieldCount(), config.batchSize());
    this.name = init.name();
  }

  /** A learner from random weights (seeded) for {@code spec}. */
  public static TrainerLearner fromScratch(ModelSpec spec, TrainerConfig config) {
    return new TrainerLearner(CtrModel.random(spec, config.seed()), config);
  }

  @Override
  public double train(RawRecord[] records, int n) {
    double sum = 0;
    int done = 0;
    while (done < n) {
      batch.clear();
      int m = Math.min(n - done, batch.capacity());
      for (int i = 0; i < m; i++) {
        RawRecord r = records[done + i];
        scratch.clear();
        Features.encode(encoder, r, scratch);
        batch.add(scratch, r.label, Float.NaN);
      }
      sum += trainer.step(batch) * m;
      done += m;
    }
    return sum / n;
  }

  @Override
  public CtrModel snapshot() {
    return trainer.toModel(name, 0, Map.of("trainer-steps", Long.toString(trainer.steps())));
  }

  /** The optimizer's mean squared gradient per value of tensor {@code name} ({@link Trainer#meanSquaredGradient}). */
  @Override
  public boolean meanSquaredGradient(String name, float[] out) {
    return trainer.meanSquaredGradient(name, out);
  }

  @Override
  public void close() {
    trainer.close();
  }
}
