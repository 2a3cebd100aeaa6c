package io.ctrstreams.trainer.data;

import io.ctrstreams.trainer.TrainerException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * An unbounded, seed-deterministic Criteo-like impression stream whose labels come from a hidden
 * teacher, plus the click events of the clicked impressions.
 *
 * <p><b>Schema</b>: {@link RawSchema#criteo()} (I1..I13 numeric, C1..C26 categorical). Each
 * categorical field draws ids from a Zipf law (exponent 1.05..1.35) over a vocabulary of
 * realistic size ({@link #VOCAB_SIZES}, 1,037,000 ids in total); ids are rendered as 8 hex digits
 * like Criteo's hashed categories. Numeric fields are heavy-tailed integer counts (log-normal, some
 * correlated through a latent activity factor) and are missing with field-specific rates.
 *
 * <p><b>Teacher</b> (the planted structure): {@code logit = b0 + sum_f s_f r(id_f) a_f(id_f) +
 * sum_h v_h relu(c_h + sum_{f in S_h} W_h r(id_f) u_f(id_f)) + net(numeric) + eps}, where {@code
 * r} shrinks the effects of tail ids ({@link #amplitude}): per-id first-order effects; 16 random
 * ReLU interaction units, each wired to 3 fields (one context field and two others) through
 * 4-dimensional per-id factors; a random one-hidden-layer ReLU network over log-transformed
 * numeric fields; and Gaussian logit noise eps ~
 * N(0, {@link #NOISE_STD}^2) that no model can learn. Per-id parameters are pure functions of
 * (seed, field, id) through a 64-bit mix, so nothing of size ~1M is stored. b0 is solved at
 * construction (bisection on a 20k-row sample) for a positive rate of {@link #TARGET_CTR}. The
 * teacher's probability is {@code sigmoid(logit - eps)}; ranking by it is Bayes-optimal because
 * E[label | features] is monotone in it, so its AUC is the ceiling a learned model can approach.
 *
 * <p><b>Determinism</b>: row {@code i} depends only on (seed, i), so any split or restart yields
 * the same rows. Impressions are evenly spaced at {@code eventsPerSecond} in event time from
 * {@code startMs}; each click follows its impression after an exponential delay (mean {@code
 * clickDelayMeanMs}, capped at 10x the mean). {@link #next()} interleaves both kinds in event-time
 * order with a bounded queue of pending clicks.
 *
 * <p><b>Heterogeneous mode</b> ({@code regions > 0}, issue 15): every row belongs to one of
 * {@code regions} regions (uniform, a pure function of (seed, row): {@link #regionOf}); field
 * {@value #REGION_FIELD} carries it as {@code region-NN}, so a Kafka producer can key by it and a
 * model can see it (C6's own id then only enters the shared teacher, unseen). The teacher differs per region by {@code heterogeneity * (s_r + sum_{f in R}
 * 0.5 r(id_f) a_{f,r}(id_f))}: a shifted intercept {@code s_r ~ N(0, 0.5^2)} and per-region
 * first-order effects of the ids of four fields ({@link #REGION_EFFECT_FIELDS}). Workers that
 * each read some regions then see different data with a known, controllable heterogeneity. With
 * {@code regions = 0} the stream is the plain one, row for row.
 */
public final class SyntheticStream {
  /** Vocabulary sizes of C1..C26. */
  public static final int[] VOCAB_SIZES = {
    1_400, 550, 180_000, 120_000, 300, 24, 12_000, 630, 3, 45_000, 5_200, 160_000, 3_200,
    27, 11_000, 140_000, 10, 4_600, 2_100, 4, 170_000, 17, 15, 60_000, 90, 56_000
  };
  /** Positive rate the intercept is solved for. */
  public static final double TARGET_CTR = 0.25;
  /** Standard deviation of the unlearnable logit noise. */
  public static final double NOISE_STD = 0.8;

  /** The field that carries the region in heterogeneous mode (C6: a 24-value context field). */
  public static final String REGION_FIELD = "C6";
  /** Categorical fields (C1, C4, C8, C13) whose id effects differ per region in heterogeneous mode. */
  static final int[] REGION_EFFECT_FIELDS = {0, 3, 7, 12};
  private static final int REGION_CATEGORICAL = 5;
  private static final int NUMERIC = 13;
  private static final int CATEGORICAL = 26;
  private static final int FACTOR_DIM = 4;
  private static final double HEAD_RANKS = 25;
  private static final int HIDDEN = 8;
  private static final int UNITS = 16;
  private static final int UNIT_FIELDS = 3;
  private final long seed;
  private final long startMs;
  private final double eventsPerSecond;
  private final double clickDelayMeanMs;
  private final RawSchema schema = RawSchema.criteo();
  private final double[][] zipfCdf = new double[CATEGORICAL][];
  private final String[][] idNames = new String[CATEGORICAL][];
  private final double[] firstOrderScale = new double[CATEGORICAL];
  private final int[][] unitField = new int[UNITS][UNIT_FIELDS];
  private final double[][][] unitWeight = new double[UNITS][UNIT_FIELDS][FACTOR_DIM];
  private final double[] unitBias = new double[UNITS];
  private final double[] unitOut = new double[UNITS];
  private final double[] numMu = new double[NUMERIC];
  private final double[] numSigma = new double[NUMERIC];
  private final double[] numMissing = new double[NUMERIC];
  private final double[] numLoad = new double[NUMERIC];
  private final double[][] w1 = new double[HIDDEN][NUMERIC];
  private final double[] b1 = new double[HIDDEN];
  private final double[] w2 = new double[HIDDEN];
  private final double intercept;
  private final int regions;
  private final double heterogeneity;
  private final double[] regionShift;
  private final String[] regionNames;

  private long nextRow;
  private final RawRecord scratch;
  private final PriorityQueue<SyntheticEvent.Click> pendingClicks =
      new PriorityQueue<>((a, b) -> a.timestampMs() != b.timestampMs()
          ? Long.compare(a.timestampMs(), b.timestampMs())
          : a.impressionId().compareTo(b.impressionId()));
  private SyntheticEvent.Impression bufferedImpression;

  /** A stream at 1,000 impressions/s from 2024-01-01T00:00Z, clicks 5 s after on average. */
  public SyntheticStream(long seed) {
    this(seed, 1_704_067_200_000L, 1000, 5000);
  }

  /**
   * @throws TrainerException if the rate or delay is not positive
   */
  public SyntheticStream(long seed, long startMs, double eventsPerSecond, double clickDelayMeanMs) {
    this(seed, startMs, eventsPerSecond, clickDelayMeanMs, 0, 0);
  }

  /**
   * A heterogeneous stream at the default rates: {@code regions} regions whose teachers differ by
   * {@code heterogeneity} (see the class comment).
   *
   * @throws TrainerException if regions is outside [1, 24] or heterogeneity is negative
   */
  public SyntheticStream(long seed, int regions, double heterogeneity) {
    this(seed, 1_704_067_200_000L, 1000, 5000, checkRegions(regions), heterogeneity);
  }

  private static int checkRegions(int regions) {
    if (regions < 1) {
      throw new TrainerException("synthetic regions must be in [1, 24], found " + regions);
    }
    return regions;
  }

  private SyntheticStream(long seed, long startMs, double eventsPerSecond, double clickDelayMeanMs, int regions,
      double heterogeneity) {
    if (regions < 0 || regions > 24) {
      throw new TrainerException("synthetic regions must be in [1, 24], found " + regions);
    }
    if (!(heterogeneity >= 0) || Double.isInfinite(heterogeneity)) {
      throw new TrainerException("synthetic heterogeneity must be a finite number >= 0, found " + heterogeneity);
    }
    this.regions = regions;
    this.heterogeneity = heterogeneity;
    this.regionShift = new double[regions];
    this.regionNames = new String[regions];
    SplittableRandom rr = new SplittableRandom(mix(seed ^ 0x4E6105L));
    for (int q = 0; q < regions; q++) {
      regionShift[q] = 0.5 * gaussian(rr);
      regionNames[q] = String.format(java.util.Locale.ROOT, "region-%02d", q);
    }
    if (!(eventsPerSecond > 0)) {
      throw new TrainerException("synthetic events per second must be > 0, found " + eventsPerSecond);
    }
    if (!(clickDelayMeanMs > 0)) {
      throw new TrainerException("synthetic click delay mean must be > 0 ms, found " + clickDelayMeanMs);
    }
    this.seed = seed;
    this.startMs = startMs;
    this.eventsPerSecond = eventsPerSecond;
    this.clickDelayMeanMs = clickDelayMeanMs;
    this.scratch = schema.newRecord();
    SplittableRandom r = new SplittableRandom(mix(seed ^ 0x5EEDL));
    for (int f = 0; f < CATEGORICAL; f++) {
      int v = VOCAB_SIZES[f];
      double s = 1.05 + 0.3 * r.nextDouble();
      double[] cdf = new double[v];
      double acc = 0;
      for (int k = 0; k < v; k++) {
        acc += Math.pow(k + 1, -s);
        cdf[k] = acc;
      }
      for (int k = 0; k < v; k++) {
        cdf[k] /= acc;
      }
      zipfCdf[f] = cdf;
      idNames[f] = new String[v];
      // A few strong fields, many weak ones: the usual shape of per-field importance.
      firstOrderScale[f] = (v <= 4 ? 0.1 : 0.15) + 0.35 * r.nextDouble() * r.nextDouble();
    }
    for (int h = 0; h < UNITS; h++) {
      for (int q = 0; q < UNIT_FIELDS; q++) {
        // One context and two arbitrary fields per unit: user x ad style crosses.
        unitField[h][q] = q == 0 ? r.nextInt(13) : r.nextInt(CATEGORICAL);
        for (int k = 0; k < FACTOR_DIM; k++) {
          unitWeight[h][q][k] = gaussian(r) / Math.sqrt(UNIT_FIELDS * FACTOR_DIM);
        }
      }
      unitBias[h] = 0.2 * gaussian(r);
      unitOut[h] = (r.nextBoolean() ? 1 : -1) * (0.4 + 0.4 * r.nextDouble());
    }
    for (int j = 0; j < NUMERIC; j++) {
      numMu[j] = 0.5 + 4 * r.nextDouble();
      numSigma[j] = 0.8 + 1.2 * r.nextDouble();
      numMissing[j] = 0.02 + 0.4 * r.nextDouble() * r.nextDouble();
      numLoad[j] = r.nextDouble() < 0.5 ? 0.6 * r.nextDouble() : 0;
    }
    for (int h = 0; h < HIDDEN; h++) {
      for (int j = 0; j < NUMERIC; j++) {
        w1[h][j] = r.nextDouble() < 0.4 ? gaussian(r) * 0.5 : 0;
      }
      b1[h] = gaussian(r) * 0.3;
      w2[h] = gaussian(r) * 0.35;
    }
    this.intercept = solveIntercept();
  }

  /** The raw schema of the impressions (Criteo field names and roles). */
  public RawSchema schema() {
    return schema;
  }

  /** The seed. */
  public long seed() {
    return seed;
  }

  /** Regions of the heterogeneous mode (0: plain stream). */
  public int regions() {
    return regions;
  }

  /** The region of row {@code row} in heterogeneous mode (uniform over the regions), or -1 without. */
  public int regionOf(long row) {
    return regions == 0 ? -1 : (int) Long.remainderUnsigned(mix(mix(seed, row), 0x4E610L), regions);
  }

  /** Solved intercept b0 of the teacher's logit. */
  public double intercept() {
    return intercept;
  }

  /** Row index the next impression will have. */
  public long position() {
    return nextRow;
  }

  /** Moves to row {@code row} (the stream is random access by row). Drops pending clicks. */
  public void seek(long row) {
    if (row < 0) {
      throw new TrainerException("synthetic stream row must be >= 0, found " + row);
    }
    nextRow = row;
    pendingClicks.clear();
    bufferedImpression = null;
  }

  /**
   * Fills {@code out} with the next impression row (label = sampled click) and advances.
   *
   * @return the teacher's click probability for that row
   */
  public double nextInto(RawRecord out) {
    return generate(nextRow++, out, intercept);
  }

  /** Fills {@code out} with row {@code row} without moving the stream; returns the teacher probability. */
  public double row(long row, RawRecord out) {
    return generate(row, out, intercept);
  }

  /** The next impression, as an event object (allocates; meant for demos and streams). */
  public SyntheticEvent.Impression nextImpression() {
    long i = nextRow++;
    double p = generate(i, scratch, intercept);
    Map<String, Object> ctx = new LinkedHashMap<>();
    Map<String, Object> cand = new LinkedHashMap<>();
    for (int f = 0; f < schema.size(); f++) {
      RawField field = schema.field(f);
      Object v = field.numeric() ? (Double.isNaN(scratch.number[f]) ? null : (Object) scratch.number[f]) : scratch.category[f];
      if (v != null) {
        (field.context() ? ctx : cand).put(field.name(), v);
      }
    }
    String id = eventId(i);
    boolean clicked = scratch.label > 0.5f;
    if (clicked) {
      SplittableRandom r = new SplittableRandom(mix(mix(seed, i), 0xC11CL));
      double delay = Math.min(10 * clickDelayMeanMs, -clickDelayMeanMs * Math.log(1 - r.nextDouble()));
      pendingClicks.add(new SyntheticEvent.Click(id, scratch.timestampMs + 1 + (long) delay, scratch.timestampMs));
    }
    return new SyntheticEvent.Impression(id, scratch.timestampMs, ctx, cand, clicked, p, i);
  }

  /** The next event in event-time order: impressions and the clicks they produced, interleaved. */
  public SyntheticEvent next() {
    if (bufferedImpression == null) {
      bufferedImpression = nextImpression();
    }
    SyntheticEvent.Click c = pendingClicks.peek();
    if (c != null && c.timestampMs() <= bufferedImpression.timestampMs()) {
      return pendingClicks.poll();
    }
    SyntheticEvent.Impression imp = bufferedImpression;
    bufferedImpression = null;
    return imp;
  }

  /** The event id of impression row {@code i}. */
  public String eventId(long i) {
    return "imp-" + Long.toHexString(seed) + "-" + i;
  }

  private double generate(long i, RawRecord out, double b0) {
    SplittableRandom r = new SplittableRandom(mix(seed, i));
    out.clear();
    out.timestampMs = startMs + (long) Math.floor(i * 1000.0 / eventsPerSecond);
    double logit = b0;
    double activity = gaussian(r);
    double[] feat = new double[NUMERIC];
    for (int j = 0; j < NUMERIC; j++) {
      double z = numLoad[j] * activity + Math.sqrt(1 - numLoad[j] * numLoad[j]) * gaussian(r);
      if (r.nextDouble() < numMissing[j]) {
        feat[j] = 0;
      } else {
        double x = Math.floor(Math.exp(numMu[j] + numSigma[j] * z) - 1);
        x = Math.max(0, x);
        out.number[j] = x;
        feat[j] = (Math.log1p(x) - numMu[j]) / (numSigma[j] + 1);
      }
    }
    for (int h = 0; h < HIDDEN; h++) {
      double a = b1[h];
      for (int j = 0; j < NUMERIC; j++) {
        a += w1[h][j] * feat[j];
      }
      logit += w2[h] * Math.max(0, a);
    }
    int[] ids = new int[CATEGORICAL];
    for (int f = 0; f < CATEGORICAL; f++) {
      int id = sampleZipf(f, r.nextDouble());
      if (regions > 0 && f == REGION_CATEGORICAL) {
        // shown as the region; the shared teacher keeps the sampled id (hidden), so with
        // heterogeneity 0 every region has the same distribution of labels given the features
        out.category[NUMERIC + f] = regionNames[regionOf(i)];
      } else {
        out.category[NUMERIC + f] = idName(f, id);
      }
      ids[f] = id;
      logit += firstOrderScale[f] * amplitude(id) * paramGaussian(f, id, 0);
    }
    // Interaction units: a random one-hidden-layer ReLU network, each unit wired to 3 fields.
    for (int h = 0; h < UNITS; h++) {
      double a = unitBias[h];
      for (int q = 0; q < UNIT_FIELDS; q++) {
        int f = unitField[h][q];
        double amp = amplitude(ids[f]);
        for (int k = 0; k < FACTOR_DIM; k++) {
          a += unitWeight[h][q][k] * amp * paramGaussian(f, ids[f], 1 + k);
        }
      }
      logit += unitOut[h] * Math.max(0, a);
    }
    if (regions > 0 && heterogeneity > 0) {
      int q = regionOf(i);
      double shift = regionShift[q];
      for (int f : REGION_EFFECT_FIELDS) {
        shift += 0.5 * amplitude(ids[f]) * paramGaussian(f, ids[f], 100 + q);
      }
      logit += heterogeneity * shift;
    }
    double clean = 1 / (1 + Math.exp(-logit));
    double noisy = 1 / (1 + Math.exp(-(logit + NOISE_STD * gaussian(r))));
    out.label = r.nextDouble() < noisy ? 1f : 0f;
    return clean;
  }

  private double solveIntercept() {
    int n = 20_000;
    double[] base = new double[n];
    RawRecord rec = schema.newRecord();
    for (int i = 0; i < n; i++) {
      double p = generate(Long.MAX_VALUE - i, rec, 0);
      base[i] = Math.log(p / (1 - p));
    }
    double lo = -10;
    double hi = 10;
    for (int it = 0; it < 60; it++) {
      double mid = (lo + hi) / 2;
      double mean = 0;
      for (double b : base) {
        // Noise widens the logit; E[sigmoid(x + eps)] ~ sigmoid(x / sqrt(1 + pi s^2 / 8)).
        mean += 1 / (1 + Math.exp(-(b + mid) / Math.sqrt(1 + Math.PI * NOISE_STD * NOISE_STD / 8)));
      }
      if (mean / n < TARGET_CTR) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return (lo + hi) / 2;
  }

  /**
   * Effect size of the id at Zipf rank {@code rank}: 1 for the head, decaying as
   * 1 / sqrt(1 + rank / {@value #HEAD_RANKS}) in the tail, so that the planted signal lives mostly
   * in ids a model can see often enough to learn (rare ids act like noise, as in real logs).
   */
  private static double amplitude(int rank) {
    return 1 / Math.sqrt(1 + rank / HEAD_RANKS);
  }

  private int sampleZipf(int f, double u) {
    double[] cdf = zipfCdf[f];
    int lo = 0;
    int hi = cdf.length - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private String idName(int f, int id) {
    String s = idNames[f][id];
    if (s == null) {
      s = String.format("%08x", (int) mix(seed * 31 + f, id));
      idNames[f][id] = s;
    }
    return s;
  }

  /** A standard normal that is a pure function of (seed, field, id, slot). */
  private double paramGaussian(int f, int id, int slot) {
    long h = mix(mix(mix(seed, f + 1000L), id), slot);
    double u1 = ((h >>> 11) + 0.5) * 0x1.0p-53;
    double u2 = ((mix(h, 7) >>> 11) + 0.5) * 0x1.0p-53;
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  private static double gaussian(SplittableRandom r) {
    double u1 = 1 - r.nextDouble();
    double u2 = r.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  static long mix(long a, long b) {
    return fmix(a * 0x9E3779B97F4A7C15L + b);
  }

  static long mix(long a) {
    return fmix(a);
  }

  private static long fmix(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb53a87e58ccdL;
    k ^= k >>> 33;
    return k;
  }
}
