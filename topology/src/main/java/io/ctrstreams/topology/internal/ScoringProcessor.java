package io.ctrstreams.topology.internal;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureEncoder;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.Scorer;
import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.CodecException;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.ScoreBatch;
import io.ctrstreams.schemas.ServedCandidate;
import io.ctrstreams.schemas.ServedImpression;
import io.ctrstreams.serving.ModelRegistry;
import io.ctrstreams.serving.ServedModel;
import io.ctrstreams.topology.DeadLetters;
import io.ctrstreams.topology.TopologyException;
import io.ctrstreams.topology.TopologyMetrics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Decodes one impression record, scores all its candidates as one batch with the live model the
 * registry holds at that moment (one volatile read: a swap never blocks this thread and the whole
 * record sees one model), and forwards one Score per candidate stamped with the model's name and
 * version, plus the served impression for the label join. No buffering across records: under
 * exactly-once a record is done when {@code process} returns.
 *
 * <p>No model yet: records wait until a deadline shared by every task of the app (set by the
 * first task init to now + {@code model.wait.ms}) for the global thread to load one; after it,
 * records that find no model go to the DLQ with reason {@code no_model} at once. The deadline is
 * shared so a task re-created after a rebalance does not wait again. A record is never scored
 * with anything else.
 *
 * <p>Per-model scratch (encoder, feature vectors, output arrays) is built once per model
 * version and reused, so steady-state scoring allocates only the output records.
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
  private Scratch liveScratch;
  private Scratch shadowScratch;
  private final ScoreBatch scoreBatch = new ScoreBatch();

  /**
   * Per-model encoding and output buffers: the visitor's feature vectors serve both paths (the
   * direct visit and decoded impressions). Candidate vectors are created on first need up to the
   * largest batch seen, so a model swap costs one small allocation, not maxCandidates.
   */
  private static final class Scratch {
    final ServedModel served;
    final Scorer scorer;
    final FeatureEncoder encoder;
    final float[] pctr;
    final float[] logit;
    final FeatureVisitor visitor;

    Scratch(ServedModel served, int maxCandidates) {
      this.served = served;
      CtrModel model = served.model();
      this.scorer = served.scorer();
      this.encoder = model.encoder();
      this.pctr = new float[maxCandidates];
      this.logit = new float[maxCandidates];
      this.visitor = new FeatureVisitor(encoder, maxCandidates);
    }

    /** Scores the candidates the visitor encoded; fills logit[0..n) and pctr[0..n). */
    void scoreVisited(int n) {
      // logits once; pctr = Scorer.sigmoid(logit) is exactly what scoreBatch returns
      scorer.scoreLogitsBatch(visitor.contextVector, visitor.candidates, n, logit);
      for (int i = 0; i < n; i++) {
        pctr[i] = Scorer.sigmoid(logit[i]);
      }
    }

    /** Encodes a decoded impression into the visitor's vectors and scores it (= the scorer's scoreBatch). */
    void score(Impression imp) {
      List<Candidate> cs = imp.getCandidates();
      int n = cs.size();
      encoder.encode(imp.getContext(), FieldSpec.Role.CONTEXT, visitor.contextVector);
      FeatureVector[] candidates = visitor.candidates;
      for (int i = 0; i < n; i++) {
        FeatureVector v = candidates[i];
        if (v == null) {
          v = encoder.newFeatureVector();
          candidates[i] = v;
        }
        encoder.encode(cs.get(i).getFeatures(), FieldSpec.Role.CANDIDATE, v);
      }
      scoreVisited(n);
    }
  }

  /**
   * A processor scoring with {@code live} (and {@code shadow}, may be null).
   *
   * @param emitServed forward the served impression for the label join
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

  @Override
  public void init(ProcessorContext<byte[], Routed> context) {
    this.context = context;
    sharedDeadline.compareAndSet(Long.MIN_VALUE, System.nanoTime() + modelWaitMs * 1_000_000L);
    this.waitDeadline = sharedDeadline.get();
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    if (!emitServed && (shadow == null || shadow.current() == null)) {
      ServedModel model = live.current();
      if (model != null && processVisited(record, model)) {
        return;
      }
    }
    Impression imp;
    try {
      imp = codec.decode(record.value(), record.timestamp());
    } catch (CodecException e) {
      dead(record, e.reason().label(), e);
      return;
    }
    ServedModel model = currentOrWait();
    if (model == null) {
      dead(record, DeadLetters.NO_MODEL,
          new TopologyException("no model '" + live.name() + "' loaded yet; impression "
              + imp.getEventId() + " not scored"));
      return;
    }
    int n = imp.getCandidates().size();
    long t0 = System.nanoTime();
    Scratch sc = scratchFor(model, false);
    try {
      sc.score(imp);
    } catch (RuntimeException e) {
      dead(record, DeadLetters.SCORING_FAILED, e);
      return;
    }
    long nanos = System.nanoTime() - t0;
    long now = wallClock.getAsLong();
    metrics.impressionScored(n, nanos, now - imp.getTimestampMs());

    Scratch sh = null;
    ServedModel shadowModel = shadow == null ? null : shadow.current();
    if (shadowModel != null) {
      sh = scratchFor(shadowModel, true);
      try {
        sh.score(imp);
        double sum = 0;
        for (int i = 0; i < n; i++) {
          sum += Math.abs((double) sc.logit[i] - sh.logit[i]);
        }
        metrics.shadowScored(n, sum);
      } catch (RuntimeException e) {
        sh = null; // a broken shadow must never cost a live score
      }
    }

    byte[] key = imp.getEventId().getBytes(StandardCharsets.UTF_8);
    List<Candidate> cs = imp.getCandidates();
    String[] adIds = sc.visitor.adIds;
    for (int i = 0; i < n; i++) {
      adIds[i] = cs.get(i).getAdId();
    }
    forwardScores(record, key, imp.getEventId(), imp.getTimestampMs(), n, adIds, sc.pctr, model, "live", now);
    if (sh != null) {
      forwardScores(record, key, imp.getEventId(), imp.getTimestampMs(), n, adIds, sh.pctr, shadowModel, "shadow", now);
    }
    if (emitServed) {
      List<ServedCandidate> served = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        Candidate c = cs.get(i);
        served.add(new ServedCandidate(c.getAdId(), c.getFeatures(), (double) sc.pctr[i],
            sh == null ? null : (double) sh.pctr[i]));
      }
      ServedImpression si = new ServedImpression(imp.getEventId(), imp.getTimestampMs(),
          imp.getContext(), served, model.name(), model.version(),
          sh == null ? null : shadowModel.name(), sh == null ? null : shadowModel.version());
      context.forward(new Record<>(key, Routed.served(si), record.timestamp(), record.headers()), SERVED_CHILD);
    }
  }

  /**
   * The direct path: features encoded straight from the record bytes for {@code model}, no
   * decoded maps (used when nothing downstream needs them: no label join, no shadow model).
   * False when the record is not Avro of the current schema; the caller then decodes it.
   */
  private boolean processVisited(Record<byte[], byte[]> record, ServedModel model) {
    long t0 = System.nanoTime();
    Scratch sc = scratchFor(model, false);
    sc.visitor.reset();
    ImpressionCodec.Visited v;
    try {
      v = codec.visit(record.value(), sc.visitor);
    } catch (CodecException e) {
      dead(record, e.reason().label(), e);
      return true;
    }
    if (v == null) {
      return false;
    }
    int n = v.candidates();
    try {
      if (sc.visitor.failure() != null) {
        throw sc.visitor.failure();
      }
      sc.scoreVisited(n);
    } catch (RuntimeException e) {
      dead(record, DeadLetters.SCORING_FAILED, e);
      return true;
    }
    long nanos = System.nanoTime() - t0;
    long now = wallClock.getAsLong();
    metrics.impressionScored(n, nanos, now - v.timestampMs());
    byte[] key = v.eventId().getBytes(StandardCharsets.UTF_8);
    forwardScores(record, key, v.eventId(), v.timestampMs(), n, sc.visitor.adIds, sc.pctr, model, "live", now);
    return true;
  }

  /** One Score per candidate ({@code adIds[i]}, {@code pctr[i]}) stamped with {@code m} and {@code variant}. */
  private void forwardScores(Record<byte[], byte[]> record, byte[] key, String eventId, long timestampMs, int n,
      String[] adIds, float[] pctr, ServedModel m, String variant, long now) {
    scoreBatch.start(eventId, m.name(), m.version(), variant, timestampMs, now);
    Headers headers = copyableHeaders(record);
    for (int i = 0; i < n; i++) {
      byte[] score = scoreBatch.encode(adIds[i], pctr[i]);
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
    while (m == null && System.nanoTime() - waitDeadline < 0) {
      try {
        Thread.sleep(WAIT_POLL_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      m = live.current();
    }
    if (m == null) {
      waitDeadline = System.nanoTime(); // past: never wait again
    }
    return m;
  }

  private Scratch scratchFor(ServedModel m, boolean isShadow) {
    Scratch s = isShadow ? shadowScratch : liveScratch;
    if (s == null || s.served != m) {
      s = new Scratch(m, codec.maxCandidates());
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
    context.forward(
        record
            .withValue(Routed.dead(record.value()))
            .withHeaders(DeadLetters.headers(record.headers(), reason, e, context.recordMetadata())),
        DLQ_CHILD);
  }
}
