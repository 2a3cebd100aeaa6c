package io.ctrstreams.trainer.internal;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.internal.LayerPlan;
import io.ctrstreams.model.internal.MatMul;
import io.ctrstreams.trainer.TrainerException;
import java.util.Arrays;
import java.util.List;

/**
 * One worker's forward and backward pass over a slice of a batch: the forward pass is the model
 * core's {@link LayerPlan} over the shared weights (with every activation kept), the backward pass
 * is this class (one rule per stage; {@link AffineOp} for the affine layers).
 *
 * <p>Weights are read from the shared {@link ParamStore} (read-only while replicas run); dense
 * gradients go to this replica's own arrays ({@link #grads}), lookup-table gradients stay as
 * per-example rows ({@link #tableGrad}) so the optimizer updates touched rows only. All buffers
 * are sized once for {@code capacity} examples: no allocation per batch (apart from what the
 * plain-Java {@link MatMul} copies).
 */
public final class Replica {
  private enum Kind { DENSE, LOW_RANK, FOLDED }

  private final ModelSpec spec;
  private final MatMul gemm;
  private final LayerPlan plan;
  private final LayerPlan.Activations act;
  private final int cap;
  private final int nf;
  private final boolean deepFm;
  private final boolean dcn;
  private final boolean parallel;
  private final int w0; // width of x0
  private final int d; // DeepFM common dim
  private final Kind[] kind;
  private final int[] xOff;
  private final int[] dim; // per field embedding dim
  private final boolean[] lookup;
  private final ParamStore.Param[] table;
  private final ParamStore.Param[] proj;
  private final ParamStore.Param[] pbias;
  private final ParamStore.Param[] fmFirst;
  private final ParamStore.Param fmBias;
  private final AffineOp[] mlp;
  private final AffineOp[] cross;
  private final ParamStore.Param outW;
  private final ParamStore.Param outB;

  // inverted dropout on hidden-layer outputs (train-mode forward only)
  private double dropout;
  private long dropoutSeed;
  private float dropoutScale = 1f; // 1/(1 - p) in the last forward pass, 1 when it ran without dropout

  // the batch slice of the last forward pass
  private int n;
  private int[] idx;
  private int idxOff;
  private float[] val;
  private final LayerPlan.Rows rows = new LayerPlan.Rows() {
    @Override
    public int index(int r, int f) {
      return idx[idxOff + r * nf + f];
    }

    @Override
    public float value(int r, int f) {
      return val[idxOff + r * nf + f];
    }
  };
  // gradients
  /** Dense gradients by param index (null for sparse params). */
  public final float[][] grads;
  /** Per field: gradient of the looked-up row of each example, [cap, table cols]. */
  public final float[][] tableGrad;
  /** Per field (DeepFM): gradient of each example's first-order weight, [cap]. */
  public final float[][] fmFirstGrad;
  private final float[] dx0;
  private final float[] dxl;
  private final float[] dz;
  private final float[] tmp;
  private final float[][] dh;

