package io.ctrstreams.trainer;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.Calibration;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureEncoder;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.Scorer;
import io.ctrstreams.model.Tensor;
import io.ctrstreams.model.eval.BinaryMetrics;
import io.ctrstreams.trainer.data.AvazuReader;
import io.ctrstreams.trainer.data.CriteoReader;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.RawSchema;
import io.ctrstreams.trainer.data.RecordReader;
import io.ctrstreams.trainer.data.SyntheticReader;
import io.ctrstreams.trainer.data.SyntheticStream;
import io.ctrstreams.trainer.data.VocabularyBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One end-to-end training job, as {@code ctr train} runs it: split, vocabulary on the training
 * split, model init, epochs of shuffled mini-batches, validation metrics.
 *
 * <p>Data is streamed: every pass re-opens the source and reads it once (files larger than memory
 * work); shuffling uses a bounded buffer ({@code shuffleBuffer} encoded examples, reservoir
 * style). The split is by position: the first {@code (1 - validSplit)} of the rows train, the
 * rest validate, as in a temporal split.
 */
public final class TrainingRun {
  private TrainingRun() {}

  /**
   * Options of a run.
   *
   * @param format criteo, avazu or synthetic
   * @param data input file (ignored for synthetic)
   * @param rows rows to use (0 = all; synthetic needs a value)
   * @param architecture model family
   * @param validSplit share of rows held out for validation
   * @param epochs passes over the training rows
   * @param embeddingDim embedding dim of every field
   * @param mlp hidden layer sizes
   * @param crossLayers DCN-V2 cross layers
   * @param minCount vocabulary min count
   * @param hashBuckets &gt; 0: hashing mode with this many rows per categorical field
   * @param trainer optimizer settings (its seed seeds init and shuffling)
   * @param shuffleBuffer examples in the shuffle buffer
   * @param baseline also train the hashed logistic-regression baseline on the same split
   * @param modelName name stored in the model
   * @param earlyStopping when to evaluate the validation split and when to stop
   * @param calibration the calibration map fitted on the validation split's logits of the returned
   *     model and stored with it (NONE: plain sigmoid)
   */
  public record Options(
      String format,
      Path data,
      long rows,
      Architecture architecture,
      double validSplit,
      int epochs,
      int embeddingDim,
      int[] mlp,
      int crossLayers,
      int minCount,
      int hashBuckets,
      TrainerConfig trainer,
      int shuffleBuffer,
      boolean baseline,
      String modelName,
      EarlyStopping earlyStopping,
      Calibration.Kind calibration) {

    /** Platt calibration. */
    public Options(String format, Path data, long rows, Architecture architecture, double validSplit, int epochs,
        int embeddingDim, int[] mlp, int crossLayers, int minCount, int hashBuckets, TrainerConfig trainer,
        int shuffleBuffer, boolean baseline, String modelName, EarlyStopping earlyStopping) {
      this(format, data, rows, architecture, validSplit, epochs, embeddingDim, mlp, crossLayers, minCount, hashBuckets,
          trainer, shuffleBuffer, baseline, modelName, earlyStopping, Calibration.Kind.PLATT);
    }

    /** Without an early-stopping choice: {@link EarlyStopping#defaults()}. */
    public Options(String format, Path data, long rows, Architecture architecture, double validSplit, int epochs,
        int embeddingDim, int[] mlp, int crossLayers, int minCount, int hashBuckets, TrainerConfig trainer,
        int shuffleBuffer, boolean baseline, String modelName) {
      this(format, data, rows, architecture, validSplit, epochs, embeddingDim, mlp, crossLayers, minCount, hashBuckets,
          trainer, shuffleBuffer, baseline, modelName, EarlyStopping.defaults());
    }

    /** Validates ranges, naming the value. */
    public Options {
      if (earlyStopping == null) {
        throw new TrainerException("early stopping settings must be given");
      }
      if (calibration == null) {
        throw new TrainerException("calibration kind must be given (NONE for none)");
      }
      if (!List.of("criteo", "avazu", "libfm", "synthetic").contains(format)) {
        throw new TrainerException("format must be criteo, avazu, libfm or synthetic, found " + format);
      }
      if (!"synthetic".equals(format) && data == null) {
        throw new TrainerException("format " + format + " needs a data file");
      }
      if ("synthetic".equals(format) && rows <= 0) {
        throw new TrainerException("synthetic data needs rows > 0, found " + rows);
      }
      if (rows < 0) {
        throw new TrainerException("rows must be >= 0, found " + rows);
      }
      if (!(validSplit > 0 && validSplit < 1)) {
        throw new TrainerException("valid split must be in (0, 1), found " + validSplit);
      }
      if (epochs < 1) {
        throw new TrainerException("epochs must be >= 1, found " + epochs);
      }
      if (minCount < 1) {
        throw new TrainerException("min count must be >= 1, found " + minCount);
      }
      if (hashBuckets < 0) {
        throw new TrainerException("hash buckets must be >= 0, found " + hashBuckets);
      }
      if (shuffleBuffer < 1) {
        throw new TrainerException("shuffle buffer must be >= 1, found " + shuffleBuffer);
      }
    }

    /** Criteo-shape defaults: emb 16, MLP 400-400-400, 3 cross layers, min count 10, one epoch. */
    public static Options defaults(String format, Path data, long rows, Architecture arch) {
      return new Options(format, data, rows, arch, 0.2, 1, 16, new int[] {400, 400, 400}, 3, 10, 0,
          TrainerConfig.defaults(), 100_000, false, format + "-" + arch.name().toLowerCase());
    }

    public Options withEarlyStopping(EarlyStopping e) {
      return new Options(format, data, rows, architecture, validSplit, epochs, embeddingDim, mlp, crossLayers,
          minCount, hashBuckets, trainer, shuffleBuffer, baseline, modelName, e, calibration);
    }

    public Options withCalibration(Calibration.Kind k) {
      return new Options(format, data, rows, architecture, validSplit, epochs, embeddingDim, mlp, crossLayers,
          minCount, hashBuckets, trainer, shuffleBuffer, baseline, modelName, earlyStopping, k);
    }

    public Options withEpochs(int e) {
      return new Options(format, data, rows, architecture, validSplit, e, embeddingDim, mlp, crossLayers,
          minCount, hashBuckets, trainer, shuffleBuffer, baseline, modelName, earlyStopping, calibration);
    }
  }

