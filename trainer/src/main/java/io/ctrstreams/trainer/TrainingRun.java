package io.ctrstreams.trainer;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureEncoder;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
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
      String modelName) {

    /** Validates ranges, naming the value. */
    public Options {
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
  }

  /**
   * What a run produced.
   *
   * @param stepExamplesPerSecond examples / second of the optimizer steps alone (no data reading)
   * @param wallExamplesPerSecond training examples / second end to end (reading, encoding, steps)
   * @param teacherAuc AUC of the synthetic teacher on the validation rows (NaN for real data)
   * @param baselineAuc validation AUC of the hashed LR baseline (NaN unless requested)
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
      double baselineLogloss) {}

  /** Receives progress while training. */
  public interface Progress {
    void report(long rows, double examplesPerSecond, double loss);
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
    CtrModel init = withVocabulary(CtrModel.random(spec, o.trainer().seed()), vocab);
    FeatureEncoder enc = new FeatureEncoder(spec, vocab == null ? Map.of() : vocab);
    FeatureVector fv = spec.newFeatureVector();

    HashedLogisticRegression lr = o.baseline() ? new HashedLogisticRegression(1 << 20, 0.05, 1e-6) : null;
    long stepNanos = 0;
    long trained = 0;
    long wallStart = System.nanoTime();
    try (Trainer trainer = new Trainer(init, o.trainer())) {
      Batch shuffle = new Batch(spec.fieldCount(), (int) Math.min(o.shuffleBuffer(), trainRows));
      Batch batch = new Batch(spec.fieldCount(), o.trainer().batchSize());
      SplittableRandom rnd = new SplittableRandom(o.trainer().seed() * 31 + 7);
      long lastReport = System.nanoTime();
      double lossEma = Double.NaN;
      RawRecord rec = schema.newRecord();
      for (int epoch = 0; epoch < o.epochs(); epoch++) {
        shuffle.clear();
        try (RecordReader r = open(o, syn, 0, trainRows)) {
          for (long i = 0; i < trainRows && r.next(rec); i++) {
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
              long t0 = System.nanoTime();
              double loss = trainer.step(batch);
              stepNanos += System.nanoTime() - t0;
              trained += batch.size();
              lossEma = Double.isNaN(lossEma) ? loss : 0.98 * lossEma + 0.02 * loss;
              batch.clear();
              if (progress != null && System.nanoTime() - lastReport > 2_000_000_000L) {
                lastReport = System.nanoTime();
                progress.report(trained, trained / ((lastReport - wallStart) / 1e9), lossEma);
              }
            }
          }
        }
        // Drain the buffer in random order.
        for (int k = shuffle.size() - 1; k > 0; k--) {
          shuffle.swap(k, rnd.nextInt(k + 1));
        }
        for (int k = 0; k < shuffle.size(); k++) {
          batch.addFrom(shuffle, k);
          if (batch.isFull() || k == shuffle.size() - 1) {
            long t0 = System.nanoTime();
            trainer.step(batch);
            stepNanos += System.nanoTime() - t0;
            trained += batch.size();
            batch.clear();
          }
        }
      }
      double wall = (System.nanoTime() - wallStart) / 1e9;
      CtrModel model = trainer.toModel(o.modelName(), 1, metadata(o, trainRows));
      // Validation.
      double[] p = new double[(int) validRows];
      double[] teacher = syn != null ? new double[(int) validRows] : null;
      double[] base = lr != null ? new double[(int) validRows] : null;
      boolean[] y = new boolean[(int) validRows];
      float[] logits = new float[o.trainer().batchSize()];
      int n = 0;
      batch.clear();
      try (RecordReader r = open(o, syn, trainRows, total)) {
        if (syn == null) {
          for (long i = 0; i < trainRows; i++) {
            r.next(rec);
          }
        }
        while (n + batch.size() < validRows && r.next(rec)) {
          Features.encode(enc, rec, fv);
          int at = n + batch.size();
          y[at] = rec.label > 0.5f;
          if (teacher != null) {
            teacher[at] = teacherOf(r);
          }
          if (base != null) {
            base[at] = lr.predict(rec);
          }
          batch.add(fv, rec.label, Float.NaN);
          if (batch.isFull()) {
            n = flushPredictions(trainer, batch, logits, p, n);
          }
        }
        n = flushPredictions(trainer, batch, logits, p, n);
      }
      if (n != validRows) {
        throw new TrainerException("expected " + validRows + " validation rows, read " + n);
      }
      double teacherAuc = teacher != null ? BinaryMetrics.auc(teacher, y) : Double.NaN;
      return new Result(model, BinaryMetrics.auc(p, y), BinaryMetrics.logloss(p, y), BinaryMetrics.calibration(p, y),
          trainRows, validRows, trained / (stepNanos / 1e9), trained / wall, teacherAuc,
          base != null ? BinaryMetrics.auc(base, y) : Double.NaN,
          base != null ? BinaryMetrics.logloss(base, y) : Double.NaN);
    }
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
