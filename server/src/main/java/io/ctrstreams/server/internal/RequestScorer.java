package io.ctrstreams.server.internal;

import io.ctrstreams.model.CtrModelException;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.server.ServedModels;
import io.ctrstreams.server.ServerMetrics;
import io.ctrstreams.serving.ServedModel;
import io.ctrstreams.serving.ShadowSampling;
import io.ctrstreams.topology.DeadLetters;
import io.ctrstreams.topology.ImpressionFeatures;
import io.ctrstreams.topology.internal.ModelScratch;
import java.nio.charset.StandardCharsets;

/**
 * Scores one decoded, validated impression with the live model the registry holds at that moment
 * (one volatile read: a swap never blocks a request, and the whole request sees one fully loaded
 * model) and, when the request id is in the shadow's sample ({@link ScoringProcessor#sampled}),
 * with the shadow too. Encoding is the topology's ({@link ImpressionFeatures#encode}), so a
 * request and a topic record with the same features get the same scores.
 *
 * <p>Per-thread scratch (feature vectors, output arrays) is built once per model version and
 * reused: the {@link Result} a thread gets is valid until its next call. Netty pins a connection
 * to one event-loop thread, so the versions one connection sees never go backwards unless a pin
 * moves the registry back.
 */
public final class RequestScorer {
  private final ServedModels models;
  private final int maxCandidates;
  private final ServerMetrics metrics;
  private final ThreadLocal<Result> results;

  /** A scorer of {@code models} for requests of up to {@code maxCandidates} candidates. */
  public RequestScorer(ServedModels models, int maxCandidates, ServerMetrics metrics) {
    this.models = models;
    this.maxCandidates = maxCandidates;
    this.metrics = metrics;
    this.results = ThreadLocal.withInitial(Result::new);
  }

  /** The models scored with. */
  public ServedModels models() {
    return models;
  }

  /**
   * Scores {@code imp} for {@code protocol}; null when no live model is loaded yet.
   *
   * @throws io.ctrstreams.schemas.CodecException {@code wrong_type} when a numeric model field holds a string
   * @throws RequestException 400 {@code scoring_failed} when the model's encoder rejects a valid value
   */
  public Result score(Impression imp, String protocol) {
    return score(imp, null, 0, null, protocol);
  }

  /**
   * Validates and scores the JSON impression {@code body} (the topology's input JSON) for {@code
   * protocol}; null when no live model is loaded yet. Records of the usual shape are encoded
   * straight from the bytes ({@link ImpressionFeatures#visitJson}: no maps, no impression object,
   * which {@link Result#impression} builds only when asked, e.g. by the impression log on its own
   * thread); any other record is decoded by {@code codec}, which accepts it or names its failure.
   *
   * @throws io.ctrstreams.schemas.CodecException when the record is invalid (the DLQ's reasons)
   * @throws RequestException 400 {@code scoring_failed} when the model's encoder rejects a valid value
   */
  public Result score(byte[] body, long receivedMs, ImpressionCodec codec, String protocol) {
    return score(null, body, receivedMs, codec, protocol);
  }

  /**
   * A protocol's reader of one request straight into the feature vectors ({@link
   * ImpressionFeatures#startColumns} and the column writers): no impression object.
   */
  @FunctionalInterface
  public interface FeatureReader {
    /**
     * Writes the request's features into {@code f}, which is reset first; returns the candidate
     * count, or -1 when the request is not of the shape this reader takes (partial writes are
     * discarded, and the request is decoded instead).
     *
     * @throws RuntimeException the first value the model's encoder rejects, the request being valid
     */
    int read(ImpressionFeatures f);
  }

  /**
   * Scores request {@code eventId} for {@code protocol} read by {@code reader}, or, when the reader
   * does not take it, the impression {@code decode} gives (decoded and validated: it throws the
   * request's failure, with the same reasons as the topology's codec); null when no live model is
   * loaded yet. {@code decode} must be safe to call later on another thread (the impression log
   * builds the impression of a request read directly there).
   *
   * @throws io.ctrstreams.schemas.CodecException when the request is invalid
   * @throws RequestException 400 {@code scoring_failed} when the model's encoder rejects a valid value
   */
  public Result score(String eventId, FeatureReader reader, java.util.function.Supplier<Impression> decode,
      String protocol) {
    ServedModel model = models.live().current();
    if (model == null) {
      return null;
    }
    long t0 = System.nanoTime();
    Result r = resultFor(model);
    ModelScratch sc = r.live;
    Impression imp = null;
    int n;
    try {
      n = reader.read(sc.features);
      if (n < 0) {
        imp = decode.get();
        eventId = imp.getEventId();
        n = sc.features.encode(imp);
      }
      sc.score(sc.features, n);
    } catch (CtrModelException e) {
      throw new RequestException(400, DeadLetters.SCORING_FAILED, "the model rejects a value of impression "
          + eventId + ": " + e.getMessage());
    }
    metrics.scored(protocol, n, System.nanoTime() - t0);
    r.source = imp == null ? decode : null;
    return finish(r, model, sc, n, imp, eventId, null, 0, null, protocol);
  }