  /**
   * When the validation split is evaluated and when training stops. The validation split is
   * evaluated after every epoch and, if {@code evalEvery > 0}, every {@code evalEvery} optimizer
   * steps; the weights of the best evaluation (by {@code metric}) are kept and are the model the
   * run returns, so a run never ends worse on the validation split than its best evaluation.
   *
   * @param evalEvery optimizer steps between evaluations within an epoch (0 = at epoch ends only)
   * @param patience stop after this many evaluations in a row without improvement (0 = never stop
   *     early and return the last weights: early stopping off)
   * @param metric "logloss" (lower is better) or "auc" (higher is better)
   */
  public record EarlyStopping(long evalEvery, int patience, String metric) {
    public EarlyStopping {
      if (evalEvery < 0) {
        throw new TrainerException("eval-every must be >= 0 steps, found " + evalEvery);
      }
      if (patience < 0) {
        throw new TrainerException("patience must be >= 0 evaluations, found " + patience);
      }
      if (!"logloss".equals(metric) && !"auc".equals(metric)) {
        throw new TrainerException("early-stopping metric must be logloss or auc, found " + metric);
      }
    }

    /** Evaluate at epoch ends, stop after 2 evaluations without a lower logloss. */
    public static EarlyStopping defaults() {
      return new EarlyStopping(0, 2, "logloss");
    }

    /** No early stopping: train every epoch and return the last weights (evaluations still logged). */
    public static EarlyStopping off() {
      return new EarlyStopping(0, 0, "logloss");
    }

    public boolean enabled() {
      return patience > 0;
    }

    boolean better(Evaluation e, Evaluation best) {
      if (best == null) {
        return true;
      }
      return "auc".equals(metric) ? e.auc() > best.auc() : e.logloss() < best.logloss();
    }
  }

  /**
   * One evaluation of the validation split.
   *
   * @param index 0-based evaluation number
   * @param epoch 1-based epoch during which it ran
   * @param step optimizer steps taken so far
   * @param examples training examples seen so far
   * @param best whether it improved on every earlier evaluation (its weights are the kept ones)
   */
  public record Evaluation(int index, int epoch, long step, long examples, double auc, double logloss,
      double calibration, boolean best) {}

