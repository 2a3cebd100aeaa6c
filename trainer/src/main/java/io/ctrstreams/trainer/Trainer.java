package io.ctrstreams.trainer;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.internal.MatMul;
import io.ctrstreams.model.internal.MatMuls;
import io.ctrstreams.trainer.internal.ParamStore;
import io.ctrstreams.trainer.internal.Replica;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Mini-batch backprop for every model the core describes (DNN, DeepFM, DCN-V2; dense or low-rank
 * embeddings, MLP and cross layers; folded or not), starting from any {@link CtrModel} — random
 * init, a checkpoint, or a compressed model to fine-tune or distill into.
 *
 * <ul>
 *   <li>Optimizers: Adam (Kingma and Ba 2015, Algorithm 1, bias-corrected) for dense parameters;
 *       Adagrad (Duchi et al. 2011; accumulator starts at 0) for lookup tables, updating only the
 *       rows the batch touched (duplicates in a batch are summed first).
 *   <li>Loss: {@code alpha * BCE(label) + (1 - alpha) * T^2 * BCE(sigmoid(logit_teacher / T),
 *       sigmoid(logit / T))} (Hinton, Vinyals, Dean 2015), computed from logits (softplus form)
 *       so it never overflows; mean over the batch.
 *   <li>Embedding L2, lazily: the eager form decays every row of a table at every step; here a
 *       row is decayed only when it is updated, and then first receives, in closed form, the
 *       decay of the steps it missed since its previous update ({@link #catchUp}). Rows never
 *       updated owe nothing (their Adagrad accumulator is 0, so the eager decay under it is
 *       undefined). Evaluations ({@link #predictLogits}, {@link #loss}) bring every row up to
 *       date first; snapshots ({@link #toModel}) export the rows decayed without changing the
 *       trainer's weights.
 *   <li>Dropout ({@link TrainerConfig#dropout()}) on hidden MLP outputs in training steps only;
 *       {@link #predictLogits} and {@link #loss} run the network as served.
 *   <li>Data parallel: {@code threads} replicas share the weights, each runs forward + backward on
 *       a contiguous slice of the batch into its own gradient buffers; the gradients are summed in
 *       replica order, so results do not depend on thread timing (seeded runs are reproducible).
 * </ul>
 *
 * <p>Not thread-safe; {@link #close()} stops the worker threads.
 */
public final class Trainer implements AutoCloseable {
  private static final double ADAM_B1 = 0.9;
  private static final double ADAM_B2 = 0.999;
  private static final double ADAM_EPS = 1e-8;
  private static final double ADAGRAD_EPS = 1e-8;

  private final CtrModel base;
  private final TrainerConfig cfg;
  private final ParamStore ps;
  private final Replica[] replicas;
  private final ExecutorService pool;
  private final float[] logits;
  private final float[] dLogit;
  private final double[] sliceLoss;
  private final Sparse[] sparse;
  private final java.util.Set<String> frozen = new java.util.HashSet<>();
  private long step;
  /** Sum of {@link TrainerConfig#learningRateFactor} over steps {@code [0, step)}. */
  private double lrFactorSum;
  /** Lazy embedding L2 per table (by param index; null for dense tensors or when L2 is 0). */
  private final LazyDecay[] lazy;
  private long flushedAt = -1;

  /**
   * Per row of a table: {@code at} = the number of steps whose L2 decay the row has received
   * (-1: never updated, owes nothing), {@code lrAt} = the learning-rate factor sum at that point.
   */
  private static final class LazyDecay {
    final long[] at;
    final double[] lrAt;

    LazyDecay(int rows) {
      at = new long[rows];
      Arrays.fill(at, -1L);
      lrAt = new double[rows];
    }
  }

  /** Lookup-table update scratch: row -> slot of the batch's summed gradient. */
  private static final class Sparse {
    final ParamStore.Param p;
    final int field;
    final boolean fm;
    final int[] slot;
    final int[] touched;
    final float[] acc;
    int count;

    Sparse(ParamStore.Param p, int field, boolean fm, int batch) {
      this.p = p;
      this.field = field;
      this.fm = fm;
      this.slot = new int[p.rows];
      Arrays.fill(slot, -1);
      this.touched = new int[batch];
      this.acc = new float[batch * p.cols];
    }
  }

  public Trainer(CtrModel init, TrainerConfig cfg) {
    this.base = init;
    this.cfg = cfg;
    this.ps = new ParamStore(init);
    int threads = Math.min(cfg.threads(), cfg.batchSize());
    if ("nd4j".equals(cfg.gemm()) && threads > 1) {
      // Replicas already use every core; OpenBLAS threads inside each sgemm would oversubscribe.
      // This is process-wide, hence only when the trainer runs its own workers.
      Nd4j.factory().blas().setMaxThreads(1);
    }
    int cap = (cfg.batchSize() + threads - 1) / threads;
    replicas = new Replica[threads];
    MatMul g = "nd4j".equals(cfg.gemm()) ? Nd4jMatMul.instance() : MatMuls.get();
    for (int i = 0; i < threads; i++) {
      replicas[i] = new Replica(ps, cap, g);
      replicas[i].setDropout(cfg.dropout(), cfg.seed());
    }
    if (threads > 1) {
      AtomicInteger n = new AtomicInteger();
      pool = Executors.newFixedThreadPool(threads - 1, r -> {
        Thread t = new Thread(r, "ctr-trainer-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
    } else {
      pool = null;
    }
    logits = new float[cfg.batchSize()];
    dLogit = new float[cfg.batchSize()];
    sliceLoss = new double[threads];
    ModelSpec spec = init.spec();
    List<Sparse> sp = new ArrayList<>();
    for (int f = 0; f < spec.fieldCount(); f++) {
      sp.add(new Sparse(replicas[0].table(f), f, false, cfg.batchSize()));
      if (replicas[0].fmFirst(f) != null) {
        sp.add(new Sparse(replicas[0].fmFirst(f), f, true, cfg.batchSize()));
      }
    }
    sparse = sp.toArray(new Sparse[0]);
    lazy = new LazyDecay[ps.params().size()];
    if (cfg.embeddingL2() > 0) {
      for (ParamStore.Param p : ps.params()) {
        if (p.sparse) {
          lazy[p.index] = new LazyDecay(p.rows);
        }
      }
    }
  }

  public ModelSpec spec() {
    return ps.spec();
  }

  public TrainerConfig config() {
    return cfg;
  }

  /**
   * Keeps dense tensor {@code name} at its current values: no update, no decay. The pure FM
   * baseline is a DeepFM without MLP whose output weights over the embeddings are frozen at zero.
   *
   * @throws TrainerException if the model has no such tensor, or it is a lookup table
   */
  public void freeze(String name) {
    ParamStore.Param p = ps.get(name);
    if (p == null) {
      throw new TrainerException("cannot freeze " + name + ": model " + ps.spec().name() + " has no such tensor");
    }
    if (p.sparse) {
      throw new TrainerException("cannot freeze lookup table " + name + ": only dense tensors can be frozen");
    }
    frozen.add(name);
  }

  /** Optimizer steps taken. */
  public long steps() {
    return step;
  }

  /**
   * One optimizer step on {@code batch} (at most {@link TrainerConfig#batchSize()} examples).
   *
   * @return the mean loss of the batch before the step
   */
  public double step(Batch batch) {
    int n = batch.size();
    if (n == 0) {
      return Double.NaN;
    }
    checkBatch(batch);
    catchUpRows(batch, n);
    runSlices(batch, n, true);
    double loss = 0;
    for (double l : sliceLoss) {
      loss += l;
    }
    applyDense();
    applySparse(n);
    advance();
    return loss / n;
  }

  /** Logits of the current weights for the examples of {@code batch}, into {@code out[0..size)}. */
  public void predictLogits(Batch batch, float[] out) {
    int n = batch.size();
    if (n == 0) {
      return;
    }
    checkBatch(batch);
    flushDecay();
    runSlices(batch, n, false);
    System.arraycopy(logits, 0, out, 0, n);
  }

  /** Mean training loss of {@code batch} at the current weights, without a step. */
  public double loss(Batch batch) {
    int n = batch.size();
    checkBatch(batch);
    flushDecay();
    runSlices(batch, n, false);
    double s = 0;
    for (int i = 0; i < n; i++) {
      s += lossAndGrad(i, batch, n);
    }
    return s / n;
  }

  private void checkBatch(Batch batch) {
    if (batch.size() > cfg.batchSize()) {
      throw new TrainerException("batch of " + batch.size() + " examples exceeds the configured batch size "
          + cfg.batchSize());
    }
    if (batch.fields() != ps.spec().fieldCount()) {
      throw new TrainerException("batch has " + batch.fields() + " fields, model " + ps.spec().name() + " has "
          + ps.spec().fieldCount());
    }
  }

  private void runSlices(Batch batch, int n, boolean train) {
    int threads = replicas.length;
    int per = (n + threads - 1) / threads;
    List<Future<?>> futures = new ArrayList<>();
    for (int i = 1; i < threads; i++) {
      final int r = i;
      int off = r * per;
      int cnt = Math.max(0, Math.min(per, n - off));
      futures.add(pool.submit(() -> slice(r, batch, off, cnt, n, train)));
    }
    slice(0, batch, 0, Math.min(per, n), n, train);
    for (Future<?> f : futures) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TrainerException("interrupted while training", e);
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof RuntimeException re) {
          throw re;
        }
        throw new TrainerException("trainer worker failed: " + c, c);
      }
    }
  }

  private void slice(int r, Batch batch, int off, int cnt, int total, boolean train) {
    Replica rep = replicas[r];
    sliceLoss[r] = 0;
    if (cnt == 0) {
      rep.forward(batch.index, batch.value, off, 0, logits);
      if (train) {
        rep.zeroGrads();
      }
      return;
    }
    if (train) {
      rep.forwardTrain(batch.index, batch.value, off, cnt, logits, step);
    } else {
      rep.forward(batch.index, batch.value, off, cnt, logits);
      return;
    }
    double l = 0;
    for (int i = off; i < off + cnt; i++) {
      l += lossAndGrad(i, batch, total);
    }
    sliceLoss[r] = l;
    rep.zeroGrads();
    rep.backward(dLogit, off);
  }

  /** Loss of example i at logits[i]; stores dLoss/dlogit / total in dLogit[i]. */
  private double lossAndGrad(int i, Batch b, int total) {
    double z = logits[i];
    double y = b.label[i];
    double p = sigmoid(z);
    double alpha = cfg.labelWeight();
    float q = b.teacher[i];
    double loss;
    double g;
    if (alpha < 1 && !Float.isNaN(q)) {
      double t = cfg.temperature();
      double qc = Math.min(1 - 1e-7, Math.max(1e-7, q));
      double qt = sigmoid(Math.log(qc / (1 - qc)) / t);
      double zt = z / t;
      double soft = t * t * (softplus(zt) - qt * zt);
      double hard = softplus(z) - y * z;
      loss = alpha * hard + (1 - alpha) * soft;
      g = alpha * (p - y) + (1 - alpha) * t * (sigmoid(zt) - qt);
    } else {
      loss = softplus(z) - y * z;
      g = p - y;
    }
    dLogit[i] = (float) (g / total);
    return loss;
  }

  static double sigmoid(double z) {
    return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
  }

  static double softplus(double z) {
    return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
  }

  private void applyDense() {
    double lr = adamRate();
    for (ParamStore.Param p : ps.params()) {
      if (p.sparse || frozen.contains(p.name)) {
        continue;
      }
      float[] g = replicas[0].grads[p.index];
      for (int r = 1; r < replicas.length; r++) {
        float[] o = replicas[r].grads[p.index];
        for (int i = 0; i < g.length; i++) {
          g[i] += o[i];
        }
      }
      adam(p, g, 0, lr);
    }
  }

  /** Adam's bias-corrected step size for the next step. */
  private double adamRate() {
    double t = step + 1;
    return cfg.learningRate() * cfg.learningRateFactor(step) * Math.sqrt(1 - Math.pow(ADAM_B2, t))
        / (1 - Math.pow(ADAM_B1, t));
  }

  /**
   * Diagnostics: the sums of the optimizer's second-moment state, {@code {tables (Adagrad's
   * accumulators), dense tensors (Adam's v)}}; 0 where no state exists yet.
   */
  public double[] secondMomentSums() {
    double t = 0;
    double dn = 0;
    for (ParamStore.Param p : ps.params()) {
      if (p.s2 == null) {
        continue;
      }
      double s = 0;
      for (float x : p.s2) {
        s += x;
      }
      if (p.sparse) {
        t += s;
      } else {
        dn += s;
      }
    }
    return new double[] {t, dn};
  }

  /**
   * A diagonal estimate of how much each weight of tensor {@code name} moves the loss, from the
   * optimizer's state: the mean squared gradient per step, Adam's second moment {@code v} for a
   * dense tensor and Adagrad's accumulator divided by the steps taken for a table (its rows' sums
   * of squared gradients, so a row seen in few batches scores low). Both are per-step squared
   * gradients of the batch-mean loss, so the two kinds are on one scale (the diagonal empirical
   * Fisher up to the batch size; issue 14 uses it to rank delta units by their effect on the
   * output). Writes {@code out[0 .. size)}.
   *
   * @return false, with {@code out} untouched, when the tensor is unknown or has no state yet
   */
  public boolean meanSquaredGradient(String name, float[] out) {
    ParamStore.Param p = ps.get(name);
    if (p == null || p.s2 == null || step == 0) {
      return false;
    }
    if (out.length < p.s2.length) {
      throw new IllegalArgumentException("tensor " + name + " has " + p.s2.length + " values, out only " + out.length);
    }
    if (p.sparse) {
      float inv = (float) (1.0 / step);
      for (int i = 0; i < p.s2.length; i++) {
        out[i] = p.s2[i] * inv;
      }
    } else {
      System.arraycopy(p.s2, 0, out, 0, p.s2.length);
    }
    return true;
  }

  /** One Adam update of dense parameter {@code p} with gradient {@code g[off .. off + size)}. */
  private void adam(ParamStore.Param p, float[] g, int off, double lr) {
    float b1 = (float) ADAM_B1;
    float b2 = (float) ADAM_B2;
    if (p.s1 == null) {
      p.s1 = new float[p.w.length];
      p.s2 = new float[p.w.length];
    }
    float[] w = p.w;
    float[] m = p.s1;
    float[] v = p.s2;
    float decay = p.decays() ? (float) cfg.l2() : 0f;
    for (int i = 0; i < w.length; i++) {
      float gi = g[off + i] + decay * w[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      w[i] -= (float) (lr * m[i] / (Math.sqrt(v[i]) + ADAM_EPS));
    }
  }

  /** One Adagrad update of row {@code row} of table {@code p} with gradient {@code g[off .. off + cols)}. */
  private static void adagradRow(ParamStore.Param p, int row, float[] g, int off, float lr, float l2) {
    if (p.s2 == null) {
      p.s2 = new float[p.w.length];
    }
    float[] w = p.w;
    float[] a = p.s2;
    int o = row * p.cols;
    for (int j = 0; j < p.cols; j++) {
      float gj = g[off + j] + l2 * w[o + j];
      a[o + j] += gj * gj;
      w[o + j] -= lr * gj / ((float) Math.sqrt(a[o + j]) + (float) ADAGRAD_EPS);
    }
  }

  /**
   * Lazy embedding L2: before row {@code row} of table {@code p} is updated at step {@code t},
   * applies the decay of the steps {@code s} it was not updated in since its previous update,
   * which the eager form would have applied one by one as Adagrad steps on the L2 gradient alone:
   * {@code w_j -= lr_s * l2 * w_j / (sqrt(a_j) + eps)}, with {@code a_j} the row's accumulator
   * (plain SGD: the denominator is 1).
   *
   * <p>Closed form: {@code w_j *= (1 - lr * l2 / (sqrt(a_j) + eps))^n} for the {@code n} missed
   * steps, {@code lr} their mean embedding learning rate. Approximations: (1) the accumulator is
   * held at its current value over the missed steps (eager Adagrad would add {@code (l2 w_j)^2}
   * per step: about 1e-7 at l2 = 3e-3 and |w| = 0.1, small next to the squared data gradients it
   * holds, so the eager decay would shrink slightly faster than here); (2) with a learning-rate
   * schedule the product of {@code (1 - lr_s c)} is taken at the mean rate (exact for a constant
   * rate, second order in {@code c = lr l2 / sqrt(a)} otherwise). So with a constant rate the
   * result equals the eager regularization whenever the accumulator does not change during the
   * missed steps ({@code RegularizationTest}). Where {@code c >= 1} (an accumulator near 0) the
   * eager step would overshoot and oscillate; here the factor is clamped to 0.
   */
  private void catchUp(ParamStore.Param p, int row, boolean sgd) {
    if (decay(p, row, sgd, p.w)) {
      LazyDecay z = lazy[p.index];
      z.at[row] = step;
      z.lrAt[row] = lrFactorSum;
    }
  }

  /**
   * Multiplies row {@code row} of {@code target} (laid out as table {@code p}) by the decay the
   * row owes ({@link #catchUp}); false, and nothing changed, if it owes none.
   */
  private boolean decay(ParamStore.Param p, int row, boolean sgd, float[] target) {
    LazyDecay z = lazy[p.index];
    if (z == null) {
      return false;
    }
    long at = z.at[row];
    if (at < 0 || at >= step) {
      return false;
    }
    long missed = step - at;
    double meanLr = cfg.embeddingLearningRate() * (lrFactorSum - z.lrAt[row]) / missed;
    double c = meanLr * cfg.embeddingL2();
    float[] a = sgd ? null : p.s2;
    int o = row * p.cols;
    for (int j = 0; j < p.cols; j++) {
      double cj = a == null ? c : c / (Math.sqrt(a[o + j]) + ADAGRAD_EPS);
      double f = cj >= 1 ? 0 : Math.pow(1 - cj, missed);
      target[o + j] = (float) (target[o + j] * f);
    }
    return true;
  }

  /** Catches up the table rows {@code batch} reads, so its forward pass sees the decayed weights. */
  private void catchUpRows(Batch batch, int n) {
    if (cfg.embeddingL2() == 0) {
      return;
    }
    int nf = batch.fields();
    for (Sparse s : sparse) {
      boolean lookup = ps.spec().field(s.field).isLookup();
      for (int e = 0; e < n; e++) {
        catchUp(s.p, lookup ? batch.index[e * nf + s.field] : 0, false);
      }
    }
  }

  /** Marks row {@code row} of {@code p} as decayed through the current step (it is updated in it). */
  private void caughtUp(ParamStore.Param p, int row) {
    LazyDecay z = lazy[p.index];
    if (z != null) {
      z.at[row] = step + 1;
      z.lrAt[row] = lrFactorSum + cfg.learningRateFactor(step);
    }
  }

  /** Brings every row that owes decay up to the current step (before snapshots and evaluations). */
  private void flushDecay() {
    if (flushedAt == step) {
      return;
    }
    for (ParamStore.Param p : ps.params()) {
      if (lazy[p.index] != null) {
        for (int row = 0; row < p.rows; row++) {
          catchUp(p, row, p.s2 == null);
        }
      }
    }
    flushedAt = step;
  }

  private void applySparse(int n) {
    float lr = (float) (cfg.embeddingLearningRate() * cfg.learningRateFactor(step));
    float l2 = (float) cfg.embeddingL2();
    for (Sparse s : sparse) {
      ParamStore.Param p = s.p;
      int cols = p.cols;
      s.count = 0;
      for (Replica rep : replicas) {
        float[] src = s.fm ? rep.fmFirstGrad[s.field] : rep.tableGrad[s.field];
        for (int r = 0; r < rep.size(); r++) {
          int row = rep.row(r, s.field);
          int k = s.slot[row];
          if (k < 0) {
            k = s.count++;
            s.slot[row] = k;
            s.touched[k] = row;
            Arrays.fill(s.acc, k * cols, k * cols + cols, 0f);
          }
          for (int j = 0; j < cols; j++) {
            s.acc[k * cols + j] += src[r * cols + j];
          }
        }
      }
      for (int k = 0; k < s.count; k++) {
        int row = s.touched[k];
        s.slot[row] = -1;
        catchUp(p, row, false);
        adagradRow(p, row, s.acc, k * cols, lr, l2);
        caughtUp(p, row);
      }
    }
  }

  /**
   * The trainable tensors in the order of the flat vectors of {@link #gradient} and {@link
   * #applyGradient}: each with its length and, for lookup tables, the row width (1 for dense
   * tensors), so a gradient exchange can select whole rows of tables.
   */
  public List<FlatTensor> flatLayout() {
    List<FlatTensor> out = new ArrayList<>();
    for (ParamStore.Param p : ps.params()) {
      out.add(new FlatTensor(p.name, p.w.length, p.sparse ? p.cols : 1));
    }
    return out;
  }

  /** One tensor of the flat parameter vector ({@code unit}: row width of a table, else 1). */
  public record FlatTensor(String name, int length, int unit) {}

  /** How {@link #applyGradient} turns a gradient estimate into an update. */
  public enum Update {
    /** Adam for dense tensors and Adagrad on the non-zero rows of tables, as {@link #step}. */
    ADAPTIVE,
    /** Plain SGD, {@code w -= lr * (g + l2 w)} (dense: learning rate; tables: embedding learning rate). */
    SGD
  }

  /**
   * The mean gradient of the loss over {@code batch} at the current weights, as one flat vector
   * in {@link #flatLayout()} order (table gradients scattered to their rows, zero elsewhere); no
   * L2 term (the update adds it). Weights are not changed. For data-parallel training with an
   * exchange: every worker computes this on its own examples, the exchange produces an estimate
   * of the workers' mean, and every replica applies it with {@link #applyGradient}.
   *
   * @return the mean loss of the batch
   */
  public double gradient(Batch batch, float[] flat) {
    int n = batch.size();
    Arrays.fill(flat, 0f);
    if (n == 0) {
      return Double.NaN;
    }
    checkBatch(batch);
    runSlices(batch, n, true);
    double loss = 0;
    for (double l : sliceLoss) {
      loss += l;
    }
    int off = 0;
    int[] offsets = new int[ps.params().size()];
    for (ParamStore.Param p : ps.params()) {
      offsets[p.index] = off;
      if (!p.sparse) {
        for (Replica rep : replicas) {
          float[] g = rep.grads[p.index];
          for (int i = 0; i < g.length; i++) {
            flat[off + i] += g[i];
          }
        }
      }
      off += p.w.length;
    }
    for (Sparse s : sparse) {
      int cols = s.p.cols;
      int base = offsets[s.p.index];
      for (Replica rep : replicas) {
        float[] src = s.fm ? rep.fmFirstGrad[s.field] : rep.tableGrad[s.field];
        for (int r = 0; r < rep.size(); r++) {
          int o = base + rep.row(r, s.field) * cols;
          for (int j = 0; j < cols; j++) {
            flat[o + j] += src[r * cols + j];
          }
        }
      }
    }
    return loss / n;
  }

  /**
   * One optimizer step with the gradient estimate {@code flat} ({@link #flatLayout()} order).
   * Tables update only the rows where the estimate is non-zero (the rows some worker sent or the
   * shift covers), as {@link #step} updates only the rows a batch touched.
   */
  public void applyGradient(float[] flat, Update update) {
    double lr = adamRate();
    float elr = (float) (cfg.embeddingLearningRate() * cfg.learningRateFactor(step));
    float el2 = (float) cfg.embeddingL2();
    int off = 0;
    for (ParamStore.Param p : ps.params()) {
      if (p.sparse) {
        int cols = p.cols;
        for (int row = 0; row < p.rows; row++) {
          int o = off + row * cols;
          boolean any = false;
          for (int j = 0; j < cols && !any; j++) {
            any = flat[o + j] != 0f;
          }
          if (!any) {
            continue;
          }
          catchUp(p, row, update == Update.SGD);
          caughtUp(p, row);
          if (update == Update.SGD) {
            float[] w = p.w;
            for (int j = 0; j < cols; j++) {
              w[row * cols + j] -= elr * (flat[o + j] + el2 * w[row * cols + j]);
            }
          } else {
            adagradRow(p, row, flat, o, elr, el2);
          }
        }
      } else if (frozen.contains(p.name)) {
        // kept as is
      } else if (update == Update.SGD) {
        float slr = (float) (cfg.learningRate() * cfg.learningRateFactor(step));
        float decay = p.decays() ? (float) cfg.l2() : 0f;
        for (int i = 0; i < p.w.length; i++) {
          p.w[i] -= slr * (flat[off + i] + decay * p.w[i]);
        }
      } else {
        adam(p, flat, off, lr);
      }
      off += p.w.length;
    }
    advance();
  }

  private void advance() {
    lrFactorSum += cfg.learningRateFactor(step);
    step++;
  }

  /**
   * A snapshot of the current weights as a model with the base model's spec and vocabularies.
   */
  public CtrModel toModel(String name, long version, Map<String, String> metadata) {
    // Rows that owe embedding L2 decay are exported decayed, but the trainer's own weights are
    // left as they are: a data-parallel replica that snapshots must stay bit-identical to one
    // that does not (catching up in two parts rounds differently from catching up in one).
    Map<String, io.ctrstreams.model.Tensor> tensors = ps.toTensors();
    for (ParamStore.Param p : ps.params()) {
      if (lazy[p.index] != null) {
        float[] w = p.w.clone();
        for (int row = 0; row < p.rows; row++) {
          decay(p, row, p.s2 == null, w);
        }
        tensors.put(p.name, new io.ctrstreams.model.Tensor(p.name, p.shape, w));
      }
    }
    Map<String, List<String>> vocab = new LinkedHashMap<>();
    for (FieldSpec f : ps.spec().fields()) {
      List<String> v = base.vocabulary(f.name());
      if (v != null && !v.isEmpty()) {
        vocab.put(f.name(), v);
      }
    }
    return CtrModel.create(ps.spec(), name, version, tensors, vocab, metadata);
  }

  /**
   * A 64-bit hash of every weight's bits in {@link #flatLayout()} order: replicas that applied
   * the same estimates to the same start hold equal hashes (the exchange checks it each round).
   */
  public long weightsHash() {
    long h = 0x9E3779B97F4A7C15L;
    for (ParamStore.Param p : ps.params()) {
      for (float v : p.w) {
        h = (h ^ Float.floatToRawIntBits(v)) * 0x100000001B3L;
        h ^= h >>> 29;
      }
    }
    return h;
  }

  /** Number of trainable values. */
  public long parameterCount() {
    return ps.size();
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }
}
