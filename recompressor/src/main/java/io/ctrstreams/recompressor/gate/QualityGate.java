package io.ctrstreams.recompressor.gate;

import io.ctrstreams.model.eval.BinaryMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Compares a compressed candidate with the full model on held-out labelled data and decides
 * whether the candidate may replace it.
 */
public final class QualityGate {
  private final GateThresholds thresholds;

  public QualityGate(GateThresholds thresholds) {
    this.thresholds = thresholds;
  }

  public GateThresholds thresholds() {
    return thresholds;
  }

  /**
   * Evaluates the gate.
   *
   * @param full the full model's probabilities
   * @param candidate the candidate's probabilities on the same rows
   * @param labels 0/1 labels
   * @param n rows
   */
  public GateReport evaluate(float[] full, float[] candidate, float[] labels, int n) {
    double aucF = BinaryMetrics.auc(full, labels, n);
    double aucC = BinaryMetrics.auc(candidate, labels, n);
    double llF = BinaryMetrics.logloss(full, labels, n);
    double llC = BinaryMetrics.logloss(candidate, labels, n);
    double calF = BinaryMetrics.calibration(full, labels, n);
    double calC = BinaryMetrics.calibration(candidate, labels, n);
    double logit = LogitDiff.meanAbs(full, candidate, n);
    List<String> failures = new ArrayList<>();
    double aucDrop = aucF - aucC;
    double llRise = llC - llF;
    double calShift = Math.abs(calC - calF);
    // NaN AUC (one class only) cannot be judged: treat as a failure rather than a silent pass.
    if (Double.isNaN(aucDrop) || aucDrop > thresholds.maxAucDrop()) {
      failures.add(String.format(Locale.ROOT, "AUC drop %.5f exceeds max AUC drop %.5f (full %.5f, candidate %.5f)",
          aucDrop, thresholds.maxAucDrop(), aucF, aucC));
    }
    if (llRise > thresholds.maxLoglossRise()) {
      failures.add(String.format(Locale.ROOT, "logloss rise %.5f exceeds max logloss rise %.5f (full %.5f, candidate %.5f)",
          llRise, thresholds.maxLoglossRise(), llF, llC));
    }
    if (calShift > thresholds.maxCalibrationShift()) {
      failures.add(String.format(Locale.ROOT, "calibration shift %.4f exceeds max calibration shift %.4f (full %.4f, candidate %.4f)",
          calShift, thresholds.maxCalibrationShift(), calF, calC));
    }
    if (logit > thresholds.maxMeanAbsLogitDiff()) {
      failures.add(String.format(Locale.ROOT, "mean |logit diff| %.4f exceeds max mean |logit diff| %.4f",
          logit, thresholds.maxMeanAbsLogitDiff()));
    }
    return new GateReport(n, aucF, aucC, llF, llC, calF, calC, logit, failures);
  }

  /**
   * Gate metrics and verdict.
   *
   * @param rows held-out rows evaluated
   * @param aucFull AUC of the full model
   * @param aucCandidate AUC of the candidate
   * @param loglossFull logloss of the full model
   * @param loglossCandidate logloss of the candidate
   * @param calibrationFull mean prediction / positive rate, full model
   * @param calibrationCandidate the same for the candidate
   * @param meanAbsLogitDiff mean |logit(full) - logit(candidate)|
   * @param failures one message per failed threshold, empty when the candidate passes
   */
  public record GateReport(
      int rows, double aucFull, double aucCandidate, double loglossFull, double loglossCandidate,
      double calibrationFull, double calibrationCandidate, double meanAbsLogitDiff, List<String> failures) {

    public GateReport {
      failures = List.copyOf(failures);
    }

    public boolean passed() {
      return failures.isEmpty();
    }

    public double aucDelta() {
      return aucCandidate - aucFull;
    }

    public double loglossDelta() {
      return loglossCandidate - loglossFull;
    }

    /** Multi-line human-readable summary. */
    public String format() {
      StringBuilder sb = new StringBuilder();
      sb.append(String.format(Locale.ROOT, "gate on %d held-out rows%n", rows));
      sb.append(String.format(Locale.ROOT, "  %-22s %10s %10s %10s%n", "metric", "full", "compressed", "delta"));
      sb.append(String.format(Locale.ROOT, "  %-22s %10.5f %10.5f %+10.5f%n", "AUC", aucFull, aucCandidate, aucDelta()));
      sb.append(String.format(Locale.ROOT, "  %-22s %10.5f %10.5f %+10.5f%n", "logloss", loglossFull, loglossCandidate, loglossDelta()));
      sb.append(String.format(Locale.ROOT, "  %-22s %10.4f %10.4f %+10.4f%n", "calibration (p/y)", calibrationFull,
          calibrationCandidate, calibrationCandidate - calibrationFull));
      sb.append(String.format(Locale.ROOT, "  %-22s %10s %10.5f%n", "mean |logit diff|", "", meanAbsLogitDiff));
      sb.append(passed() ? "  verdict: PASS" : "  verdict: REJECT");
      for (String f : failures) {
        sb.append(System.lineSeparator()).append("    - ").append(f);
      }
      return sb.toString();
    }
  }
}