  /**
   * What a run produced.
   *
   * @param stepExamplesPerSecond examples / second of the optimizer steps alone (no data reading)
   * @param wallExamplesPerSecond training examples / second end to end (reading, encoding, steps)
   * @param teacherAuc AUC of the synthetic teacher on the validation rows (NaN for real data)
   * @param baselineAuc validation AUC of the hashed LR baseline (NaN unless requested)
   * @param validLogloss validation logloss of the returned weights with the plain sigmoid (also
   *     {@code validAuc}, {@code validCalibration})
   * @param calibratedLogloss validation logloss with the model's calibration map (fitted on these
   *     rows, so in-sample; {@code ctr eval} on other rows is the out-of-sample check)
   * @param calibratedCalibration mean pCTR / observed CTR on the validation split with the map
   */
  public record Result(
      CtrModel model,
      double validAuc,
      double validLogloss,
      double validCalibration,
      long trainRows,
      long validRows,
      double stepExamplesPerSecond,
      double wallExamplesPerSecond,
      double teacherAuc,
      double baselineAuc,
      double baselineLogloss,
      List<Evaluation> curve,
      int epochsRun,
      boolean stoppedEarly,
      double calibratedLogloss,
      double calibratedCalibration) {

    /** The evaluation whose weights the model holds. */
    public Evaluation chosen() {
      Evaluation c = null;
      for (Evaluation e : curve) {
        if (e.best()) {
          c = e;
        }
      }
      return c;
    }
  }

  /** Receives progress while training. */
  public interface Progress {
    void report(long rows, double examplesPerSecond, double loss);

    /** One evaluation of the validation split, as it happens. */
    default void evaluated(Evaluation e) {}
  }

