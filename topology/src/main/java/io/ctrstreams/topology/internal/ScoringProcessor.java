package io.ctrstreams.topology.internal;

import io.ctrstreams.schemas.CodecException;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.ImpressionScoresBatch;
import io.ctrstreams.schemas.ScoreBatch;
import io.ctrstreams.serving.ModelRegistry;
import io.ctrstreams.serving.ServedModel;
import io.ctrstreams.serving.ShadowSampling;
import io.ctrstreams.topology.DeadLetters;
import io.ctrstreams.topology.ImpressionFeatures;
import io.ctrstreams.topology.TopologyException;
import io.ctrstreams.topology.TopologyMetrics;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Scores one impression record: its features are encoded straight from the record bytes
 * ({@link ImpressionFeatures#visit}; decoded first only when the codec cannot read them so: JSON,
 * older writer schemas, no model yet), all its candidates are scored as one batch with the live
 * model the registry holds at that moment (one volatile read: a swap never blocks this thread and
 * the whole record sees one model), and one Score per candidate is forwarded stamped with the
 * model's name and version, plus (labels enabled) the {@link Served} record for the label join,
 * which decodes the impression off this path. A shadow model scores the same feature vectors when
 * it encodes like the live model, else its own encoding of the same record. No buffering across
 * records: under exactly-once a record is done when {@code process} returns.
 *
 * <p>No model yet: records wait until a deadline shared by every task of the app (set by the
 * first task init to now + {@code model.wait.ms} on the injected clock) for the global thread to
 * load one; after it, records that find no model go to the DLQ with reason {@code no_model} at
 * once. The deadline is shared so a task re-created after a rebalance does not wait again. A
 * record is never scored with anything else.
 *
 * <p>Per-model scratch (feature vectors, output arrays) is built once per model version and
 * reused, so steady-state scoring allocates only the output records.
 */
public final class ScoringProcessor implements Processor<byte[], byte[], byte[], Routed> {
  /** Name of the child (sink) that writes scores. */
  public static final String SCORES_CHILD = "scores";
  /** Name of the child (sink) that writes dead letters. */
  public static final String DLQ_CHILD = "impressions-dlq";
  /** Name of the child that receives served impressions (exists only with labels enabled). */
  public static final String SERVED_CHILD = "served-event";
  private static final long WAIT_POLL_MS = 5;

  private final ImpressionCodec codec;
  private final ModelRegistry live;
  private final ModelRegistry shadow;
  private final long modelWaitMs;
  private final AtomicLong sharedDeadline;
  private final boolean emitServed;
  private final TopologyMetrics metrics;
  private final LongSupplier wallClock;
  private ProcessorContext<byte[], Routed> context;
  private long waitDeadline;
  private ModelScratch liveScratch;
  private ModelScratch shadowScratch;
  private double shadowRate = 1;
  private final ScoreBatch scoreBatch = new ScoreBatch();
  private final ImpressionScoresBatch impressionScores = new ImpressionScoresBatch();
  private boolean perImpression;

  /**
   * A processor scoring with {@code live} (and {@code shadow}, may be null).
   *
   * @param emitServed forward the served impression for the label join
   * @param wallClock epoch ms: scoredAtMs, event-time lag and the first-model wait
   */
  public ScoringProcessor(
      ImpressionCodec codec,
      ModelRegistry live,
      ModelRegistry shadow,
      long modelWaitMs,
      AtomicLong sharedDeadline,
      boolean emitServed,
      TopologyMetrics metrics,
      LongSupplier wallClock) {
    this.codec = codec;
    this.live = live;
    this.shadow = shadow;
    this.modelWaitMs = modelWaitMs;
    this.sharedDeadline = sharedDeadline;
    this.emitServed = emitServed;
    this.metrics = metrics;
    this.wallClock = wallClock;
  }

  /**
   * Lets the shadow score only the fraction {@code rate} of impressions, chosen by the event id
   * ({@link #sampled}); 1 (the default) = every impression.
   */
  /**
   * One {@code ImpressionScores} record per impression and variant (all candidates' pCTRs)
   * instead of one {@code Score} per candidate ({@code scores.format=per-impression}).
   */
  public ScoringProcessor perImpressionScores(boolean on) {
    this.perImpression = on;
    return this;
  }

  public ScoringProcessor sampleShadow(double rate) {
    if (!(rate >= 0 && rate <= 1)) {
      throw new IllegalArgumentException("shadow sample rate must be in [0, 1], found " + rate);
    }
    this.shadowRate = rate;
    return this;
  }

  /**
   * Whether the impression with these event-id bytes is in the shadow's sample at {@code rate}:
   * murmur2 of the id (Kafka's partitioner hash) below {@code rate} of its range, so every
   * instance and every restart makes the same choice.
   */
  public static boolean sampled(byte[] eventId, double rate) {
    return ShadowSampling.sampled(eventId, rate); // shared with ctr serve
  }

  @Override
  public void init(ProcessorContext<byte[], Routed> context) {
    this.context = context;
    sharedDeadline.compareAndSet(Long.MIN_VALUE, wallClock.getAsLong() + modelWaitMs);
    this.waitDeadline = sharedDeadline.get();
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    long t0 = System.nanoTime();
    ServedModel model = live.current();
    ModelScratch sc = model == null ? null : scratchFor(model, false);
    ImpressionCodec.Visited visited = null;
    Impression imp = null;
    try {
      if (sc != null) {
        visited = sc.features.visit(codec, record.value());
      }
      if (visited == null) {
        imp = codec.decode(record.value(), record.timestamp());
      }
    } catch (CodecException e) {
      dead(record, e.reason().label(), e);
      return;
    } catch (RuntimeException e) {
      dead(record, DeadLetters.SCORING_FAILED, e); // a valid record with a value the model rejects
      return;
    }
    if (imp != null) {
      model = currentOrWait();
      if (model == null) {
        dead(record, DeadLetters.NO_MODEL,
            new TopologyException("no model '" + live.name() + "' loaded yet; impression "
                + imp.getEventId() + " not scored"));
        return;
      }
      t0 = System.nanoTime(); // encode + score, as on the direct path (decoding is not timed)
      sc = scratchFor(model, false);
    }
    int n;
    try {
      n = imp == null ? visited.candidates() : sc.features.encode(imp);
      sc.score(sc.features, n);
    } catch (CodecException e) {
      dead(record, e.reason().label(), e); // a numeric model field given a string: wrong_type
      return;
    } catch (RuntimeException e) {
      dead(record, DeadLetters.SCORING_FAILED, e);
      return;
    }
    String eventId = imp == null ? visited.eventId() : imp.getEventId();
    long timestampMs = imp == null ? visited.timestampMs() : imp.getTimestampMs();
    long nanos = System.nanoTime() - t0;
    long now = wallClock.getAsLong();
    metrics.impressionScored(n, nanos, now - timestampMs);
    byte[] key = eventId.getBytes(StandardCharsets.UTF_8);
    ServedModel shadowModel = shadow == null || !sampled(key, shadowRate) ? null : shadow.current();
    ModelScratch sh = shadowModel == null ? null : scoreShadow(shadowModel, sc, record.value(), imp, n);

    forwardScores(record, key, eventId, timestampMs, n, sc.features, sc.pctr, model, "live", now);
    if (sh != null) {
      forwardScores(record, key, eventId, timestampMs, n, sc.features, sh.pctr, shadowModel, "shadow", now);
    }
    if (emitServed) {
      Served served = new Served(record.value(), record.timestamp(), imp, model, Arrays.copyOf(sc.pctr, n),
          sh == null ? null : shadowModel, sh == null ? null : Arrays.copyOf(sh.pctr, n));
      context.forward(new Record<>(key, Routed.served(served), record.timestamp(), record.headers()), SERVED_CHILD);
    }
  }

  /**
   * Scores the shadow model on the live model's vectors (or, when it encodes differently, on its
   * own encoding of the same record) and counts the fidelity; null when it fails: a broken shadow
   * must never cost a live score.
   */
  private ModelScratch scoreShadow(ServedModel m, ModelScratch sc, byte[] value, Impression imp, int n) {
    ModelScratch sh = scratchFor(m, true);
    try {
      ImpressionFeatures f = sc.features;
      if (!sh.encodesLike(sc)) {
        f = sh.features;
        if (imp != null) {
          f.encode(imp);
        } else {
          f.visit(codec, value);
        }
      }
      sh.score(f, n);
    } catch (RuntimeException e) {
      return null;
    }
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += Math.abs((double) sc.logit[i] - sh.logit[i]);
    }
    metrics.shadowScored(n, sum);
    return sh;
  }

  /** One Score per candidate ({@code f.adId(i)}, {@code pctr[i]}) stamped with {@code m} and {@code variant}. */
  private void forwardScores(Record<byte[], byte[]> record, byte[] key, String eventId, long timestampMs, int n,
      ImpressionFeatures f, float[] pctr, ServedModel m, String variant, long now) {
    Headers headers = copyableHeaders(record);
    if (perImpression) {
      impressionScores.start(eventId, m.name(), m.version(), m.deltaSequence(), variant, timestampMs, now);
      for (int i = 0; i < n; i++) {
        impressionScores.add(f.adId(i), pctr[i]);
      }
      context.forward(new Record<>(key, Routed.encodedScore(impressionScores.finish()), record.timestamp(), headers),
          SCORES_CHILD);
      return;
    }
    scoreBatch.start(eventId, m.name(), m.version(), m.deltaSequence(), variant, timestampMs, now);
    for (int i = 0; i < n; i++) {
      byte[] score = scoreBatch.encode(f.adId(i), pctr[i]);
      context.forward(new Record<>(key, Routed.encodedScore(score), record.timestamp(), headers), SCORES_CHILD);
    }
  }

  /**
   * The input's headers for the outputs to carry, or null when there are none: a {@link Record}
   * copies the headers it is given, and null skips that copy for each of the n outputs. Public
   * for the load test's pass-through baseline, which must forward exactly as this processor does.
   */
  public static Headers copyableHeaders(Record<?, ?> record) {
    Headers h = record.headers();
    return h != null && h.iterator().hasNext() ? h : null;
  }

  private ServedModel currentOrWait() {
    ServedModel m = live.current();
    // the wait happens only until the deadline of the first task start, never per record after
    while (m == null && wallClock.getAsLong() < waitDeadline) {
      try {
        Thread.sleep(WAIT_POLL_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      m = live.current();
    }
    if (m == null) {
      waitDeadline = Long.MIN_VALUE; // past: never wait again
    }
    return m;
  }

  private ModelScratch scratchFor(ServedModel m, boolean isShadow) {
    ModelScratch s = isShadow ? shadowScratch : liveScratch;
    if (s == null || s.served != m) {
      if (!isShadow && m.deltaSequence() > 0) {
        // the first score this thread makes with the delta's parameters
        metrics.deltaFreshness(wallClock.getAsLong() - m.deltaCreatedAtMs());
      }
      s = new ModelScratch(m, codec.maxCandidates());
      if (isShadow) {
        shadowScratch = s;
      } else {
        liveScratch = s;
      }
    }
    return s;
  }

  private void dead(Record<byte[], byte[]> record, String reason, Throwable e) {
    metrics.deadLetter(context.recordMetadata().map(m -> m.topic()).orElse("impressions"), reason);
    Record<byte[], byte[]> letter = DeadLetters.letter(record, reason, e, context.recordMetadata());
    context.forward(letter.withValue(Routed.dead(letter.value())), DLQ_CHILD);
  }
}
