package io.ctrstreams.recompressor.gate;

import io.ctrstreams.recompressor.RecompressorException;

/**
 * Limits a compressed candidate must meet against the full model. A limit of
 * {@code Double.POSITIVE_INFINITY} disables that check (the metric is still reported).
 *
 * @param maxAucDrop largest allowed {@code AUC(full) - AUC(candidate)}; default 0.005
 * @param maxLoglossRise largest allowed {@code logloss(candidate) - logloss(full)}; default 0.005
 * @param maxCalibrationShift largest allowed |calibration(candidate) - calibration(full)|, where
 *     calibration is mean prediction / positive rate; default off
 * @param maxMeanAbsLogitDiff largest allowed mean |logit difference| between the two; default off
 * @param maxCalibrationError largest allowed |calibration - 1| of the candidate's served pCTR (its
 *     logits through its own calibration map) on the holdout; default off
 */
public record GateThresholds(
    double maxAucDrop, double maxLoglossRise, double maxCalibrationShift, double maxMeanAbsLogitDiff,
    double maxCalibrationError) {

  /** Without the calibration-error check. */
  public GateThresholds(double maxAucDrop, double maxLoglossRise, double maxCalibrationShift,
      double maxMeanAbsLogitDiff) {
    this(maxAucDrop, maxLoglossRise, maxCalibrationShift, maxMeanAbsLogitDiff, Double.POSITIVE_INFINITY);
  }

  /** Validates: every limit is >= 0 (infinity allowed). */
  public GateThresholds {
    check("max calibration error", maxCalibrationError);
    check("max AUC drop", maxAucDrop);
    check("max logloss rise", maxLoglossRise);
    check("max calibration shift", maxCalibrationShift);
    check("max mean |logit diff|", maxMeanAbsLogitDiff);
  }

  /** AUC drop <= 0.005, logloss rise <= 0.005, calibration and logit checks off. */
  public static GateThresholds defaults() {
    return new GateThresholds(0.005, 0.005, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY);
  }

  private static void check(String name, double v) {
    if (!(v >= 0)) {
      throw new RecompressorException(name + " must be >= 0, found " + v);
    }
  }
}