  /** Runs the job. */
  public static Result run(Options o, Progress progress) throws IOException {
    SyntheticStream syn = "synthetic".equals(o.format()) ? new SyntheticStream(o.trainer().seed()) : null;
    long total = o.rows();
    if (syn == null) {
      long available = countRows(o);
      total = total == 0 ? available : Math.min(total, available);
    }
    long validRows = Math.round(total * o.validSplit());
    long trainRows = total - validRows;
    if (trainRows < 1 || validRows < 1) {
      throw new TrainerException("split of " + total + " rows at " + o.validSplit() + " leaves " + trainRows
          + " training and " + validRows + " validation rows");
    }
    RawSchema schema = syn != null ? syn.schema() : schemaOf(o.format(), o.data());

    Map<String, List<String>> vocab = null;
    if (o.hashBuckets() == 0) {
      VocabularyBuilder vb = new VocabularyBuilder(schema, o.minCount());
      try (RecordReader r = open(o, syn, 0, trainRows)) {
        RawRecord rec = schema.newRecord();
        for (long i = 0; i < trainRows && r.next(rec); i++) {
          vb.add(rec);
        }
      }
      vocab = vb.build();
    }
    List<FieldSpec> fields = Features.fieldSpecs(schema, vocab, o.hashBuckets(), 1, o.embeddingDim());
    ModelSpec spec = ModelSpec.builder()
        .name(o.modelName())
        .architecture(o.architecture())
        .fields(fields)
        .mlp(o.mlp())
        .crossLayers(o.architecture() == Architecture.DCNV2 ? o.crossLayers() : 0)
        .build();
    boolean fm = isPureFm(o.architecture(), o.mlp());
    CtrModel init = withVocabulary(CtrModel.random(spec, o.trainer().seed()), vocab);
    if (fm) {
      init = pureFm(init);
    }
    FeatureEncoder enc = new FeatureEncoder(spec, vocab == null ? Map.of() : vocab);
    FeatureVector fv = spec.newFeatureVector();

    HashedLogisticRegression lr = o.baseline() ? new HashedLogisticRegression(1 << 20, 0.05, 1e-6) : null;
    if (validRows > Integer.MAX_VALUE - 8) {
      throw new TrainerException("validation split of " + validRows + " rows is too large; lower the valid split");
    }
    // The validation split, encoded once and evaluated many times.
    int nValid = (int) validRows;
    Batch valid = new Batch(spec.fieldCount(), nValid);
    double[] teacher = syn != null ? new double[nValid] : null;
    boolean[] y = new boolean[nValid];
    RawRecord rec = schema.newRecord();
    try (RecordReader r = open(o, syn, trainRows, total)) {
      skipTrainRows(r, syn, trainRows, rec);
      while (valid.size() < nValid && r.next(rec)) {
        Features.encode(enc, rec, fv);
        int at = valid.size();
        y[at] = rec.label > 0.5f;
        if (teacher != null) {
          teacher[at] = teacherOf(r);
        }
        valid.add(fv, rec.label, Float.NaN);
      }
    }
    if (valid.size() != validRows) {
      throw new TrainerException("expected " + validRows + " validation rows, read " + valid.size());
    }
    long wallStart = System.nanoTime();
    try (Trainer trainer = new Trainer(init, o.trainer())) {
      if (fm) {
        trainer.freeze("out/w");
        trainer.freeze("out/b");
      }
      Loop loop = new Loop(o, trainer, valid, y, progress, trainRows);
      Batch shuffle = new Batch(spec.fieldCount(), (int) Math.min(o.shuffleBuffer(), trainRows));
      Batch batch = loop.batch;
      SplittableRandom rnd = new SplittableRandom(o.trainer().seed() * 31 + 7);
      long lastReport = System.nanoTime();
      double lossEma = Double.NaN;
      int epochsRun = 0;
      for (int epoch = 0; epoch < o.epochs() && !loop.stop; epoch++) {
        loop.epoch = epoch + 1;
        epochsRun = epoch + 1;
        shuffle.clear();
        try (RecordReader r = open(o, syn, 0, trainRows)) {
          for (long i = 0; i < trainRows && !loop.stop && r.next(rec); i++) {
            if (lr != null) {
              lr.update(rec);
            }
            Features.encode(enc, rec, fv);
            if (!shuffle.isFull()) {
              shuffle.add(fv, rec.label, teacherOf(r));
              continue;
            }
            int j = rnd.nextInt(shuffle.size());
            batch.addFrom(shuffle, j);
            overwrite(shuffle, j, fv, rec.label, teacherOf(r));
            if (batch.isFull()) {
              double loss = loop.step();
              lossEma = Double.isNaN(lossEma) ? loss : 0.98 * lossEma + 0.02 * loss;
              if (progress != null && System.nanoTime() - lastReport > 2_000_000_000L) {
                lastReport = System.nanoTime();
                progress.report(loop.trained, loop.trained / ((lastReport - wallStart) / 1e9), lossEma);
              }
            }
          }
        }
        // Drain the buffer in random order.
        for (int k = shuffle.size() - 1; k > 0 && !loop.stop; k--) {
          shuffle.swap(k, rnd.nextInt(k + 1));
        }
        for (int k = 0; k < shuffle.size() && !loop.stop; k++) {
          batch.addFrom(shuffle, k);
          if (batch.isFull() || k == shuffle.size() - 1) {
            loop.step();
          }
        }
        batch.clear();
        if (!loop.stop && loop.lastEvalStep != trainer.steps()) {
          loop.evaluate();
        }
      }
      double wall = (System.nanoTime() - wallStart) / 1e9;
      Evaluation last = loop.curve.get(loop.curve.size() - 1);
      Evaluation returned = o.earlyStopping().enabled() ? loop.best : last;
      CtrModel model = o.earlyStopping().enabled() ? loop.bestModel : loop.snapshot();
      Map<String, String> meta = new LinkedHashMap<>(model.metadata());
      meta.put("trainer.epochsRun", Integer.toString(epochsRun));
      meta.put("trainer.step", Long.toString(returned.step()));
      meta.put("trainer.earlyStopping", o.earlyStopping().enabled()
          ? o.earlyStopping().metric() + ",patience=" + o.earlyStopping().patience() + ",evalEvery="
              + o.earlyStopping().evalEvery()
          : "off");
      model = model.withMetadata(meta);
      // Calibration map on the held-out rows, from the returned model's own scorer.
      double[] z = new double[nValid];
      FeatureVector row = spec.newFeatureVector();
      Scorer scorer = model.scorer();
      int nf = spec.fieldCount();
      for (int i = 0; i < nValid; i++) {
        for (int f = 0; f < nf; f++) {
          row.set(f, valid.index[i * nf + f], valid.value[i * nf + f]);
        }
        z[i] = scorer.scoreLogit(row, row);
      }
      Calibration cal = switch (o.calibration()) {
        case PLATT -> Calibration.fitPlatt(z, y);
        case ISOTONIC -> Calibration.fitIsotonic(z, y);
        case NONE -> Calibration.none();
      };
      model = model.withCalibration(cal);
      double[] pc = new double[nValid];
      for (int i = 0; i < nValid; i++) {
        pc[i] = cal.apply(z[i]);
      }
      double[] base = null;
      if (lr != null) {
        base = new double[nValid];
        try (RecordReader r = open(o, syn, trainRows, total)) {
          skipTrainRows(r, syn, trainRows, rec);
          for (int i = 0; i < nValid && r.next(rec); i++) {
            base[i] = lr.predict(rec);
          }
        }
      }
      double teacherAuc = teacher != null ? BinaryMetrics.auc(teacher, y) : Double.NaN;
      return new Result(model, returned.auc(), returned.logloss(), returned.calibration(),
          trainRows, validRows, loop.trained / (loop.stepNanos / 1e9), loop.trained / wall, teacherAuc,
          base != null ? BinaryMetrics.auc(base, y) : Double.NaN,
          base != null ? BinaryMetrics.logloss(base, y) : Double.NaN,
          List.copyOf(loop.curve), epochsRun, loop.stop, BinaryMetrics.logloss(pc, y), BinaryMetrics.calibration(pc, y));
    }
  }

