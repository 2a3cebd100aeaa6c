package io.ctrstreams.model;

/**
 * Scores candidate ads for one request with a {@link CtrModel}. Obtain one with {@link
 * CtrModel#scorer()} (optimized) or {@link CtrModel#referenceScorer()} (scalar, obviously correct).
 *
 * <p>Thread-safe: implementations keep their scratch buffers per thread (a {@link ThreadLocal},
 * allocated on a thread's first call; Kafka Streams threads are long-lived), so steady-state
 * scoring allocates nothing per candidate. Inputs are validated on every call (vector sizes, row
 * indices within each table, finite SCALED values, batch sizes versus array lengths) and bad
 * input throws {@link CtrModelException} naming the field and value.
 *
 * <p>A {@code context} vector supplies the CONTEXT fields, a {@code candidate} vector the
 * CANDIDATE fields; the other entries of each are ignored.
 */
public interface Scorer {

  /** The model this scorer runs. */
  CtrModel model();

  /** The logit (pre-sigmoid score) of one candidate. */
  float scoreLogit(FeatureVector context, FeatureVector candidate);

  /**
   * Logits of {@code candidates[0 .. n)} sharing {@code context}: {@code out[i]} = logit of
   * candidate i.
   *
   * @throws CtrModelException if {@code n < 0}, {@code n > candidates.length}, {@code n >
   *     out.length} or a candidate is null
   */
  void scoreLogitsBatch(FeatureVector context, FeatureVector[] candidates, int n, float[] out);

  /**
   * pCTR of one candidate: the model's {@link CtrModel#calibration() calibration map} of {@code
   * scoreLogit(...)} ({@code sigmoid(logit)} for an uncalibrated model). Logits stay raw.
   */
  default float score(FeatureVector context, FeatureVector candidate) {
    return model().calibration().apply(scoreLogit(context, candidate));
  }

  /** pCTRs of {@code candidates[0 .. n)}: {@code out[i]} = the calibration map of logit i (see {@link #score}). */
  default void scoreBatch(FeatureVector context, FeatureVector[] candidates, int n, float[] out) {
    scoreLogitsBatch(context, candidates, n, out);
    Calibration c = model().calibration();
    for (int i = 0; i < n; i++) {
      out[i] = c.apply(out[i]);
    }
  }

  /** The logistic function, computed without overflow for large |x|. */
  static float sigmoid(float x) {
    if (x >= 0) {
      return (float) (1.0 / (1.0 + Math.exp(-x)));
    }
    double e = Math.exp(x);
    return (float) (e / (1.0 + e));
  }
}