  public Replica(ParamStore ps, int capacity, MatMul gemm) {
    this.spec = ps.spec();
    this.gemm = gemm;
    this.plan = LayerPlan.of(ps.graph());
    this.act = new LayerPlan.Activations(plan, capacity);
    this.cap = capacity;
    this.nf = spec.fieldCount();
    this.deepFm = spec.architecture() == Architecture.DEEPFM;
    this.dcn = plan.crossLayers() > 0;
    this.parallel = plan.parallel();
    this.w0 = plan.inputWidth();
    this.d = spec.field(0).embeddingDim();
    kind = new Kind[nf];
    xOff = new int[nf];
    dim = new int[nf];
    lookup = new boolean[nf];
    table = new ParamStore.Param[nf];
    proj = new ParamStore.Param[nf];
    pbias = new ParamStore.Param[nf];
    fmFirst = new ParamStore.Param[nf];
    tableGrad = new float[nf][];
    fmFirstGrad = new float[nf][];
    int off = 0;
    for (int f = 0; f < nf; f++) {
      FieldSpec fs = spec.field(f);
      String p = "emb/" + fs.name();
      lookup[f] = fs.isLookup();
      dim[f] = fs.embeddingDim();
      xOff[f] = off;
      off += plan.input(f).width();
      if (spec.embeddingRank(f) == 0) {
        kind[f] = Kind.DENSE;
        table[f] = ps.get(p);
      } else if (spec.isFolded()) {
        kind[f] = Kind.FOLDED;
        table[f] = ps.get(p + "/table");
      } else {
        kind[f] = Kind.LOW_RANK;
        table[f] = ps.get(p + "/table");
        proj[f] = ps.get(p + "/proj");
        pbias[f] = ps.get(p + "/bias");
      }
      tableGrad[f] = new float[cap * table[f].cols];
      if (deepFm) {
        fmFirst[f] = ps.get("fm/first/" + fs.name());
        fmFirstGrad[f] = new float[cap];
      }
    }
    fmBias = deepFm ? ps.get("fm/bias") : null;
    mlp = new AffineOp[plan.mlpLayers()];
    dh = new float[mlp.length][];
    for (int i = 0; i < mlp.length; i++) {
      mlp[i] = new AffineOp(ps, plan.mlp(i), "mlp/" + i, "b", "d", act.mlpMid[i], cap);
      dh[i] = new float[cap * plan.mlp(i).outputSize()];
    }
    cross = new AffineOp[plan.crossLayers()];
    for (int i = 0; i < cross.length; i++) {
      cross[i] = new AffineOp(ps, plan.cross(i), "cross/" + i, "b", "b", act.crossMid[i], cap);
    }
    outW = ps.get("out/w");
    outB = ps.get("out/b");
    dx0 = new float[cap * w0];
    dxl = new float[dcn ? cap * w0 : 0];
    dz = new float[dcn ? cap * w0 : 0];
    tmp = new float[dcn ? cap * w0 : 0];
    List<ParamStore.Param> all = ps.params();
    grads = new float[all.size()][];
    for (ParamStore.Param q : all) {
      if (!q.sparse) {
        grads[q.index] = new float[q.w.length];
      }
    }
  }

  public int capacity() {
    return cap;
  }

  /** Examples of the last forward pass. */
  public int size() {
    return n;
  }

  /** The row of field {@code f} used by example {@code r} of the last forward pass. */
  public int row(int r, int f) {
    return lookup[f] ? idx[idxOff + r * nf + f] : 0;
  }

  /** The scale of field {@code f} for example {@code r} (SCALED fields: the value; else 1). */
  public float scale(int r, int f) {
    return lookup[f] ? 1f : val[idxOff + r * nf + f];
  }

  /**
   * Turns on inverted dropout with probability {@code p} on the output of every hidden MLP layer
   * for {@link #forwardTrain} ({@code p = 0}: off; the inference {@link #forward} never drops).
   */
  public void setDropout(double p, long seed) {
    if (!(p >= 0 && p < 1)) {
      throw new TrainerException("dropout must be in [0, 1), found " + p);
    }
    this.dropout = p;
    this.dropoutSeed = seed;
  }

  /**
   * Forward pass of examples {@code [off, off + count)} of a batch (index/value arrays laid out
   * [example, field]); writes their logits into {@code out[off..]}. Inference mode: no dropout.
   */
  public void forward(int[] index, float[] value, int off, int count, float[] out) {
    begin(index, value, off, count);
    dropoutScale = 1f;
    plan.forward(gemm, rows, 0, count, act);
    System.arraycopy(act.logits, 0, out, off, count);
  }