  /** Training-loop state: steps, evaluations, the best weights so far. */
  private static final class Loop {
    final Options o;
    final Trainer trainer;
    final Batch valid;
    final boolean[] y;
    final Progress progress;
    final Batch batch;
    final Batch evalBatch;
    final float[] logits;
    final double[] p;
    final List<Evaluation> curve = new ArrayList<>();
    Evaluation best;
    CtrModel bestModel;
    int sinceBest;
    boolean stop;
    int epoch;
    long lastEvalStep = -1;
    long stepNanos;
    long trained;
    final long trainRows;

    Loop(Options o, Trainer trainer, Batch valid, boolean[] y, Progress progress, long trainRows) {
      this.o = o;
      this.trainRows = trainRows;
      this.trainer = trainer;
      this.valid = valid;
      this.y = y;
      this.progress = progress;
      this.batch = new Batch(valid.fields(), o.trainer().batchSize());
      this.evalBatch = new Batch(valid.fields(), o.trainer().batchSize());
      this.logits = new float[o.trainer().batchSize()];
      this.p = new double[valid.size()];
    }

    /** One optimizer step on {@link #batch} (then cleared); evaluates every evalEvery steps. */
    double step() {
      long t0 = System.nanoTime();
      double loss = trainer.step(batch);
      stepNanos += System.nanoTime() - t0;
      trained += batch.size();
      batch.clear();
      long every = o.earlyStopping().evalEvery();
      if (every > 0 && trainer.steps() % every == 0) {
        evaluate();
      }
      return loss;
    }

    void evaluate() {
      int n = 0;
      evalBatch.clear();
      for (int i = 0; i < valid.size(); i++) {
        evalBatch.addFrom(valid, i);
        if (evalBatch.isFull()) {
          n = flushPredictions(trainer, evalBatch, logits, p, n);
        }
      }
      n = flushPredictions(trainer, evalBatch, logits, p, n);
      EarlyStopping es = o.earlyStopping();
      Evaluation e = new Evaluation(curve.size(), epoch, trainer.steps(), trained, BinaryMetrics.auc(p, y),
          BinaryMetrics.logloss(p, y), BinaryMetrics.calibration(p, y), false);
      if (es.better(e, best)) {
        e = new Evaluation(e.index(), e.epoch(), e.step(), e.examples(), e.auc(), e.logloss(), e.calibration(), true);
        best = e;
        sinceBest = 0;
        if (es.enabled()) {
          bestModel = snapshot();
        }
      } else {
        sinceBest++;
        if (es.enabled() && sinceBest >= es.patience()) {
          stop = true;
        }
      }
      curve.add(e);
      lastEvalStep = trainer.steps();
      if (progress != null) {
        progress.evaluated(e);
      }
    }

    CtrModel snapshot() {
      return trainer.toModel(o.modelName(), 1, metadata(o, trainRows));
    }
  }

  private static void skipTrainRows(RecordReader r, SyntheticStream syn, long trainRows, RawRecord rec)
      throws IOException {
    if (syn == null) {
      for (long i = 0; i < trainRows; i++) {
        r.next(rec);
      }
    }
  }

  /**
   * Whether {@code arch} and {@code mlp} describe the pure factorization machine (Rendle 2010):
   * a DeepFM without MLP. Its remaining deep part, the output unit over the concatenated
   * embeddings, is set to zero and frozen by {@link #pureFm} and the trainer, so the logit is
   * exactly {@code w0 + sum_i w_i + sum_{i<j} <v_i, v_j>}; the model is an ordinary DEEPFM model
   * to the scorers and the .ctrm format.
   */
  public static boolean isPureFm(Architecture arch, int[] mlp) {
    return arch == Architecture.DEEPFM && mlp.length == 0;
  }