  private Result score(Impression decoded, byte[] body, long receivedMs, ImpressionCodec codec, String protocol) {
    ServedModel model = models.live().current();
    if (model == null) {
      return null;
    }
    long t0 = System.nanoTime();
    Result r = resultFor(model);
    ModelScratch sc = r.live;
    Impression imp = decoded;
    String eventId;
    int n;
    try {
      ImpressionCodec.Visited v = imp == null ? sc.features.visitJson(codec, body, receivedMs) : null;
      if (v != null) {
        eventId = v.eventId();
        n = v.candidates();
      } else {
        if (imp == null) {
          imp = codec.decode(body, receivedMs);
        }
        eventId = imp.getEventId();
        n = sc.features.encode(imp);
      }
      sc.score(sc.features, n);
    } catch (CtrModelException e) {
      // a valid record with a value the model cannot take (a finite double beyond float range in a
      // SCALED field): the topology's scoring_failed, but here the client's to fix
      // (a body encoded straight from its bytes was valid: decoding it names the impression as before)
      String id = imp != null ? imp.getEventId() : codec.decode(body, receivedMs).getEventId();
      throw new RequestException(400, DeadLetters.SCORING_FAILED, "the model rejects a value of impression "
          + id + ": " + e.getMessage());
    }
    metrics.scored(protocol, n, System.nanoTime() - t0);
    r.source = null;
    return finish(r, model, sc, n, imp, eventId, imp == null ? body : null, receivedMs, codec, protocol);
  }

  /** Fills {@code r} for a request scored by {@code model}, then scores the shadow if sampled. */
  private Result finish(Result r, ServedModel model, ModelScratch sc, int n, Impression imp, String eventId, byte[] body,
      long receivedMs, ImpressionCodec codec, String protocol) {
    r.model = model;
    r.n = n;
    r.impression = imp;
    r.eventId = eventId;
    r.body = body;
    r.receivedMs = receivedMs;
    r.codec = codec;
    r.shadowModel = null;
    if (models.shadow() != null) {
      ServedModel sm = models.shadow().current();
      if (sm != null && ShadowSampling.sampled(eventId.getBytes(StandardCharsets.UTF_8),
          models.shadowSampleRate())) {
        r.shadow = scratchFor(r.shadow, sm);
        if (scoreShadow(r.shadow, sc, r, n)) {
          double sum = 0;
          for (int i = 0; i < n; i++) {
            sum += Math.abs((double) sc.logit[i] - r.shadow.logit[i]);
          }
          metrics.shadowScored(protocol, n, sum);
          r.shadowModel = sm;
        }
      }
    }
    return r;
  }

  /** False when the shadow fails: a broken shadow must never cost a live score. */
  private static boolean scoreShadow(ModelScratch sh, ModelScratch live, Result r, int n) {
    try {
      ImpressionFeatures f = live.features;
      if (!sh.encodesLike(live)) {
        f = sh.features;
        f.encode(r.impression());
      }
      sh.score(f, n);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** This thread's result, its live scratch for {@code model}. */
  private Result resultFor(ServedModel model) {
    Result r = results.get();
    r.live = scratchFor(r.live, model);
    return r;
  }

  private ModelScratch scratchFor(ModelScratch s, ServedModel m) {
    return s != null && s.served == m ? s : new ModelScratch(m, maxCandidates);
  }

  /** One request's scores; reused per thread. */
  public static final class Result {
    private ServedModel model;
    private ServedModel shadowModel;
    private Impression impression;
    private String eventId;
    private byte[] body;
    private long receivedMs;
    private ImpressionCodec codec;
    private java.util.function.Supplier<Impression> source;
    private int n;
    private ModelScratch live;
    private ModelScratch shadow;

    /** The live model that scored the request. */
    public ServedModel model() {
      return model;
    }

    /** Candidates scored. */
    public int size() {
      return n;
    }

    /**
     * The impression scored; a request encoded straight from its bytes is decoded here, on first
     * call (the bytes were valid: this cannot fail).
     */
    public Impression impression() {
      if (impression == null) {
        impression = source != null ? source.get() : codec.decode(body, receivedMs);
        source = null;
        body = null;
      }
      return impression;
    }

    /**
     * The impression scored, built when the returned supplier is called (on any thread, at any
     * later time: it holds only the request's immutable input), or at once when it is built
     * already.
     */
    public java.util.function.Supplier<Impression> deferredImpression() {
      if (impression != null) {
        Impression imp = impression;
        return () -> imp;
      }
      if (source != null) {
        return source;
      }
      byte[] b = body;
      long t = receivedMs;
      ImpressionCodec c = codec;
      return () -> c.decode(b, t);
    }

    /** The scored impression's event id. */
    public String eventId() {
      return eventId;
    }

    /**
     * The request's JSON bytes when it was encoded straight from them (the impression not built
     * yet), else null; with {@link #codec} and {@link #receivedMs} they decode to {@link #impression}.
     */
    public byte[] body() {
      return impression == null ? body : null;
    }

    /** The codec of {@link #body}. */
    public ImpressionCodec codec() {
      return codec;
    }

    /** When the request arrived (the time of a record without {@code timestampMs}). */
    public long receivedMs() {
      return receivedMs;
    }

    /** The pCTR of candidate {@code i}. */
    public float pctr(int i) {
      return live.pctr[i];
    }

    /** The ad id of candidate {@code i}. */
    public String adId(int i) {
      return live.features.adId(i);
    }

    /** A copy of the live pCTRs. */
    public float[] pctrs() {
      return java.util.Arrays.copyOf(live.pctr, n);
    }

    /** A copy of the shadow pCTRs (only with a {@link #shadowModel}). */
    public float[] shadowPctrs() {
      return java.util.Arrays.copyOf(shadow.pctr, n);
    }

    /** The shadow model that scored the request too, or null. */
    public ServedModel shadowModel() {
      return shadowModel;
    }

    /** The shadow's pCTR of candidate {@code i} (only with a {@link #shadowModel}). */
    public float shadowPctr(int i) {
      return shadow.pctr[i];
    }
  }
}
