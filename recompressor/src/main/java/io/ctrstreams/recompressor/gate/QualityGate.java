package io.ctrstreams.recompressor.gate;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.Scorer;
import io.ctrstreams.model.eval.BinaryMetrics;
import io.ctrstreams.recompressor.RecompressorException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Compares a compressed candidate with the full model and decides whether it may replace it: on
 * held-out labelled data when there is enough of it ({@link #evaluate}), otherwise, unless the
 * holdout is required, on fidelity to the full model over unlabelled calibration rows (mean
 * |logit difference|): before any model served, nothing is labelled yet. {@link #judge} makes the
 * whole decision.
 */
public final class QualityGate {
  private final GateThresholds thresholds;
  private final int holdoutMinRows;
  private final boolean requireHoldout;

  /** A gate that judges on any non-empty holdout and never falls back to fidelity. */
  public QualityGate(GateThresholds thresholds) {
    this(thresholds, 1, true);
  }

  /**
   * A gate.
   *
   * @param holdoutMinRows labelled rows needed to judge on the holdout, >= 1
   * @param requireHoldout reject when the holdout is smaller, instead of judging on fidelity
   */
  public QualityGate(GateThresholds thresholds, int holdoutMinRows, boolean requireHoldout) {
    if (holdoutMinRows < 1) {
      throw new RecompressorException("holdout min rows must be >= 1, found " + holdoutMinRows);
    }
    this.thresholds = Objects.requireNonNull(thresholds, "thresholds");
    this.holdoutMinRows = holdoutMinRows;
    this.requireHoldout = requireHoldout;
  }

  /**
   * A gate decision with a one-line summary.
   *
   * @param passed whether the candidate may be published
   * @param summary metrics and, when rejected, why
   * @param candidateLogloss the candidate's holdout logloss, NaN when not judged on the holdout
   * @param withoutAuc judged on a holdout of one class, where AUC is undefined (logloss,
   *     calibration and fidelity only)
   */
  public record Verdict(boolean passed, String summary, double candidateLogloss, boolean withoutAuc) {
    Verdict(boolean passed, String summary, double candidateLogloss) {
      this(passed, summary, candidateLogloss, false);
    }
  }

  /**
   * The whole decision on raw rows (field name to String or Number, encoded by each model).
   *
   * @param holdout labelled rows
   * @param labels 0/1 label of each holdout row
   * @param calibration unlabelled rows for the fidelity-only fallback
   */
  public Verdict judge(CtrModel full, CtrModel candidate, List<Map<String, Object>> holdout, float[] labels,
      List<Map<String, Object>> calibration) {
    int n = holdout.size();
    if (n >= holdoutMinRows) {
      GateReport r = evaluate(probabilities(full, holdout), probabilities(candidate, holdout), labels, n);
      // AUC, logloss and the shift compare the raw logits (sigmoid) of both models; the served
      // pCTR of the candidate goes through its calibration map, checked against the observed rate
      double served = servedCalibration(candidate, holdout, labels, n);
      List<String> failures = new ArrayList<>(r.failures());
      // checked for a candidate that carries a map (the production pipeline refits one on this
      // holdout whenever it has both classes); NaN (no positives) is not judged
      boolean mapped = candidate.calibration().kind() != io.ctrstreams.model.Calibration.Kind.NONE;
      if (mapped && Math.abs(served - 1) > thresholds.maxCalibrationError()) {
        failures.add(String.format(Locale.ROOT, "calibration of the served pCTR %.4f is off 1 by more than max calibration"
            + " error %.4f (map %s)", served, thresholds.maxCalibrationError(), candidate.calibration()));
      }
      boolean passed = failures.isEmpty();
      String s = String.format(Locale.ROOT, "holdout n=%d auc %.4f->%.4f logloss %.4f->%.4f served calibration %.4f"
          + " |dlogit| %.4f%s",
          n, r.aucFull(), r.aucCandidate(), r.loglossFull(), r.loglossCandidate(), served, r.meanAbsLogitDiff(),
          passed ? (r.aucUndefined() ? " (one class: accepted without AUC)" : "")
              : " FAILED: " + String.join("; ", failures));
      return new Verdict(passed, s, r.loglossCandidate(), r.aucUndefined());
    }
    if (requireHoldout) {
      return new Verdict(false, "holdout has " + n + " rows, gate.require.holdout needs " + holdoutMinRows, Double.NaN);
    }
    if (calibration.isEmpty()) {
      return new Verdict(false, "no calibration rows and only " + n + " holdout rows: nothing to judge the candidate on",
          Double.NaN);
    }
    float[] lf = logits(full, calibration);
    float[] lc = logits(candidate, calibration);
    double diff = 0;
    for (int i = 0; i < lf.length; i++) {
      diff += Math.abs(lf[i] - lc[i]);
    }
    diff /= lf.length;
    boolean ok = diff <= thresholds.maxMeanAbsLogitDiff();
    String s = String.format(Locale.ROOT, "fidelity-only (holdout n=%d < %d) on %d calibration rows: |dlogit| %.4f%s",
        n, holdoutMinRows, lf.length, diff,
        ok ? "" : String.format(Locale.ROOT, " FAILED: exceeds max mean |logit diff| %.4f",
            thresholds.maxMeanAbsLogitDiff()));
    return new Verdict(ok, s, Double.NaN);
  }

  /**
   * Mean served pCTR (the model's logits through its calibration map) over the observed rate of
   * the first n rows; NaN without positives (then not checked, as AUC with one class).
   */
  public static double servedCalibration(CtrModel model, List<Map<String, Object>> rows, float[] labels, int n) {
    float[] z = logits(model, rows);
    float[] p = new float[n];
    for (int i = 0; i < n; i++) {
      p[i] = model.calibration().apply(z[i]);
    }
    return BinaryMetrics.calibration(p, labels, n);
  }

  /** sigmoid(logit) of each raw row (the raw pCTR, without the model's calibration map). */
  public static float[] probabilities(CtrModel model, List<Map<String, Object>> rows) {
    float[] out = logits(model, rows);
    for (int i = 0; i < out.length; i++) {
      out[i] = Scorer.sigmoid(out[i]);
    }
    return out;
  }

  /** Logit of each raw row (context and candidate fields encoded into one vector). */
  public static float[] logits(CtrModel model, List<Map<String, Object>> rows) {
    Scorer s = model.scorer();
    FeatureVector v = model.encoder().newFeatureVector();
    float[] out = new float[rows.size()];
    for (int i = 0; i < out.length; i++) {
      v.clear();
      model.encoder().encode(rows.get(i), v);
      out[i] = s.scoreLogit(v, v);
    }
    return out;
  }

  /** The limits a candidate must meet. */
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
    // NaN AUC (a holdout of one class, e.g. during a click outage) cannot be judged: the other
    // checks decide, and the report says so (GateReport.aucUndefined) instead of passing silently.
    if (aucDrop > thresholds.maxAucDrop()) {
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

    /** Whether AUC is undefined (the rows have one class only) and so did not take part. */
    public boolean aucUndefined() {
      return Double.isNaN(aucFull) || Double.isNaN(aucCandidate);
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