  /**
   * {@link #forward} in training mode at optimizer step {@code step}: with dropout on, unit
   * {@code j} of hidden layer {@code i} of batch example {@code e} is kept iff {@link
   * #dropoutKeeps}{@code (seed, step, e, i, j, p)}, and kept units are scaled by {@code 1/(1 - p)};
   * {@link #backward} then differentiates through the same mask. Without dropout this is exactly
   * {@link #forward}.
   */
  public void forwardTrain(int[] index, float[] value, int off, int count, float[] out, long step) {
    if (dropout == 0 || mlp.length == 0) {
      forward(index, value, off, count, out);
      return;
    }
    begin(index, value, off, count);
    float scale = (float) (1 / (1 - dropout));
    dropoutScale = scale;
    // LayerPlan.forward, stage by stage, with the mask after each hidden layer's ReLU.
    plan.embed(rows, 0, count, act.x0);
    plan.fm(rows, 0, count, act.x0, act.fmSum, act.logits);
    for (int l = 0; l < cross.length; l++) {
      plan.cross(l, gemm, act.x0, act.xl[l], count, act.z[l], act.crossMid[l], act.xl[l + 1]);
    }
    float[] h = plan.stacked() ? act.xl[cross.length] : act.x0;
    for (int i = 0; i < mlp.length; i++) {
      plan.mlp(i, gemm, h, count, act.h[i], act.mlpMid[i]);
      h = act.h[i];
      int m = mlp[i].out;
      for (int r = 0; r < count; r++) {
        int e = off + r;
        for (int j = 0; j < m; j++) {
          int k = r * m + j;
          h[k] = dropoutKeeps(dropoutSeed, step, e, i, j, dropout) ? h[k] * scale : 0f;
        }
      }
    }
    plan.output(act.xl[cross.length], h, count, act.logits);
    System.arraycopy(act.logits, 0, out, off, count);
  }

  private void begin(int[] index, float[] value, int off, int count) {
    if (count > cap) {
      throw new TrainerException("replica capacity is " + cap + " examples, asked for " + count);
    }
    this.n = count;
    this.idx = index;
    this.val = value;
    this.idxOff = off * nf;
  }

