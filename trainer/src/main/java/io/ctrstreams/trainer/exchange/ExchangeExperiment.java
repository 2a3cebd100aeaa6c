package io.ctrstreams.trainer.exchange;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureEncoder;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.delta.ValueEncoding;
import io.ctrstreams.model.eval.BinaryMetrics;
import io.ctrstreams.trainer.Batch;
import io.ctrstreams.trainer.Features;
import io.ctrstreams.trainer.Trainer;
import io.ctrstreams.trainer.TrainerConfig;
import io.ctrstreams.trainer.TrainerException;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.SyntheticStream;
import io.ctrstreams.trainer.online.OnlineModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The in-process data-parallel experiment of issue 15: {@code n} workers, each with its own
 * slice of the heterogeneous synthetic stream ({@link SyntheticStream} with regions), train the
 * online model shape ({@link OnlineModels#spec}) with the real backprop ({@link
 * Trainer#gradient}) in synchronous rounds; the gradients go through an {@link
 * InProcessExchange} and the estimate is applied with {@link Trainer#applyGradient}. Because all
 * replicas apply the same estimate to the same weights (the exchange's slot-order sum), one
 * {@link Trainer} stands for all of them; each worker's gradient is taken at those weights.
 *
 * <p>Partitioning: {@code heterogeneous} gives worker {@code w} the regions {@code q} with
 * {@code q mod n = w} (as Kafka partitions keyed by region would), {@code random} gives it rows
 * {@code w, w + n, ...} (every worker sees the same distribution). Held-out logloss and AUC are
 * measured on the stream's first rows (all regions), which no worker trains on (workers start at
 * row {@value #TRAINING_START_ROW}).
 */
public final class ExchangeExperiment {
  /** First training row: far from the held-out rows at 0. */
  public static final long TRAINING_START_ROW = 1L << 40;

  /** How the stream is split among workers. */
  public enum Partitioning {
    /** By region: each worker sees its own regions' teacher. */
    HETEROGENEOUS,
    /** Round-robin by row: every worker sees the mixture. */
    RANDOM
  }

  /**
   * One run's settings.
   *
   * @param eta EControl's eta; NaN = {@link ExchangeAlgorithm#defaultEta} of the compressor
   * @param batch examples per worker per round
   * @param examples total training examples (all workers) of the run
   * @param evalEvery examples between held-out evaluations
   * @param learningRate dense learning rate (Adam's step, or SGD's); NaN = {@link
   *     TrainerConfig#defaults()}
   * @param embeddingLearningRate table learning rate (Adagrad's, or SGD's); NaN = {@link
   *     TrainerConfig#defaults()}
   * @param shift where the shift of econtrol and ef21 acts ({@link ShiftScope}; the paper: ALL)
   * @param denseRatio top-k ratio of the dense tensors; NaN = {@code ratio} (which the tables use)
   * @param tensorEta with a default eta: econtrol's eta per tensor, {@code k_t / units_t}
   * @param measuredEta with a default eta: NaN, or the scale c of econtrol's measured eta per
   *     tensor ({@link ExchangeWorker#useMeasuredEtas}), in (0, 1]
   * @param measuredEtaCap the measured eta's upper bound, in (0, 1]
   * @param denseEncoding the dense tensors' value encoding: null = {@code encoding}, or INT8 with
   *     {@code denseRatio = 1} (whole tensors, {@link TopKCompressor})
   */
  public record Settings(int workers, ExchangeAlgorithm algorithm, double eta, double ratio, ValueEncoding encoding,
      Partitioning partitioning, int batch, long examples, long evalEvery, int evalRows, long seed, int regions,
      double heterogeneity, int embeddingDim, int hashBuckets, int[] mlp, Trainer.Update update, double learningRate,
      double embeddingLearningRate, ShiftScope shift, double denseRatio, boolean tensorEta, double measuredEta,
      double measuredEtaCap, ValueEncoding denseEncoding) {
    /** Validates, naming the offending value. */
    public Settings {
      Objects.requireNonNull(algorithm, "algorithm");
      Objects.requireNonNull(shift, "shift");
      Objects.requireNonNull(encoding, "encoding");
      Objects.requireNonNull(partitioning, "partitioning");
      Objects.requireNonNull(update, "update");
      if (workers < 1 || workers > 64) {
        throw new TrainerException("workers must be in [1, 64], found " + workers);
      }
      if (batch < 1 || examples < (long) batch * workers || evalEvery < 1 || evalRows < 100) {
        throw new TrainerException("need batch >= 1, examples >= batch * workers, eval every >= 1 and eval rows >= 100,"
            + " found batch " + batch + ", examples " + examples + ", eval every " + evalEvery + ", eval rows " + evalRows);
      }
      if (regions < workers && partitioning == Partitioning.HETEROGENEOUS) {
        throw new TrainerException("heterogeneous partitioning needs at least one region per worker, found " + regions
            + " regions for " + workers + " workers");
      }
      if (!(Double.isNaN(denseRatio) || denseRatio > 0 && denseRatio <= 1)) {
        throw new TrainerException("dense top-k ratio must be in (0, 1], found " + denseRatio);
      }
      if (!(Double.isNaN(learningRate) || learningRate > 0) || !(Double.isNaN(embeddingLearningRate)
          || embeddingLearningRate > 0) || Double.isInfinite(learningRate) || Double.isInfinite(embeddingLearningRate)) {
        throw new TrainerException("learning rates must be finite and > 0, found " + learningRate + " and "
            + embeddingLearningRate);
      }
      if (!(Double.isNaN(measuredEta) || measuredEta > 0 && measuredEta <= 1)) {
        throw new TrainerException("measured eta scale must be in (0, 1], found " + measuredEta);
      }
      if (!(measuredEtaCap > 0 && measuredEtaCap <= 1)) {
        throw new TrainerException("measured eta cap must be in (0, 1], found " + measuredEtaCap);
      }
      if (denseEncoding != null && denseEncoding != encoding && !(denseEncoding == ValueEncoding.INT8 && denseRatio == 1)) {
        throw new TrainerException("dense values " + denseEncoding + " need " + (denseEncoding == ValueEncoding.INT8
            ? "the dense tensors sent whole (dense ratio 1), found " + denseRatio : "int8 or the tables' " + encoding));
      }
    }

    /** With the dense tensors in the tables' encoding. */
    public Settings(int workers, ExchangeAlgorithm algorithm, double eta, double ratio, ValueEncoding encoding,
        Partitioning partitioning, int batch, long examples, long evalEvery, int evalRows, long seed, int regions,
        double heterogeneity, int embeddingDim, int hashBuckets, int[] mlp, Trainer.Update update, double learningRate,
        double embeddingLearningRate, ShiftScope shift, double denseRatio, boolean tensorEta, double measuredEta,
        double measuredEtaCap) {
      this(workers, algorithm, eta, ratio, encoding, partitioning, batch, examples, evalEvery, evalRows, seed, regions,
          heterogeneity, embeddingDim, hashBuckets, mlp, update, learningRate, embeddingLearningRate, shift, denseRatio,
          tensorEta, measuredEta, measuredEtaCap, null);
    }

    /** Without measured eta. */
    public Settings(int workers, ExchangeAlgorithm algorithm, double eta, double ratio, ValueEncoding encoding,
        Partitioning partitioning, int batch, long examples, long evalEvery, int evalRows, long seed, int regions,
        double heterogeneity, int embeddingDim, int hashBuckets, int[] mlp, Trainer.Update update, double learningRate,
        double embeddingLearningRate, ShiftScope shift, double denseRatio, boolean tensorEta) {
      this(workers, algorithm, eta, ratio, encoding, partitioning, batch, examples, evalEvery, evalRows, seed, regions,
          heterogeneity, embeddingDim, hashBuckets, mlp, update, learningRate, embeddingLearningRate, shift, denseRatio,
          tensorEta, Double.NaN, 1);
    }

    /** With the paper's shift ({@link ShiftScope#ALL}). */
    public Settings(int workers, ExchangeAlgorithm algorithm, double eta, double ratio, ValueEncoding encoding,
        Partitioning partitioning, int batch, long examples, long evalEvery, int evalRows, long seed, int regions,
        double heterogeneity, int embeddingDim, int hashBuckets, int[] mlp, Trainer.Update update, double learningRate,
        double embeddingLearningRate) {
      this(workers, algorithm, eta, ratio, encoding, partitioning, batch, examples, evalEvery, evalRows, seed, regions,
          heterogeneity, embeddingDim, hashBuckets, mlp, update, learningRate, embeddingLearningRate, ShiftScope.ALL,
          Double.NaN, false);
    }

    /** With the default learning rates. */
    public Settings(int workers, ExchangeAlgorithm algorithm, double eta, double ratio, ValueEncoding encoding,
        Partitioning partitioning, int batch, long examples, long evalEvery, int evalRows, long seed, int regions,
        double heterogeneity, int embeddingDim, int hashBuckets, int[] mlp, Trainer.Update update) {
      this(workers, algorithm, eta, ratio, encoding, partitioning, batch, examples, evalEvery, evalRows, seed, regions,
          heterogeneity, embeddingDim, hashBuckets, mlp, update, Double.NaN, Double.NaN);
    }
  }

  /** A held-out measurement after {@code examples} training examples. */
  public record Point(long examples, double logloss, double auc) {}

  /**
   * What a run measured.
   *
   * @param bytesPerRound bytes all workers sent per round, mean
   * @param denseBytesPerRound what uncompressed fp32 messages of all workers would take
   * @param computeSeconds time in forward/backward (all workers, sequentially in this process)
   * @param exchangeSeconds time in encoding, aggregation and the optimizer update
   */
  public record Result(Settings settings, List<Point> curve, long rounds, double bytesPerRound,
      double denseBytesPerRound, double computeSeconds, double exchangeSeconds, double finalErrorNorm,
      double finalShiftNorm, int parameters) {
    public Point last() {
      return curve.get(curve.size() - 1);
    }
  }

  private ExchangeExperiment() {}

  /** The model the experiment trains (the online trainer's shape, smaller tables). */
  public static ModelSpec spec(Settings s) {
    return OnlineModels.spec(new SyntheticStream(s.seed(), s.regions(), 0).schema(), "exchange-experiment",
        Architecture.DNN, s.embeddingDim(), s.hashBuckets(), s.mlp());
  }

  /** Runs {@code s}; {@code progress} gets one line per evaluation. */
  public static Result run(Settings s, Consumer<String> progress) {
    int n = s.workers();
    SyntheticStream[] streams = new SyntheticStream[n];
    long[] next = new long[n];
    for (int w = 0; w < n; w++) {
      streams[w] = new SyntheticStream(s.seed(), s.regions(), s.heterogeneity());
      next[w] = TRAINING_START_ROW + (s.partitioning() == Partitioning.RANDOM ? w : 0);
    }
    ModelSpec spec = spec(s);
    CtrModel init = CtrModel.random(spec, s.seed());
    FeatureEncoder enc = init.encoder();
    FeatureVector fv = enc.newFeatureVector();
    TrainerConfig tc = TrainerConfig.defaults().withBatchSize(Math.max(s.batch(), 1024)).withThreads(1).withGemm("java")
        .withSeed(s.seed());
    tc = tc.withLearningRates(Double.isNaN(s.learningRate()) ? tc.learningRate() : s.learningRate(),
        Double.isNaN(s.embeddingLearningRate()) ? tc.embeddingLearningRate() : s.embeddingLearningRate());
    HeldOutSet held = new HeldOutSet(streams[0], enc, s.evalRows(), tc.batchSize());
    List<Point> curve = new ArrayList<>();
    try (Trainer t = new Trainer(init, tc)) {
      ParamLayout.Builder lb = ParamLayout.builder();
      for (Trainer.FlatTensor ft : t.flatLayout()) {
        lb.add(ft.name(), ft.length(), ft.unit());
      }
      ParamLayout layout = lb.build();
      int d = layout.size();
      InProcessExchange ex = new InProcessExchange(s.algorithm(), layout, n, s.ratio(),
          Double.isNaN(s.denseRatio()) ? s.ratio() : s.denseRatio(), s.encoding(),
          s.denseEncoding() == null ? s.encoding() : s.denseEncoding(), s.eta(), s.shift(), s.tensorEta(),
          s.measuredEta(), s.measuredEtaCap());
      float[][] grads = new float[n][d];
      float[] est = new float[d];
      Batch batch = new Batch(spec.fieldCount(), tc.batchSize());
      RawRecord rec = streams[0].schema().newRecord();
      long seen = 0;
      long nextEval = 0;
      long rounds = 0;
      long computeNs = 0;
      long exchangeNs = 0;
      while (true) {
        if (seen >= nextEval) {
          Point p = held.measure(t, seen);
          curve.add(p);
          progress.accept(String.format(java.util.Locale.ROOT,
              "%s%s n=%d %s eta=%s examples=%d logloss=%.5f auc=%.5f second-moment tables=%.4g dense=%.4g%s",
              s.algorithm().configName(), s.shift() == ShiftScope.ALL ? "" : " (" + s.shift().configName() + ")", n,
              s.partitioning().name().toLowerCase(java.util.Locale.ROOT), etaText(s), seen, p.logloss(), p.auc(),
              t.secondMomentSums()[0], t.secondMomentSums()[1], measuredEtaText(ex, layout)));
          nextEval += s.evalEvery();
          if (!Double.isFinite(p.logloss())) {
            break; // diverged: the curve ends here
          }
        }
        if (seen >= s.examples()) {
          break;
        }
        long c0 = System.nanoTime();
        for (int w = 0; w < n; w++) {
          batch.clear();
          for (int k = 0; k < s.batch(); k++) {
            long row = nextRow(s, streams[w], next, w);
            streams[w].row(row, rec);
            fv.clear();
            Features.encode(enc, rec, fv);
            batch.add(fv, rec.label, Float.NaN);
          }
          t.gradient(batch, grads[w]);
        }
        long c1 = System.nanoTime();
        ex.round(grads, est);
        t.applyGradient(est, s.update());
        exchangeNs += System.nanoTime() - c1;
        computeNs += c1 - c0;
        rounds++;
        seen += (long) n * s.batch();
      }
      double en = 0;
      double hn = 0;
      for (int w = 0; w < n; w++) {
        en += ex.worker(w).errorNorm() / n;
        hn += ex.worker(w).shiftNorm() / n;
      }
      return new Result(s, curve, rounds, rounds == 0 ? 0 : (double) ex.totalBytes() / rounds, 4.0 * d * n,
          computeNs / 1e9, exchangeNs / 1e9, en, hn, d);
    }
  }

  private static String etaText(Settings s) {
    if (s.algorithm() != ExchangeAlgorithm.ECONTROL) {
      return "-";
    }
    if (Double.isNaN(s.eta()) && !Double.isNaN(s.measuredEta())) {
      return "measured:" + s.measuredEta();
    }
    return Double.isNaN(s.eta()) ? (s.tensorEta() ? "per-tensor" : "default") : Double.toString(s.eta());
  }

  /** With measured etas: worker 0's current eta, mean over the tables and over the dense tensors. */
  private static String measuredEtaText(InProcessExchange ex, ParamLayout layout) {
    double[] et = ex.worker(0).tensorEtas();
    if (et == null) {
      return "";
    }
    double tables = 0;
    double dense = 0;
    int nt = 0;
    int nd = 0;
    for (int t = 0; t < et.length; t++) {
      if (layout.segments().get(t).unit() > 1) {
        tables += et[t];
        nt++;
      } else {
        dense += et[t];
        nd++;
      }
    }
    return String.format(java.util.Locale.ROOT, " measured-eta tables=%.4f dense=%.4f", nt == 0 ? 0 : tables / nt,
        nd == 0 ? 0 : dense / nd);
  }

  /** The next training row of worker {@code w} under the partitioning. */
  private static long nextRow(Settings s, SyntheticStream stream, long[] next, int w) {
    int n = s.workers();
    if (s.partitioning() == Partitioning.RANDOM || n == 1) {
      long row = next[w];
      next[w] += n;
      return row;
    }
    long row = next[w];
    while (stream.regionOf(row) % n != w) {
      row++;
    }
    next[w] = row + 1;
    return row;
  }

  /** The held-out rows, encoded once. */
  private static final class HeldOutSet {
    private final List<Batch> chunks = new ArrayList<>();
    private final float[] y;
    private final float[] p;
    private final float[] logits;

    HeldOutSet(SyntheticStream stream, FeatureEncoder enc, int rows, int chunk) {
      RawRecord r = stream.schema().newRecord();
      FeatureVector v = enc.newFeatureVector();
      y = new float[rows];
      p = new float[rows];
      logits = new float[chunk];
      Batch b = null;
      for (int i = 0; i < rows; i++) {
        if (b == null || b.isFull()) {
          b = new Batch(enc.spec().fieldCount(), chunk);
          chunks.add(b);
        }
        stream.row(i, r);
        v.clear();
        Features.encode(enc, r, v);
        b.add(v, r.label, Float.NaN);
        y[i] = r.label;
      }
    }

    Point measure(Trainer t, long seen) {
      int i = 0;
      for (Batch b : chunks) {
        t.predictLogits(b, logits);
        for (int k = 0; k < b.size(); k++) {
          double z = logits[k];
          p[i++] = (float) (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
        }
      }
      for (float q : p) {
        if (!Float.isFinite(q)) {
          return new Point(seen, Double.NaN, Double.NaN);
        }
      }
      return new Point(seen, BinaryMetrics.logloss(p, y, p.length), BinaryMetrics.auc(p, y, p.length));
    }
  }
}
