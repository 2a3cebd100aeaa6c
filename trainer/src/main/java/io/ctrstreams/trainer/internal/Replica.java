package io.ctrstreams.trainer.internal;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CrossStructure;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.internal.MatMul;
import io.ctrstreams.trainer.TrainerException;
import java.util.Arrays;
import java.util.List;

/**
 * One worker's forward and backward pass over a slice of a batch, exactly the forward pass of
 * the core's reference scorer (embedding stage, DeepFM FM term, DCN-V2 cross network stacked or
 * parallel, ReLU MLP, output unit) with every activation kept for the backward pass.
 *
 * <p>Weights are read from the shared {@link ParamStore} (read-only while replicas run); dense
 * gradients go to this replica's own arrays ({@link #grads}), lookup-table gradients stay as
 * per-example rows ({@link #tableGrad}) so the optimizer updates touched rows only. All buffers
 * are sized once for {@code capacity} examples: no allocation per batch.
 */
public final class Replica {
  private enum Kind { DENSE, LOW_RANK, FOLDED }

  private final ModelSpec spec;
  private final ParamStore ps;
  private final MatMul gemm;
  private final int cap;
  private final int nf;
  private final boolean deepFm;
  private final boolean dcn;
  private final boolean parallel;
  private final int w0; // width of x0
  private final int d; // DeepFM common dim
  private final Kind[] kind;
  private final int[] xOff;
  private final int[] width; // per field: width written into x0
  private final int[] dim; // per field embedding dim
  private final int[] tOff; // low-rank factor offsets into t
  private final int tWidth;
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
  private final int outIn;

  // activations
  private int n;
  private int[] idx;
  private int idxOff;
  private float[] val;
  private final float[] x0;
  private final float[] t;
  private final float[] fmSum;
  private final float[][] xl; // cross states 0..L
  private final float[][] z; // cross map outputs
  private final float[][] h; // mlp outputs
  private final float[] logits;
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
  private final float[] dOut;

