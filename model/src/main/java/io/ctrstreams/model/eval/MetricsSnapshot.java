package io.ctrstreams.model.eval;

/**
 * Metrics of one window of predictions at one moment.
 *
 * @param auc bucketed AUC ({@link StreamingAuc}); NaN until both classes were seen
 * @param logloss exact mean clipped logloss; NaN when empty
 * @param calibration exact mean pCTR / observed CTR; NaN without positives
 * @param count predictions in the window
 * @param positives positive labels in the window
 */
public record MetricsSnapshot(double auc, double logloss, double calibration, long count, long positives) {

  /** Observed CTR of the window; NaN when empty. */
  public double ctr() {
    return count == 0 ? Double.NaN : (double) positives / count;
  }
}
