package io.ctrstreams.recompressor.service;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.delta.DeltaApplier;
import io.ctrstreams.model.delta.DeltaEncoder;
import io.ctrstreams.model.delta.DeltaState;
import io.ctrstreams.model.delta.ExactDeltas;
import io.ctrstreams.model.delta.GroupScale;
import io.ctrstreams.model.delta.ModelDelta;
import io.ctrstreams.model.delta.ValueEncoding;
import io.ctrstreams.model.format.ModelFile;
import io.ctrstreams.recompressor.DeltaProjector;
import io.ctrstreams.recompressor.gate.LogitDiff;
import io.ctrstreams.recompressor.gate.QualityGate;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The recompressor's delta path between full refactorizations: it follows the full model's
 * chain from the keyframe a published student was compressed from ({@link DeltaApplier}: the
 * same chain rules as every consumer), projects each full delta onto the student's basis
 * ({@link DeltaProjector}) and turns it into the next link of the student's own exact chain
 * ({@link ExactDeltas}), based on the published version. At most once per fidelity interval it
 * compares the delta-updated student with the reconstructed full model on the calibration rows:
 * a mean |logit difference| above the gate's limit means the factorization no longer fits, and
 * the relay asks for a full refactorization instead of publishing. Not thread-safe: the service
 * thread owns it.
 *
 * <p>With a lossy {@link Encoding} the exact chain stays the relay's own truth {@code x} (the
 * projected student) and what scorers receive is an error-feedback chain on it ({@link
 * DeltaEncoder}, as the trainer's): each link sends the top {@code ratio} of {@code x - w} in the
 * encoding and moves {@code w}, what scorers hold, with their float operations; the rest stays in
 * the residual. The fidelity check then measures {@code w}, the model scorers actually serve.
 */
final class DeltaRelay {
  /** What {@link #accept} decided. */
  enum Status {
    /** Publish {@link Step#delta()} to scorers. */
    PUBLISH,
    /** Nothing to publish (a duplicate, another chain). */
    SKIP,
    /** The student no longer fits (unprojectable or fidelity): refactorize; this relay is done. */
    REFACTORIZE,
    /** The full chain broke here (gap, hash mismatch, malformed): resync or wait for a keyframe. */
    BROKEN
  }

  /** One decision, the delta to publish (PUBLISH) and why (REFACTORIZE, BROKEN). */
  record Step(Status status, ModelDelta delta, String reason) {}

  /** How the student's links are encoded for scorers. */
  record Encoding(ValueEncoding values, double ratio, GroupScale groupScale) {
    /** Every projected change, exactly (FP32). */
    static final Encoding EXACT = new Encoding(ValueEncoding.FP32, 1.0, GroupScale.BF16);

    Encoding {
      Objects.requireNonNull(values, "values");
      Objects.requireNonNull(groupScale, "groupScale");
      if (!(ratio > 0 && ratio <= 1)) {
        throw new IllegalArgumentException("relay top-k ratio must be in (0, 1], found " + ratio);
      }
    }

    boolean exact() {
      return values == ValueEncoding.FP32 && ratio >= 1.0;
    }
  }

  private final long publishedVersion;
  private final long fullVersion;
  private final ModelFile fullTemplate;
  private final DeltaApplier full = new DeltaApplier();
  private final ExactDeltas student;
  /** The chain scorers receive when it is lossy (null: {@link #student}'s exact links). */
  private final DeltaEncoder served;
  private final ModelFile studentFile;
  private final DeltaProjector projector;
  private final List<Map<String, Object>> calibration;
  private final double maxLogitDiff;
  private final long fidelityIntervalMs;
  private long lastCheckMs;
  private double lastFidelity = Double.NaN;
  private boolean done;

  /**
   * A relay for {@code publishedStudent} (published as {@code modelName} v{@code publishedVersion})
   * compressed from {@code fullKeyframe} (full v{@code fullVersion}).
   *
   * @param calibration rows for the fidelity check
   * @param maxLogitDiff the gate's mean |logit difference| limit
   */
  DeltaRelay(String modelName, long publishedVersion, CtrModel publishedStudent, long fullVersion,
      CtrModel fullKeyframe, List<Map<String, Object>> calibration, double maxLogitDiff, long fidelityIntervalMs,
      long nowMs) {
    this(modelName, publishedVersion, publishedStudent, fullVersion, fullKeyframe, calibration, maxLogitDiff,
        fidelityIntervalMs, nowMs, Encoding.EXACT);
  }

  /** As the other constructor, with the encoding of the links scorers receive. */
  DeltaRelay(String modelName, long publishedVersion, CtrModel publishedStudent, long fullVersion,
      CtrModel fullKeyframe, List<Map<String, Object>> calibration, double maxLogitDiff, long fidelityIntervalMs,
      long nowMs, Encoding encoding) {
    this.publishedVersion = publishedVersion;
    this.fullVersion = fullVersion;
    Objects.requireNonNull(publishedStudent, "publishedStudent");
    this.fullTemplate = fullKeyframe.toFile();
    this.full.keyframe(fullVersion, DeltaState.of(fullKeyframe));
    this.student = new ExactDeltas(modelName, publishedVersion, DeltaState.of(publishedStudent));
    this.studentFile = publishedStudent.toFile();
    this.served = encoding.exact() ? null : new DeltaEncoder(modelName, publishedVersion, studentFile, encoding.ratio(),
        encoding.values(), DeltaEncoder.Scope.MODEL, encoding.groupScale(), DeltaEncoder.Selection.RESIDUAL);
    this.projector = new DeltaProjector(fullKeyframe.spec(), publishedStudent);
    this.calibration = calibration;
    this.maxLogitDiff = maxLogitDiff;
    this.fidelityIntervalMs = fidelityIntervalMs;
    this.lastCheckMs = nowMs;
  }

  /** Takes the next record of the full chain. */
  Step accept(ModelDelta d, long nowMs) {
    if (done) {
      return new Step(Status.SKIP, null, "relay finished");
    }
    DeltaApplier.Outcome o = full.apply(d);
    switch (o) {
      case APPLIED:
        break;
      case DUPLICATE:
      case OLD_BASE:
      case UNKNOWN_BASE:
        return new Step(Status.SKIP, null, o.name());
      default:
        return new Step(Status.BROKEN, null, o.name().toLowerCase(java.util.Locale.ROOT) + " at sequence "
            + d.sequence() + " of full v" + d.baseVersion());
    }
    DeltaProjector.Result p = projector.project(d);
    if (!p.projected()) {
      done = true;
      return new Step(Status.REFACTORIZE, null, "delta of " + p.unprojectable() + " cannot be projected");
    }
    ModelDelta out = student.next(p.updates(), d.trainerStep(), d.examplesTrained(), d.createdAtMs());
    if (served != null) {
      out = served.next(student.state().toFile(studentFile), d.trainerStep(), d.examplesTrained(), d.createdAtMs());
    }
    if (nowMs - lastCheckMs >= fidelityIntervalMs && !calibration.isEmpty()) {
      lastCheckMs = nowMs;
      lastFidelity = fidelity();
      if (lastFidelity > maxLogitDiff) {
        done = true;
        return new Step(Status.REFACTORIZE, null, String.format(java.util.Locale.ROOT,
            "fidelity: mean |logit diff| %.4f > %.4f", lastFidelity, maxLogitDiff));
      }
    }
    return new Step(Status.PUBLISH, out, null);
  }

  /** Mean |logit difference| between the delta-updated student and the reconstructed full model. */
  double fidelity() {
    CtrModel s = CtrModel.fromFile(servedState().toFile(studentFile));
    CtrModel f = CtrModel.fromFile(full.state().toFile(fullTemplate));
    float[] a = QualityGate.logits(s, calibration);
    float[] b = QualityGate.logits(f, calibration);
    return LogitDiff.meanAbs(a, b, a.length);
  }

  /** The last fidelity measured (NaN before the first check). */
  double lastFidelity() {
    return lastFidelity;
  }

  long publishedVersion() {
    return publishedVersion;
  }

  long fullVersion() {
    return fullVersion;
  }

  /** Sequence of the last student delta made. */
  long sequence() {
    return served != null ? served.sequence() : student.sequence();
  }

  /** The student's weights as scorers hold them after the last delta (live). */
  DeltaState studentState() {
    return servedState();
  }

  /** The exact projected student (live): what a lossy chain converges to. */
  DeltaState exactStudentState() {
    return student.state();
  }

  private DeltaState servedState() {
    return served != null ? served.state() : student.state();
  }

  /** The reconstructed full weights (live). */
  DeltaState fullState() {
    return full.state();
  }
}
