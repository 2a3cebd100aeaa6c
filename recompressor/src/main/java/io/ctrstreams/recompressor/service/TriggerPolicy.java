package io.ctrstreams.recompressor.service;

import java.time.Clock;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When the recompressor runs, decided without Kafka or RocksDB so it can be tested on a fixed
 * {@link Clock}: the service loop reports what arrived and asks {@link #next} for the run due now.
 *
 * <ul>
 *   <li><b>snapshot</b>: a full snapshot newer than the last finished one is stored;
 *   <li><b>age</b>: the last accepted publish is older than {@code trigger.max.age.ms};
 *   <li><b>drift</b>: the served logloss of the published version (over at least
 *       {@code holdout.min.rows} labelled examples) exceeds the logloss the candidate had at its
 *       gate by more than {@code trigger.drift.logloss}.
 * </ul>
 *
 * Age and drift rerun the stored snapshot at most once per {@code trigger.min.interval.ms}.
 * Nothing runs before {@code calibration.min.impressions} impressions were sampled: compressing
 * against no traffic would fail (AFM) or be blind (SVD), so a snapshot stays pending until then.
 * Not thread-safe: the service thread owns it.
 */
final class TriggerPolicy {
  private static final Logger LOG = LoggerFactory.getLogger(TriggerPolicy.class);

  /** A run due now: why ({@code snapshot}, {@code age}, {@code drift}) and of which full version. */
  record Run(String trigger, long fullVersion) {}

  private final Clock clock;
  private final String servedModel;
  private final long minImpressions;
  private final long minIntervalMs;
  private final long maxAgeMs;
  private final double driftLogloss;
  private final long driftMinRows;
  private long pendingFullVersion = -1;
  private String requested;
  private boolean waitingLogged;
  private long lastTriggeredRunMs;
  private long driftVersion = -1;
  private double driftLoglossSum;
  private long driftCount;

  /** A policy; 0 turns age ({@code maxAgeMs}) or drift ({@code driftLogloss}) off. */
  TriggerPolicy(Clock clock, String servedModel, long minImpressions, long minIntervalMs, long maxAgeMs,
      double driftLogloss, long driftMinRows) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.servedModel = Objects.requireNonNull(servedModel, "servedModel");
    this.minImpressions = minImpressions;
    this.minIntervalMs = minIntervalMs;
    this.maxAgeMs = maxAgeMs;
    this.driftLogloss = driftLogloss;
    this.driftMinRows = driftMinRows;
  }

  /** The policy {@code c} describes. */
  static TriggerPolicy of(RecompressorConfig c, Clock clock) {
    return new TriggerPolicy(clock, c.modelName(), c.getInt(RecompressorConfig.CALIBRATION_MIN_IMPRESSIONS_CONFIG),
        c.getLong(RecompressorConfig.TRIGGER_MIN_INTERVAL_MS_CONFIG), c.getLong(RecompressorConfig.TRIGGER_MAX_AGE_MS_CONFIG),
        c.getDouble(RecompressorConfig.TRIGGER_DRIFT_LOGLOSS_CONFIG), c.getInt(RecompressorConfig.HOLDOUT_MIN_ROWS_CONFIG));
  }

  /** Now on the policy's clock (also the time stamp of finished runs, which the age trigger reads). */
  long nowMs() {
    return clock.millis();
  }

  /** A full snapshot was stored; returns whether it is new work (it then runs next). */
  boolean snapshotStored(long version, long finishedFullVersion) {
    if (version <= finishedFullVersion) {
      return false;
    }
    pendingFullVersion = Math.max(pendingFullVersion, version);
    return true;
  }

  /**
   * Asks for a rerun of the stored snapshot for {@code trigger} (e.g. the delta relay's fidelity
   * check failed): it runs at the next {@link #next} once {@code trigger.min.interval.ms} has passed
   * since the last triggered run.
   */
  void request(String trigger) {
    requested = Objects.requireNonNull(trigger, "trigger");
  }

  /** Whether a snapshot waits to run (the loop then polls without waiting). */
  boolean hasPending() {
    return pendingFullVersion >= 0;
  }

  /** Whether {@link #served} is used at all (else the loop need not decode labelled examples). */
  boolean tracksDrift() {
    return driftLogloss > 0;
  }

  /**
   * One labelled example: counts towards drift when {@code model} v{@code version} is the
   * published compressed version; the average restarts with each new published version.
   */
  void served(String model, long version, boolean clicked, double servedPctr, long publishedVersion) {
    if (!tracksDrift() || publishedVersion < 0 || !servedModel.equals(model) || version != publishedVersion) {
      return;
    }
    if (driftVersion != publishedVersion) {
      driftVersion = publishedVersion;
      driftLoglossSum = 0;
      driftCount = 0;
    }
    double p = Math.min(1 - 1e-7, Math.max(1e-7, servedPctr));
    driftLoglossSum += clicked ? -Math.log(p) : -Math.log(1 - p);
    driftCount++;
  }

  /**
   * The run due now, or null, given the sampled impressions, the stored full version (-1: none),
   * the time of the last accepted publish (-1: never) and its candidate's gate logloss (or NaN).
   */
  Run next(long impressionsSeen, long storedFullVersion, long lastSuccessMs, double gateLogloss) {
    if (impressionsSeen < minImpressions) {
      if (pendingFullVersion >= 0 && !waitingLogged) {
        LOG.info("full v{} waits for calibration data: {} of {} impressions", pendingFullVersion, impressionsSeen,
            minImpressions);
        waitingLogged = true;
      }
      return null;
    }
    if (pendingFullVersion >= 0) {
      long v = pendingFullVersion;
      pendingFullVersion = -1;
      return new Run("snapshot", v);
    }
    long now = clock.millis();
    if (storedFullVersion < 0 || now - lastTriggeredRunMs < minIntervalMs) {
      return null;
    }
    if (requested != null) {
      String why = requested;
      requested = null;
      lastTriggeredRunMs = now;
      return new Run(why, storedFullVersion);
    }
    if (maxAgeMs > 0 && lastSuccessMs > 0 && now - lastSuccessMs > maxAgeMs) {
      lastTriggeredRunMs = now;
      return new Run("age", storedFullVersion);
    }
    if (tracksDrift() && !Double.isNaN(gateLogloss) && driftCount >= driftMinRows
        && driftLoglossSum / driftCount - gateLogloss > driftLogloss) {
      LOG.info("drift: served logloss {} vs {} at the gate", driftLoglossSum / driftCount, gateLogloss);
      lastTriggeredRunMs = now;
      driftCount = 0;
      driftLoglossSum = 0;
      return new Run("drift", storedFullVersion);
    }
    return null;
  }
}