  /** {@code m} (a DeepFM without MLP) with its output unit {@code out/w}, {@code out/b} set to zero. */
  public static CtrModel pureFm(CtrModel m) {
    if (!isPureFm(m.spec().architecture(), m.spec().mlp())) {
      throw new TrainerException("a pure FM is a DEEPFM without MLP, model " + m.name() + " is "
          + m.spec().architecture() + " with " + m.spec().mlpLayers() + " MLP layers");
    }
    Map<String, Tensor> t = new LinkedHashMap<>(m.tensorMap());
    t.put("out/w", Tensor.zeros("out/w", t.get("out/w").shape()));
    t.put("out/b", Tensor.zeros("out/b", 1));
    return CtrModel.create(m.spec(), m.name(), m.version(), t, m.vocabularies(), m.metadata());
  }

  private static int flushPredictions(Trainer trainer, Batch batch, float[] logits, double[] p, int n) {
    if (batch.size() == 0) {
      return n;
    }
    trainer.predictLogits(batch, logits);
    for (int i = 0; i < batch.size(); i++) {
      p[n + i] = Trainer.sigmoid(logits[i]);
    }
    n += batch.size();
    batch.clear();
    return n;
  }

  private static void overwrite(Batch b, int j, FeatureVector fv, float label, float teacher) {
    int nf = b.fields();
    System.arraycopy(fv.index(), 0, b.index, j * nf, nf);
    System.arraycopy(fv.value(), 0, b.value, j * nf, nf);
    b.label[j] = label;
    b.teacher[j] = teacher;
  }

  private static float teacherOf(RecordReader r) {
    return r instanceof SyntheticReader s ? (float) s.lastTeacherProbability() : Float.NaN;
  }

  private static Map<String, String> metadata(Options o, long trainRows) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("trainer.format", o.format());
    m.put("trainer.arch", isPureFm(o.architecture(), o.mlp()) ? "fm" : o.architecture().name().toLowerCase());
    m.put("trainer.trainRows", Long.toString(trainRows));
    m.put("trainer.epochs", Integer.toString(o.epochs()));
    m.put("trainer.seed", Long.toString(o.trainer().seed()));
    m.put("trainer.minCount", Integer.toString(o.minCount()));
    m.put("trainer.hashBuckets", Integer.toString(o.hashBuckets()));
    return m;
  }

  /** The random model with the real vocabularies in place of the placeholder ones. */
  static CtrModel withVocabulary(CtrModel random, Map<String, List<String>> vocab) {
    Map<String, Tensor> t = new LinkedHashMap<>();
    for (Tensor x : random.tensors()) {
      t.put(x.name(), x);
    }
    Map<String, List<String>> v = new LinkedHashMap<>();
    if (vocab != null) {
      for (Map.Entry<String, List<String>> e : vocab.entrySet()) {
        if (!e.getValue().isEmpty()) {
          v.put(e.getKey(), e.getValue());
        }
      }
    }
    return CtrModel.create(random.spec(), random.name(), 0, t, v, random.metadata());
  }

  /** Opens the source at row {@code from} (files: from the start; callers skip). */
  static RecordReader open(Options o, SyntheticStream syn, long from, long to) throws IOException {
    if (syn != null) {
      return new SyntheticReader(syn, from, to);
    }
    return openFile(o.format(), o.data());
  }

  /** The raw schema of a data file of {@code format} (libfm: from the file's first line). */
  public static RawSchema schemaOf(String format, Path path) throws IOException {
    return switch (format) {
      case "criteo" -> RawSchema.criteo();
      case "avazu" -> RawSchema.avazu();
      case "libfm" -> io.ctrstreams.trainer.data.LibfmReader.schemaOf(path);
      default -> throw new TrainerException("format must be criteo, avazu or libfm for a file, found " + format);
    };
  }

  /** A reader over a Criteo TSV, Avazu CSV or libfm/libsvm file. */
  public static RecordReader openFile(String format, Path path) throws IOException {
    if ("libfm".equals(format)) {
      return io.ctrstreams.trainer.data.LibfmReader.open(path);
    }
    BufferedReader in = Files.newBufferedReader(path, StandardCharsets.UTF_8);
    switch (format) {
      case "criteo":
        return new CriteoReader(in);
      case "avazu":
        return new AvazuReader(in);
      default:
        in.close();
        throw new TrainerException("format must be criteo, avazu or libfm for a file, found " + format);
    }
  }

  private static long countRows(Options o) throws IOException {
    long n = 0;
    try (RecordReader r = openFile(o.format(), o.data())) {
      RawRecord rec = r.schema().newRecord();
      while (r.next(rec)) {
        n++;
      }
    }
    return n;
  }
}
