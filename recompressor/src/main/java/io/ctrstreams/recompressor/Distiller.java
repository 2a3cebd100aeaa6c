package io.ctrstreams.recompressor;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.Scorer;
import io.ctrstreams.model.eval.BinaryMetrics;
import io.ctrstreams.recompressor.internal.BatchNet;
import io.ctrstreams.trainer.Batch;
import io.ctrstreams.trainer.Trainer;
import io.ctrstreams.trainer.TrainerConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Knowledge distillation of a compressed student from its full teacher (Hinton, Vinyals, Dean
 * 2015; "Compressing Pre-trained Models of Code into 3 MB", ASE 2022, section 3.3), reusing the
 * trainer's backprop: loss {@code alpha BCE(label) + (1 - alpha) T^2 BCE(teacher_T, student_T)}
 * on calibration rows (rows without a label learn from the teacher only). The result is kept only
 * if it improves on held-out rows: fidelity (logloss against the teacher's probabilities) or, when
 * the held-out rows are labelled, logloss against the labels.
 */
public final class Distiller {

  /**
   * Settings.
   *
   * @param steps optimizer steps
   * @param batchSize examples per step
   * @param labelWeight alpha: weight of the label loss (0 = teacher only)
   * @param temperature T
   * @param learningRate Adam step size of dense parameters (fine-tuning: small)
   * @param embeddingLearningRate Adagrad step size of tables
   * @param threads trainer threads
   * @param seed shuffling seed
   */
  public record Options(int steps, int batchSize, double labelWeight, double temperature, double learningRate,
      double embeddingLearningRate, int threads, long seed) {

    public Options {
      if (steps < 0 || batchSize < 1) {
        throw new RecompressorException("distillation needs steps >= 0 and batch size >= 1, found " + steps + " and "
            + batchSize);
      }
    }

    /** 300 steps of 512, alpha 0.5, T 1, Adam 1e-4, Adagrad 0.01, 2 threads. */
    public static Options defaults(long seed) {
      return new Options(300, 512, 0.5, 1.0, 1e-4, 0.01, 2, seed);
    }

    public Options withSteps(int s) {
      return new Options(s, batchSize, labelWeight, temperature, learningRate, embeddingLearningRate, threads, seed);
    }
  }

  /**
   * The outcome.
   *
   * @param model the distilled student if kept, else the input student
   * @param kept whether distillation improved the held-out criterion
   * @param fidelityBefore held-out logloss against the teacher before distillation
   * @param fidelityAfter the same after
   * @param loglossBefore held-out logloss against labels before (NaN if unlabelled)
   * @param loglossAfter the same after
   * @param steps optimizer steps taken
   * @param seconds wall time
   */
  public record Result(CtrModel model, boolean kept, double fidelityBefore, double fidelityAfter, double loglossBefore,
      double loglossAfter, int steps, double seconds) {

    /** One line for reports. */
    public String format() {
      return String.format(java.util.Locale.ROOT,
          "distillation: %d steps in %.1f s; held-out fidelity %.6f -> %.6f, logloss %.5f -> %.5f; %s", steps,
          seconds, fidelityBefore, fidelityAfter, loglossBefore, loglossAfter, kept ? "kept" : "discarded (no gain)");
    }
  }

  private final Options options;

  public Distiller(Options options) {
    this.options = options;
  }

  /** Distills {@code student} from {@code teacher} on {@code train}; judges on {@code heldOut}. */
  public Result distill(CtrModel teacher, CtrModel student, Calibration train, Calibration heldOut) {
    long t0 = System.nanoTime();
    if (train.rows() == 0 || heldOut.rows() == 0) {
      throw new RecompressorException("distillation needs training and held-out rows, found " + train.rows() + " and "
          + heldOut.rows());
    }
    float[] teacherTrain = probs(BatchNet.of(teacher).logits(train, 0, train.rows()));
    float[] teacherHeld = probs(BatchNet.of(teacher).logits(heldOut, 0, heldOut.rows()));
    boolean labelled = heldOut.labelled();
    float[] before = probs(BatchNet.of(student).logits(heldOut, 0, heldOut.rows()));
    double fidBefore = BinaryMetrics.logloss(before, teacherHeld, heldOut.rows());
    double llBefore = labelled ? BinaryMetrics.logloss(before, heldOut.labels(0, heldOut.rows()), heldOut.rows())
        : Double.NaN;
    if (options.steps() == 0) {
      return new Result(student, false, fidBefore, fidBefore, llBefore, llBefore, 0, 0);
    }
    TrainerConfig cfg = TrainerConfig.defaults()
        .withBatchSize(options.batchSize())
        .withLearningRates(options.learningRate(), options.embeddingLearningRate())
        .withDistillation(options.labelWeight(), options.temperature())
        .withThreads(options.threads())
        .withSeed(options.seed());
    CtrModel distilled;
    try (Trainer trainer = new Trainer(student, cfg)) {
      int n = train.rows();
      int[] order = new int[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      Random rnd = new Random(options.seed());
      shuffle(order, rnd);
      Batch batch = new Batch(train.fields(), options.batchSize());
      FeatureVector v = student.spec().newFeatureVector();
      int pos = 0;
      for (int s = 0; s < options.steps(); s++) {
        batch.clear();
        while (!batch.isFull()) {
          if (pos == n) {
            shuffle(order, rnd);
            pos = 0;
          }
          int r = order[pos++];
          for (int f = 0; f < train.fields(); f++) {
            v.set(f, train.index(r, f), train.value(r, f));
          }
          float label = train.label(r);
          // Unlabelled rows learn from the teacher alone: its probability stands in as a soft label.
          batch.add(v, Float.isNaN(label) ? teacherTrain[r] : label, teacherTrain[r]);
        }
        trainer.step(batch);
      }
      Map<String, String> meta = new LinkedHashMap<>(student.metadata());
      meta.put("distillation", options.steps() + " steps, alpha=" + options.labelWeight() + ", T="
          + options.temperature());
      distilled = trainer.toModel(student.name(), student.version(), meta);
    }
    float[] after = probs(BatchNet.of(distilled).logits(heldOut, 0, heldOut.rows()));
    double fidAfter = BinaryMetrics.logloss(after, teacherHeld, heldOut.rows());
    double llAfter = labelled ? BinaryMetrics.logloss(after, heldOut.labels(0, heldOut.rows()), heldOut.rows())
        : Double.NaN;
    boolean kept = fidAfter < fidBefore || (labelled && llAfter < llBefore);
    return new Result(kept ? distilled : student, kept, fidBefore, fidAfter, llBefore, llAfter, options.steps(),
        (System.nanoTime() - t0) / 1e9);
  }

  private static void shuffle(int[] a, Random rnd) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  static float[] probs(float[] logits) {
    float[] p = new float[logits.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = Scorer.sigmoid(logits[i]);
    }
    return p;
  }
}
