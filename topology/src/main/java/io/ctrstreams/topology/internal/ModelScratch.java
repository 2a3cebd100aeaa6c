package io.ctrstreams.topology.internal;

import io.ctrstreams.model.Calibration;
import io.ctrstreams.model.FeatureEncoder;
import io.ctrstreams.model.Scorer;
import io.ctrstreams.serving.ServedModel;
import io.ctrstreams.topology.ImpressionFeatures;

/**
 * One thread's features and output buffers for one served model: built once per model (or delta)
 * a thread scores with, reused for every impression, so scoring allocates nothing per record.
 * Shared by the topology's scoring processor and {@code ctr serve}, so both score exactly alike
 * (pctr = the model's calibration map of the batch's logits). Not thread-safe.
 */
public final class ModelScratch {
  /** The model these buffers belong to. */
  public final ServedModel served;
  /** Its scorer. */
  public final Scorer scorer;
  /** The encoded impression (context and candidates). */
  public final ImpressionFeatures features;
  /** pCTR of each candidate of the last {@link #score}. */
  public final float[] pctr;
  /** Logit of each candidate of the last {@link #score}. */
  public final float[] logit;
  private final Calibration calibration;
  /** The live encoder {@link #sameEncoding} was checked against (shadow only). */
  private FeatureEncoder checkedAgainst;
  private boolean sameEncoding;

  /** Buffers for up to {@code maxCandidates} candidates. */
  public ModelScratch(ServedModel served, int maxCandidates) {
    this.served = served;
    this.scorer = served.scorer();
    this.features = new ImpressionFeatures(served.model().encoder(), maxCandidates);
    this.pctr = new float[maxCandidates];
    this.logit = new float[maxCandidates];
    this.calibration = served.model().calibration();
  }

  /**
   * Scores candidates [0, n) of {@code f}; fills logit[0..n) and pctr[0..n), the pCTR being the
   * model's calibration map of the logit, exactly what {@link Scorer#scoreBatch} returns.
   */
  public void score(ImpressionFeatures f, int n) {
    scorer.scoreLogitsBatch(f.context(), f.candidates(), n, logit);
    Calibration c = calibration;
    for (int i = 0; i < n; i++) {
      pctr[i] = c.apply(logit[i]);
    }
  }

  /** True when this (shadow) model can score {@code live}'s vectors as they are (cached per live encoder). */
  public boolean encodesLike(ModelScratch live) {
    FeatureEncoder enc = live.features.encoder();
    if (checkedAgainst != enc) {
      sameEncoding = features.encoder().encodesLike(enc);
      checkedAgainst = enc;
    }
    return sameEncoding;
  }
}