  public Replica(ParamStore ps, int capacity, MatMul gemm) {
    this.spec = ps.spec();
    this.ps = ps;
    this.gemm = gemm;
    this.cap = capacity;
    this.nf = spec.fieldCount();
    this.deepFm = spec.architecture() == Architecture.DEEPFM;
    this.dcn = spec.architecture() == Architecture.DCNV2 && spec.crossLayers() > 0;
    this.parallel = spec.architecture() == Architecture.DCNV2 && spec.crossStructure() == CrossStructure.PARALLEL;
    this.w0 = spec.firstLayerInputWidth();
    this.d = spec.field(0).embeddingDim();
    kind = new Kind[nf];
    xOff = new int[nf];
    width = new int[nf];
    dim = new int[nf];
    tOff = new int[nf];
    lookup = new boolean[nf];
    table = new ParamStore.Param[nf];
    proj = new ParamStore.Param[nf];
    pbias = new ParamStore.Param[nf];
    fmFirst = new ParamStore.Param[nf];
    tableGrad = new float[nf][];
    fmFirstGrad = new float[nf][];
    int off = 0;
    int to = 0;
    for (int f = 0; f < nf; f++) {
      FieldSpec fs = spec.field(f);
      String p = "emb/" + fs.name();
      lookup[f] = fs.isLookup();
      dim[f] = fs.embeddingDim();
      width[f] = spec.fieldInputWidth(f);
      xOff[f] = off;
      off += width[f];
      int k = spec.embeddingRank(f);
      if (k == 0) {
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
        tOff[f] = to;
        to += k;
      }
      tableGrad[f] = new float[cap * table[f].cols];
      if (deepFm) {
        fmFirst[f] = ps.get("fm/first/" + fs.name());
        fmFirstGrad[f] = new float[cap];
      }
    }
    tWidth = to;
    fmBias = deepFm ? ps.get("fm/bias") : null;
    mlp = new AffineOp[spec.mlpLayers()];
    h = new float[mlp.length][];
    dh = new float[mlp.length][];
    for (int i = 0; i < mlp.length; i++) {
      mlp[i] = new AffineOp(ps, ps.graph().mlp(i), "mlp/" + i, "b", "d", cap);
      h[i] = new float[cap * spec.mlpSize(i)];
      dh[i] = new float[cap * spec.mlpSize(i)];
    }
    int dd = spec.embeddingWidth();
    cross = new AffineOp[dcn ? spec.crossLayers() : 0];
    xl = new float[cross.length + 1][];
    z = new float[cross.length][];
    for (int i = 0; i < cross.length; i++) {
      cross[i] = new AffineOp(ps, ps.graph().cross(i).map(), "cross/" + i, "b", "b", cap);
      z[i] = new float[cap * dd];
    }
    for (int i = 0; i <= cross.length; i++) {
      xl[i] = i == 0 ? null : new float[cap * dd];
    }
    outW = ps.get("out/w");
    outB = ps.get("out/b");
    outIn = spec.outputInputWidth();
    x0 = new float[cap * w0];
    dx0 = new float[cap * w0];
    t = new float[cap * Math.max(1, tWidth)];
    fmSum = new float[deepFm ? cap * d : 0];
    dxl = new float[dcn ? cap * dd : 0];
    dz = new float[dcn ? cap * dd : 0];
    tmp = new float[dcn ? cap * dd : 0];
    logits = new float[cap];
    dOut = new float[cap * outIn];
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
   * Forward pass of examples {@code [off, off + count)} of a batch (index/value arrays laid out
   * [example, field]); writes their logits into {@code out[off..]}.
   */
  public void forward(int[] index, float[] value, int off, int count, float[] out) {
    if (count > cap) {
      throw new TrainerException("replica capacity is " + cap + " examples, asked for " + count);
    }
    this.n = count;
    this.idx = index;
    this.val = value;
    this.idxOff = off * nf;
    if (count == 0) {
      return;
    }
    embed();
    Arrays.fill(logits, 0, n, 0f);
    if (deepFm) {
      fm();
    }
    float[] in = x0;
    int inW = w0;
    if (dcn) {
      int dd = spec.embeddingWidth();
      for (int l = 0; l < cross.length; l++) {
        float[] prev = l == 0 ? x0 : xl[l];
        cross[l].forward(gemm, prev, n, z[l]);
        float[] next = xl[l + 1];
        for (int i = 0; i < n * dd; i++) {
          next[i] = x0[i] * z[l][i] + prev[i];
        }
      }
      if (!parallel) {
        in = xl[cross.length];
        inW = dd;
      }
    }
    for (int i = 0; i < mlp.length; i++) {
      mlp[i].forward(gemm, in, n, h[i]);
      float[] y = h[i];
      for (int j = 0; j < n * mlp[i].out; j++) {
        y[j] = Math.max(y[j], 0f);
      }
      in = y;
      inW = mlp[i].out;
    }
    float[] ow = outW.w;
    float ob = outB.w[0];
    int dd = spec.embeddingWidth();
    for (int r = 0; r < n; r++) {
      float s = ob;
      int wi = 0;
      if (parallel) {
        float[] xs = dcn ? xl[cross.length] : x0;
        for (int j = 0; j < dd; j++) {
          s += ow[wi++] * xs[r * dd + j];
        }
      }
      for (int j = 0; j < inW; j++) {
        s += ow[wi++] * in[r * inW + j];
      }
      logits[r] += s;
      out[off + r] = logits[r];
    }
  }

  private void embed() {
    for (int r = 0; r < n; r++) {
      int base = idxOff + r * nf;
      for (int f = 0; f < nf; f++) {
        ParamStore.Param tab = table[f];
        int row = lookup[f] ? idx[base + f] : 0;
        if (row < 0 || row >= tab.rows) {
          throw new TrainerException("row " + row + " of field " + spec.field(f).name() + " is outside its table of "
              + tab.rows + " rows");
        }
        int xo = r * w0 + xOff[f];
        int cols = tab.cols;
        switch (kind[f]) {
          case DENSE -> {
            float sc = lookup[f] ? 1f : val[base + f];
            for (int j = 0; j < cols; j++) {
              x0[xo + j] = sc * tab.w[row * cols + j];
            }
          }
          case FOLDED -> System.arraycopy(tab.w, row * cols, x0, xo, cols);
          case LOW_RANK -> {
            int k = cols;
            int dm = dim[f];
            float[] pw = proj[f].w;
            System.arraycopy(pbias[f].w, 0, x0, xo, dm);
            int to = r * tWidth + tOff[f];
            for (int q = 0; q < k; q++) {
              float tv = tab.w[row * k + q];
              t[to + q] = tv;
              for (int j = 0; j < dm; j++) {
                x0[xo + j] += tv * pw[q * dm + j];
              }
            }
          }
          default -> throw new IllegalStateException();
        }
      }
    }
  }

  private void fm() {
    float bias = fmBias.w[0];
    for (int r = 0; r < n; r++) {
      int base = idxOff + r * nf;
      double s = bias;
      for (int f = 0; f < nf; f++) {
        int row = lookup[f] ? idx[base + f] : 0;
        float sc = lookup[f] ? 1f : val[base + f];
        s += fmFirst[f].w[row] * sc;
      }
      int so = r * d;
      Arrays.fill(fmSum, so, so + d, 0f);
      double sq = 0;
      for (int f = 0; f < nf; f++) {
        int xo = r * w0 + f * d;
        for (int j = 0; j < d; j++) {
          float e = x0[xo + j];
          fmSum[so + j] += e;
          sq += e * e;
        }
      }
      double ss = 0;
      for (int j = 0; j < d; j++) {
        ss += fmSum[so + j] * fmSum[so + j];
      }
      logits[r] = (float) (s + 0.5 * (ss - sq));
    }
  }

  /** Clears the dense gradients (before a batch). */
  public void zeroGrads() {
    for (float[] g : grads) {
      if (g != null) {
        Arrays.fill(g, 0f);
      }
    }
  }

  /**
   * Backward pass of the last forward, given dL/dlogit per example ({@code dLogit[off + r]});
   * accumulates dense gradients and overwrites the per-example table gradients.
   */
  public void backward(float[] dLogit, int off) {
    if (n == 0) {
      return;
    }
    int dd = spec.embeddingWidth();
    float[] ow = outW.w;
    float[] gOutW = grads[outW.index];
    float[] lastIn;
    int lastW;
    if (mlp.length > 0) {
      lastIn = h[mlp.length - 1];
      lastW = mlp[mlp.length - 1].out;
    } else if (dcn && !parallel) {
      lastIn = xl[cross.length];
      lastW = dd;
    } else {
      lastIn = x0;
      lastW = w0;
    }
    float[] xs = parallel ? (dcn ? xl[cross.length] : x0) : null;
    Arrays.fill(dx0, 0, n * w0, 0f);
    if (dcn) {
      Arrays.fill(dxl, 0, n * dd, 0f);
    }
    // Output unit.
    float[] dLast = mlp.length > 0 ? dh[mlp.length - 1] : null;
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
      float[] target = dLast != null ? dLast : (dcn && !parallel ? dxl : dx0);
      int tw = lastW;
      for (int j = 0; j < lastW; j++) {
        gOutW[wi] += g * lastIn[r * lastW + j];
        if (dLast != null) {
          target[r * tw + j] = g * ow[wi];
        } else {
          target[r * tw + j] += g * ow[wi];
        }
        wi++;
      }
    }
    // MLP, last to first.
    for (int i = mlp.length - 1; i >= 0; i--) {
      float[] y = h[i];
      float[] dy = dh[i];
      int m = mlp[i].out;
      for (int j = 0; j < n * m; j++) {
        if (y[j] <= 0f) {
          dy[j] = 0f;
        }
      }
      float[] x;
      float[] dx;
      if (i > 0) {
        x = h[i - 1];
        dx = dh[i - 1];
        Arrays.fill(dx, 0, n * mlp[i - 1].out, 0f);
      } else if (dcn && !parallel) {
        x = xl[cross.length];
        dx = dxl;
      } else {
        x = x0;
        dx = dx0;
      }
      mlp[i].backward(gemm, x, dy, n, dx, grads);
    }
    // Cross network: g = dL/dx_L in dxl.
    if (dcn) {
      for (int l = cross.length - 1; l >= 0; l--) {
        float[] prev = l == 0 ? x0 : xl[l];
        for (int i = 0; i < n * dd; i++) {
          dz[i] = dxl[i] * x0[i];
          dx0[i] += dxl[i] * z[l][i];
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
            dx0[xo + j] += g * (fmSum[r * d + j] - x0[xo + j]);
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
            float[] gp = grads[proj[f].index];
            float[] gb = grads[pbias[f].index];
            int to = r * tWidth + tOff[f];
            for (int j = 0; j < dm; j++) {
              gb[j] += dx0[xo + j];
            }
            for (int q = 0; q < k; q++) {
              float tv = t[to + q];
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