  /**
   * Whether dropout with probability {@code p} keeps unit {@code unit} of hidden layer {@code
   * layer} for example {@code example} of the batch at step {@code step}: a 64-bit mix (SplitMix64
   * finalizer) of the five integers gives a uniform u in [0, 1); kept iff {@code u >= p}.
   */
  public static boolean dropoutKeeps(long seed, long step, int example, int layer, int unit, double p) {
    long h = mix(seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L);
    h = mix(h ^ step);
    h = mix(h ^ ((long) example << 20 ^ (long) layer << 52 ^ unit));
    return (h >>> 11) * 0x1.0p-53 >= p;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Output of hidden layer {@code i} in the last forward pass ([size(), width], after ReLU and dropout). */
  public float[] hidden(int i) {
    return act.h[i];
  }

  /** Clears the dense gradients (before a batch). */
  public void zeroGrads() {
    for (float[] g : grads) {
      if (g != null) {
        Arrays.fill(g, 0f);
      }
    }
  }

  /** What hidden layer {@code i} reads ({@code i == mlp.length}: the output unit's MLP part). */
  private float[] mlpInput(int i) {
    return i > 0 ? act.h[i - 1] : dcn && !parallel ? act.xl[cross.length] : act.x0;
  }

  /** Where the gradient of {@link #mlpInput(int)} goes. */
  private float[] mlpInputGrad(int i) {
    return i > 0 ? dh[i - 1] : dcn && !parallel ? dxl : dx0;
  }

  /**
   * Backward pass of the last forward, given dL/dlogit per example ({@code dLogit[off + r]});
   * accumulates dense gradients and overwrites the per-example table gradients.
   */
  public void backward(float[] dLogit, int off) {
    if (n == 0) {
      return;
    }
    int dd = w0;
    float[] x0 = act.x0;
    float[][] xl = act.xl;
    float[][] h = act.h;
    float[] ow = outW.w;
    float[] gOutW = grads[outW.index];
    float[] lastIn = mlpInput(mlp.length);
    int lastW = mlp.length > 0 ? mlp[mlp.length - 1].out : w0;
    float[] xs = parallel ? xl[cross.length] : null;
    Arrays.fill(dx0, 0, n * w0, 0f);
    if (dcn) {
      Arrays.fill(dxl, 0, n * dd, 0f);
    }
    // Output unit.
    boolean overwrite = mlp.length > 0; // dh holds stale values, dx0/dxl were cleared above
    float[] dLastIn = mlpInputGrad(mlp.length);
    for (int r = 0; r < n; r++) {
      float g = dLogit[off + r];
      grads[outB.index][0] += g;
      int wi = 0;
      if (parallel) {
        float[] target = dcn ? dxl : dx0;
        for (int j = 0; j < dd; j++) {
          gOutW[wi] += g * xs[r * dd + j];
          target[r * dd + j] += g * ow[wi];
          wi++;
        }
      }
      for (int j = 0; j < lastW; j++) {
        gOutW[wi] += g * lastIn[r * lastW + j];
        if (overwrite) {
          dLastIn[r * lastW + j] = g * ow[wi];
        } else {
          dLastIn[r * lastW + j] += g * ow[wi];
        }
        wi++;
      }
    }
    // MLP, last to first.
    for (int i = mlp.length - 1; i >= 0; i--) {
      float[] y = h[i];
      float[] dy = dh[i];
      int m = mlp[i].out;
      // ReLU, and dropout's mask and scale: a dropped unit holds 0 like an inactive one.
      float sc = dropoutScale;
      for (int j = 0; j < n * m; j++) {
        if (y[j] <= 0f) {
          dy[j] = 0f;
        } else if (sc != 1f) {
          dy[j] *= sc;
        }
      }
      float[] dx = mlpInputGrad(i);
      if (i > 0) {
        Arrays.fill(dx, 0, n * mlp[i - 1].out, 0f);
      }
      mlp[i].backward(gemm, mlpInput(i), dy, n, dx, grads);
    }
    // Cross network: g = dL/dx_L in dxl.
    if (dcn) {
      for (int l = cross.length - 1; l >= 0; l--) {
        float[] prev = xl[l];
        float[] z = act.z[l];
        for (int i = 0; i < n * dd; i++) {
          dz[i] = dxl[i] * x0[i];
          dx0[i] += dxl[i] * z[i];
        }
        Arrays.fill(tmp, 0, n * dd, 0f);
        cross[l].backward(gemm, prev, dz, n, tmp, grads);
        for (int i = 0; i < n * dd; i++) {
          dxl[i] += tmp[i];
        }
      }
      for (int i = 0; i < n * dd; i++) {
        dx0[i] += dxl[i];
      }
    }
    // DeepFM: bias, first order and the pairwise term d(0.5 (S^2 - sum e^2))/de = S - e.
    if (deepFm) {
      for (int r = 0; r < n; r++) {
        float g = dLogit[off + r];
        grads[fmBias.index][0] += g;
        for (int f = 0; f < nf; f++) {
          fmFirstGrad[f][r] = g * scale(r, f);
          int xo = r * w0 + f * d;
          for (int j = 0; j < d; j++) {
            dx0[xo + j] += g * (act.fmSum[r * d + j] - x0[xo + j]);
          }
        }
      }
    }
    // Embedding stage.
    for (int r = 0; r < n; r++) {
      for (int f = 0; f < nf; f++) {
        int xo = r * w0 + xOff[f];
        float[] tg = tableGrad[f];
        int cols = table[f].cols;
        switch (kind[f]) {
          case DENSE -> {
            float sc = scale(r, f);
            for (int j = 0; j < cols; j++) {
              tg[r * cols + j] = sc * dx0[xo + j];
            }
          }
          case FOLDED -> System.arraycopy(dx0, xo, tg, r * cols, cols);
          case LOW_RANK -> {
            int k = cols;
            int dm = dim[f];
            float[] pw = proj[f].w;
            float[] tab = table[f].w;
            float[] gp = grads[proj[f].index];
            float[] gb = grads[pbias[f].index];
            int row = row(r, f);
            for (int j = 0; j < dm; j++) {
              gb[j] += dx0[xo + j];
            }
            for (int q = 0; q < k; q++) {
              float tv = tab[row * k + q]; // the factor row the forward pass read
              float s = 0f;
              for (int j = 0; j < dm; j++) {
                gp[q * dm + j] += tv * dx0[xo + j];
                s += pw[q * dm + j] * dx0[xo + j];
              }
              tg[r * k + q] = s;
            }
          }
          default -> throw new IllegalStateException();
        }
      }
    }
  }

  /** The sparse table parameter of field {@code f}. */
  public ParamStore.Param table(int f) {
    return table[f];
  }

  /** The DeepFM first-order parameter of field {@code f}, or null. */
  public ParamStore.Param fmFirst(int f) {
    return fmFirst[f];
  }
}
