package io.ctrstreams.trainer.online;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.eval.BinaryMetrics;
import io.ctrstreams.trainer.Features;
import io.ctrstreams.trainer.TrainerException;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.RawSchema;
import java.util.Locale;

/**
 * The continuous trainer's holdout window and publish guard (issue 19: the online counterpart of
 * early stopping). Every {@code holdout.every}-th example the source returns is held out: never
 * trained on, copied into a ring of the latest {@code holdout.rows} held-out examples. Before a
 * snapshot is published, {@link #check} scores it and the last published snapshot on the
 * <i>same</i> window (a paired comparison, so drift of the stream between the two snapshots does
 * not count against the new one) and refuses it when its log loss is higher by more than {@code
 * publish.max.holdout.logloss.increase}, or is not a number (diverged weights).
 *
 * <p>Always published: the first snapshot of a trainer instance when it has no reference (a
 * trainer resuming from the newest snapshot on the topic takes that one as its reference, {@link
 * #reference}), and any snapshot while the window holds fewer than {@code holdout.min.rows} rows
 * (after a restart the window starts empty). With {@code holdout.every = 0} nothing is held out and
 * every snapshot is published, as before the guard existed.
 *
 * <p>The guard keeps the last published snapshot in memory (one more copy of the model). It does
 * not roll the learner back: a refused learner keeps training, and each later snapshot is judged
 * against the last published one again. Called from the trainer thread only.
 */
public final class HoldoutGuard {
  /** Reason label of the refusals counted by this guard. */
  public static final String REASON_HOLDOUT_LOGLOSS = "holdout_logloss";

  private final int every;
  private final OnlineTrainerMetrics metrics;
  private final int minRows;
  private final double maxIncrease;
  private final RawRecord[] window;
  private final float[] p;
  private final float[] y;
  private int size;
  private int next;
  private long seen;
  private CtrModel published;
  private double publishedLoss = Double.NaN;

  /**
   * The outcome of one check.
   *
   * @param publish whether the snapshot may be published
   * @param logloss the snapshot's holdout log loss (NaN when there was no window to score)
   * @param publishedLogloss the last published snapshot's log loss on the same window (NaN
   *     without one)
   * @param rows the window's rows
   */
  public record Decision(boolean publish, double logloss, double publishedLogloss, int rows) {
    /** Log loss increase over the published snapshot (NaN when either is unknown). */
    public double increase() {
      return logloss - publishedLogloss;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "holdout logloss %.5f vs published %.5f (%+.5f) on %d rows", logloss,
          publishedLogloss, increase(), rows);
    }
  }

  /**
   * @param every hold out every {@code every}-th example; 0 = none (no guard); 1 is refused (nothing would be trained)
   * @param rows window capacity
   * @param minRows rows the window needs before the guard refuses anything
   * @param maxIncrease largest allowed holdout log loss increase over the last published snapshot
   * @param metrics where held-out examples, holdout log losses and refusals are counted
   */
  public HoldoutGuard(RawSchema schema, int every, int rows, int minRows, double maxIncrease,
      OnlineTrainerMetrics metrics) {
    if (every < 0 || every == 1 || rows < 1 || minRows < 1 || !(maxIncrease >= 0) || Double.isInfinite(maxIncrease)) {
      throw new TrainerException("holdout guard needs every = 0 or >= 2, rows >= 1, min rows >= 1 and a finite "
          + "increase >= 0, found every=" + every + " rows=" + rows + " minRows=" + minRows + " increase="
          + maxIncrease);
    }
    this.every = every;
    this.metrics = java.util.Objects.requireNonNull(metrics, "metrics");
    this.minRows = minRows;
    this.maxIncrease = maxIncrease;
    int cap = every == 0 ? 0 : rows;
    this.window = new RawRecord[cap];
    for (int i = 0; i < cap; i++) {
      window[i] = schema.newRecord();
    }
    this.p = new float[cap];
    this.y = new float[cap];
  }

  /** The guard of {@code config} for records of {@code schema}. */
  public static HoldoutGuard of(OnlineTrainerConfig config, RawSchema schema, OnlineTrainerMetrics metrics) {
    return new HoldoutGuard(schema, config.holdoutEvery(), config.holdoutRows(), config.holdoutMinRows(),
        config.publishMaxHoldoutLoglossIncrease(), metrics);
  }

  /** Whether anything is held out. */
  public boolean enabled() {
    return every > 0;
  }

  /**
   * Moves the held-out examples of {@code batch[0 .. n)} into the window and the others, in
   * order, to the front of {@code batch} (records are swapped, none allocated).
   *
   * @return how many examples are left to train on, in {@code batch[0 .. returned)}
   */
  public int split(RawRecord[] batch, int n) {
    if (every == 0) {
      return n;
    }
    int kept = 0;
    for (int i = 0; i < n; i++) {
      if (++seen % every == 0) {
        window[next].copyFrom(batch[i]);
        next = next + 1 == window.length ? 0 : next + 1;
        size = Math.min(size + 1, window.length);
      } else {
        if (kept != i) {
          RawRecord t = batch[kept];
          batch[kept] = batch[i];
          batch[i] = t;
        }
        kept++;
      }
    }
    if (kept < n) {
      metrics.heldOut(n - kept);
    }
    return kept;
  }

  /** Rows in the window. */
  public int rows() {
    return size;
  }

  /** Holdout log loss of the last published snapshot when it was checked (NaN before one). */
  public double publishedLogloss() {
    return publishedLoss;
  }

  /**
   * Whether {@code snapshot} may be published (see the class comment); a refusal is counted in
   * {@code ctr_trainer_snapshots_refused_total{reason="holdout_logloss"}}. Does not record the
   * snapshot as published ({@link #published}).
   */
  public Decision check(CtrModel snapshot) {
    if (every == 0 || size == 0) {
      return new Decision(true, Double.NaN, Double.NaN, size);
    }
    double loss = logloss(snapshot);
    metrics.holdoutLogloss(loss);
    if (published == null) {
      return new Decision(true, loss, Double.NaN, size);
    }
    double ref = logloss(published);
    // NaN (diverged weights) is refused: NaN <= x is false
    boolean publish = size < minRows || loss - ref <= maxIncrease;
    if (!publish) {
      metrics.refused(REASON_HOLDOUT_LOGLOSS);
    }
    return new Decision(publish, loss, ref, size);
  }

  /** Records {@code snapshot} as the last published one (the reference of the next checks). */
  public void published(CtrModel snapshot, Decision d) {
    if (every > 0) {
      published = snapshot;
      publishedLoss = d.logloss();
    }
  }

  /**
   * Takes {@code previous} (a snapshot published before this guard existed, e.g. the one a
   * restarted trainer resumes from) as the reference of the next checks.
   */
  public void reference(CtrModel previous) {
    if (every > 0) {
      published = java.util.Objects.requireNonNull(previous, "previous");
      publishedLoss = Double.NaN;
    }
  }

  /**
   * Mean clipped log loss of {@code m}'s pCTR (its calibration map applied, as served) on the
   * window; NaN if any pCTR is not a number.
   */
  double logloss(CtrModel m) {
    FeatureVector v = m.encoder().newFeatureVector();
    for (int i = 0; i < size; i++) {
      v.clear();
      Features.encode(m.encoder(), window[i], v);
      p[i] = m.scorer().score(v, v);
      y[i] = window[i].label;
      if (Float.isNaN(p[i])) {
        return Double.NaN;
      }
    }
    return BinaryMetrics.logloss(p, y, size);
  }
}
