package io.ctrstreams.trainer.online;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.eval.BinaryMetrics;
import io.ctrstreams.trainer.Features;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.SyntheticStream;

/**
 * Held-out quality on the synthetic stream: its rows from 0, which the demo traffic sends and the
 * online trainer never trains on (it starts at {@link OnlineTrainers#SYNTHETIC_TRAINING_START_ROW}).
 */
public final class HeldOut {
  private HeldOut() {}

  /** AUC of {@code m} on the first {@code rows} rows of the synthetic stream of {@code seed}. */
  public static double auc(CtrModel m, long seed, int rows) {
    SyntheticStream s = new SyntheticStream(seed);
    RawRecord r = s.schema().newRecord();
    FeatureVector v = m.encoder().newFeatureVector();
    float[] p = new float[rows];
    float[] y = new float[rows];
    for (int i = 0; i < rows; i++) {
      s.nextInto(r);
      v.clear();
      Features.encode(m.encoder(), r, v);
      p[i] = m.scorer().score(v, v);
      y[i] = r.label;
    }
    return BinaryMetrics.auc(p, y, rows);
  }
}
