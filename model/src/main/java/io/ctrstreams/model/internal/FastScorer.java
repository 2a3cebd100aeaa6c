package io.ctrstreams.model.internal;

import io.ctrstreams.model.AffineLayer;
import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.Embedding;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldInput;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.Linear;
import io.ctrstreams.model.LowRankEmbedding;
import io.ctrstreams.model.ModelGraph;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.delta.RowPages;
import io.ctrstreams.model.Scorer;
import java.util.Arrays;

/**
 * The optimized scorer. Three ideas, each measured by {@code ScorerBenchmark}:
 *
 * <ol>
 *   <li><b>Context once per request.</b> x0 is kept in a permuted layout, context fields first,
 *       then candidate fields, and every weight that touches x0 is permuted to match at load.
 *       The first layer of each path that reads x0 is linear in it, so its context part
 *       {@code b + W_ctx x_ctx} is computed once per request and each candidate only adds
 *       {@code W_cand x_cand} (a 13-of-39-field Criteo candidate is a third of the work).
 *   <li><b>Batched layers.</b> Candidates go through the network in blocks of {@link #BLOCK}; every
 *       layer is one {@link MatMul#gemm} over the block, so each weight is streamed once per
 *       block rather than once per candidate.
 *   <li><b>Transposed weights</b> ([in, out]) prepared once here, so the kernels' inner loops run
 *       over contiguous rows that C2 vectorizes (AVX2 / AVX-512 FMA).
 * </ol>
 *
 * <p>Scratch lives in a per-thread {@link Work} ({@link ThreadLocal}); nothing is allocated per
 * request or candidate in steady state. Results agree with {@link ReferenceScorer} up to float
 * summation order (property-tested).
 */
public final class FastScorer implements Scorer {
  /** Candidates per block: bounds scratch size and keeps a block's activations in L1/L2. */
  public static final int BLOCK = 32;

  /** The block products: Vector API kernels when the JVM has them, else {@link Kernels}. */
  private static final MatMul MM = MatMuls.get();

  private final CtrModel model;
  private final ModelSpec spec;
  private final Inputs inputs;
  private final Prepared p;
  private final ThreadLocal<Work> work;

  /** An optimized scorer for {@code model}; prepares transposed, permuted weights. */
  public FastScorer(CtrModel model) {
    this(model, new Prepared(LayerPlan.of(model.graph()), null));
  }

  /**
   * A scorer of {@code model}'s spec over the layers of {@code graph} with the field tables
   * {@code tables} (by field ordinal; a null entry takes the graph's table): how a delta-updated
   * model is scored without copying its tables.
   */
  public static FastScorer paged(CtrModel model, ModelGraph graph, RowPages[] tables) {
    return new FastScorer(model, new Prepared(LayerPlan.of(graph), tables));
  }

  /**
   * This scorer with other field tables (by field ordinal; null keeps this one's) and every other
   * prepared layout shared.
   */
  public FastScorer withTables(RowPages[] tables) {
    Prepared q = p.copy();
    q.table = p.table.clone();
    for (int f = 0; f < tables.length; f++) {
      if (tables[f] != null) {
        q.table[f] = tables[f];
      }
    }
    return new FastScorer(model, q);
  }

  /** The field tables this scorer reads (by field ordinal). */
  public RowPages table(int field) {
    return p.table[field];
  }

  private FastScorer(CtrModel model, Prepared prepared) {
    this.model = model;
    this.spec = model.spec();
    this.inputs = new Inputs(spec);
    this.p = prepared;
    this.work = ThreadLocal.withInitial(() -> new Work(p));
  }

  /** A scorer for {@code other} (same weights, e.g. another version) sharing prepared layouts. */
  public FastScorer forModel(CtrModel other) {
    return new FastScorer(other, p);
  }

  @Override
  public CtrModel model() {
    return model;
  }

  /**
   * Multiply-adds computed once per request rather than per candidate ({@link #prepareContext}):
   * the context fields' embedding projections and values, the context part of each split first
   * layer and DeepFM's context sums. A request of n candidates executes {@code shared + n *
   * (full - shared)}, where full is {@code ModelGraph.multiplyAdds()}.
   */
  public long sharedMultiplyAdds() {
    long m = 0;
    for (int f : p.ctxFields) {
      if (p.proj[f] != null) {
        m += (long) p.tableWidth[f] * p.width[f];
      } else if (!p.lookup[f]) {
        m += p.width[f];
      }
    }
    if (p.cross.length > 0) {
      m += (long) p.wctx * p.cross[0].firstWidth();
    }
    if (p.splitMlp) {
      m += (long) p.wctx * p.mlp[0].firstWidth();
    }
    if (p.deepFm) {
      m += 2L * p.ctxFields.length * p.fmDim;
    }
    return m;
  }

  /** Heap bytes of the prepared (transposed, permuted) weight copies. */
  public long ramBytesUsed() {
    return p.ramBytes;
  }

  @Override
  public float scoreLogit(FeatureVector context, FeatureVector candidate) {
    inputs.checkContext(context);
    inputs.checkCandidate(candidate);
    Work w = work.get();
    w.one[0] = candidate;
    prepareContext(context, w);
    scoreBlock(context, w.one, 0, 1, w.oneOut, 0, w);
    return w.oneOut[0];
  }

  @Override
  public void scoreLogitsBatch(FeatureVector context, FeatureVector[] candidates, int n, float[] out) {
    inputs.checkBatch(context, candidates, n, out);
    if (n == 0) {
      return;
    }
    Work w = work.get();
    prepareContext(context, w);
    for (int s = 0; s < n; s += BLOCK) {
      scoreBlock(context, candidates, s, Math.min(BLOCK, n - s), out, s, w);
    }
  }

  /** Per request: context embeddings, the context part of split layers, DeepFM context sums. */
  private void prepareContext(FeatureVector ctx, Work w) {
    int[] idx = ctx.index();
    float[] val = ctx.value();
    for (int f : p.ctxFields) {
      embed(f, idx[f], val[f], w.ctx0[0], p.pos[f]);
    }
    if (p.cross.length > 0) {
      p.cross[0].prepare(w.ctx0, p.wctx, w.pcCross);
    }
    if (p.splitMlp) {
      p.mlp[0].prepare(w.ctx0, p.wctx, w.pcMlp);
    }
    if (p.deepFm) {
      Arrays.fill(w.fmSum, 0f);
      float sq = 0f;
      float first = p.fmBias;
      int d = p.fmDim;
      for (int f : p.ctxFields) {
        int o = p.pos[f];
        for (int j = 0; j < d; j++) {
          float e = w.ctx0[0][o + j];
          w.fmSum[j] += e;
          sq += e * e;
        }
        first += p.fmFirst[f][p.lookup[f] ? idx[f] : 0] * (p.lookup[f] ? 1f : val[f]);
      }
      w.fmSq = sq;
      w.fmFirst = first;
    }
  }

  private void embed(int f, int row, float value, float[] out, int off) {
    RowPages pages = p.table[f];
    int tw = p.tableWidth[f];
    if (!p.lookup[f]) {
      float[] t = pages.page(0);
      int o0 = pages.offset(0);
      for (int j = 0; j < tw; j++) {
        out[off + j] = value * t[o0 + j];
      }
      return;
    }
    float[] t = pages.page(row);
    int base = pages.offset(row);
    float[] proj = p.proj[f];
    if (proj == null) {
      System.arraycopy(t, base, out, off, tw);
      return;
    }
    // the rank-r code through its projection: vector FMAs (a scalar loop of 16-float rows, which C2
    // leaves unvectorized, was a quarter of the DCN-V2 low-rank scorer's time; BENCHMARKS.md 1g)
    MM.rowAffine(t, base, tw, proj, p.embBias[f], p.width[f], out, off);
  }

  /** Candidates ahead whose table rows {@link #scoreBlock} touches before copying the current one's. */
  static final int AHEAD = 2;

  /**
   * Reads the first and last float of each looked-up table row of {@code v} (a row of 16 floats
   * spans two cache lines) and returns their sum. The rows are random, mostly cache misses, and
   * one candidate's copies (a stub call per field) fill the out-of-order window, so without this
   * the next candidates' misses would start only after the current ones' have returned.
   */
  private float touchRows(FeatureVector v) {
    int[] idx = v.index();
    float s = 0f;
    for (int f : p.candFields) {
      if (p.lookup[f]) {
        RowPages pages = p.table[f];
        int r = idx[f];
        float[] t = pages.page(r);
        int o = pages.offset(r);
        s += t[o] + t[o + p.tableWidth[f] - 1];
      }
    }
    return s;
  }

  private void scoreBlock(FeatureVector ctx, FeatureVector[] cands, int start, int m, float[] out, int outOff,
      Work w) {
    final int W = p.width0;
    float[][] x0 = w.x0;
    // 1. embeddings of the candidate fields (and the shared context part where a layer needs full x0);
    // the rows of candidate c + AHEAD are touched before candidate c's are copied (see touchRows)
    float touched = 0f;
    for (int c = 0; c < m; c++) {
      if (c + AHEAD < m) {
        touched += touchRows(cands[start + c + AHEAD]);
      }
      FeatureVector v = cands[start + c];
      int[] idx = v.index();
      float[] val = v.value();
      float[] row = x0[c];
      for (int f : p.candFields) {
        embed(f, idx[f], val[f], row, p.pos[f]);
      }
      if (p.needFullX0) {
        System.arraycopy(w.ctx0[0], 0, row, 0, p.wctx);
      }
    }
    w.touched = touched;
    // 2. DeepFM first-order + FM terms
    if (p.deepFm) {
      int d = p.fmDim;
      float[] tmp = w.fmTmp;
      for (int c = 0; c < m; c++) {
        FeatureVector v = cands[start + c];
        float[] row = x0[c];
        float first = w.fmFirst;
        float sq = w.fmSq;
        System.arraycopy(w.fmSum, 0, tmp, 0, d);
        for (int f : p.candFields) {
          int o = p.pos[f];
          for (int j = 0; j < d; j++) {
            float e = row[o + j];
            tmp[j] += e;
            sq += e * e;
          }
          first += p.fmFirst[f][p.lookup[f] ? v.index()[f] : 0] * (p.lookup[f] ? 1f : v.value()[f]);
        }
        float s2 = 0f;
        for (int j = 0; j < d; j++) {
          s2 += tmp[j] * tmp[j];
        }
        w.extra[c] = first + 0.5f * (s2 - sq);
      }
    } else {
      Arrays.fill(w.extra, 0, m, 0f);
    }
    // 3. cross network (x0-space, permuted): x_{l+1} = x0 * (W x_l + b) + x_l
    float[][] xl = x0;
    if (p.cross.length > 0) {
      xl = w.xl;
      float[][] t = w.t;
      for (int l = 0; l < p.cross.length; l++) {
        float[][] in = l == 0 ? x0 : xl;
        PLayer cl = p.cross[l];
        if (l == 0) {
          cl.forward(x0, p.wctx, w.pcCross[0], m, t, w.mid, false);
        } else {
          cl.forward(in, m, t, w.mid, false);
        }
        for (int c = 0; c < m; c++) {
          float[] xr = x0[c];
          float[] tr = t[c];
          float[] ir = in[c];
          float[] yr = xl[c];
          for (int j = 0; j < W; j++) {
            yr[j] = Math.fma(xr[j], tr[j], ir[j]);
          }
        }
      }
    }
    // 4. MLP
    float[][] h = p.stackedCross ? xl : x0;
    int hw = W;
    int last = p.mlp.length - 1;
    for (int l = 0; l <= last; l++) {
      PLayer L = p.mlp[l];
      float[][] y = h == w.a ? w.b : w.a;
      boolean relu = l < last; // the last layer's ReLU runs inside the output unit's dot product
      if (l == 0 && p.splitMlp) { // then h is x0
        L.forward(h, p.wctx, w.pcMlp[0], m, y, w.mid, relu);
      } else {
        L.forward(h, m, y, w.mid, relu);
      }
      h = y;
      hw = L.out;
    }
    // 5. output unit
    float[] ow = p.outW;
    int hOff = p.parallel ? W : 0;
    boolean hRelu = last >= 0;
    for (int c = 0; c < m; c++) {
      float z = p.outB + w.extra[c];
      if (p.parallel) {
        z = MM.dot16(ow, 0, xl[c], W, z, false);
      }
      out[outOff + c] = MM.dot16(ow, hOff, h[c], hw, z, hRelu);
    }
  }

  /**
   * An affine layer compiled from its {@link AffineLayer#factors()}: transposed and, where it
   * touches x0, permuted weights; a layer of any type with one or two factors.
   */
  static final class PLayer {
    final int in;
    final int out;
    final int rank;
    final boolean act;
    final float[][] first; // dense: Wt [in][out]; low-rank: Vt [in][k]
    final float[] firstBias; // dense: b [out]; low-rank: c [k]
    final float[][] ut; // low-rank: Ut [k][out]
    final float[] d; // low-rank: d [out]
    /** The first factor's rows from {@link #packFrom} (the batched product's rows) packed by {@link MatMul#pack}, or null. */
    final float[] firstPacked;
    /** The first rows of {@code first} a batched product reads: 0, or the context width of a split first layer. */
    final int packFrom;
    /** {@code ut} packed by {@link MatMul#pack}, or null. */
    final float[] utPacked;

    PLayer(AffineLayer layer, int[] inPerm, int[] outPerm, int packFrom) {
      Linear[] f = layer.factors();
      this.in = layer.inputSize();
      this.out = layer.outputSize();
      this.act = layer.hasActivation();
      rank = f.length == 1 ? 0 : f[0].outputSize();
      int[] firstPerm = f.length == 1 ? outPerm : null;
      first = transposePermuted(f[0].weight().data(), f[0].outputSize(), in, firstPerm, inPerm);
      firstBias = permute(f[0].bias().data(), firstPerm);
      ut = f.length == 1 ? null : transposePermuted(f[1].weight().data(), out, rank, outPerm, null);
      d = f.length == 1 ? null : permute(f[1].bias().data(), outPerm);
      this.packFrom = packFrom;
      firstPacked = MM.pack(first, packFrom, in - packFrom, firstWidth());
      utPacked = ut == null ? null : MM.pack(ut, 0, rank, out);
    }

    int firstWidth() {
      return rank == 0 ? out : rank;
    }

    long ramBytes() {
      long b = 16L + 4L * firstBias.length + (16L + 4L * firstWidth()) * in;
      if (ut != null) {
        b += (16L + 4L * out) * rank + 4L * d.length;
      }
      b += firstPacked == null ? 0 : 16L + 4L * firstPacked.length;
      b += utPacked == null ? 0 : 16L + 4L * utPacked.length;
      return b;
    }

    /** pc = bias + W[ctx rows] x_ctx (ctx0 holds one row): the per-request part of a split first layer. */
    void prepare(float[][] ctx0, int wctx, float[][] pc) {
      System.arraycopy(firstBias, 0, pc[0], 0, firstWidth());
      MM.gemm(ctx0, 0, 1, wctx, first, 0, firstWidth(), pc);
    }

    /**
     * y = layer(x) for m rows over x's columns from {@code off}, ReLU applied when {@code relu};
     * {@code bias} is the first product's bias plus the columns before {@code off} ({@code
     * firstBias} when off = 0, the {@link #prepare}d context part when off is its width).
     */
    /**
     * y = layer(x) for m rows, ReLU applied when {@code relu}. A body of its own beside the
     * offset form below, not a call to it: separate call sites keep C2's profile and inlining of
     * the whole-row case apart from the split first layer's (one shared body measured 4% slower
     * on average, up to 17% for DCNv2 batch 16; BENCHMARKS.md section 1.0).
     */
    void forward(float[][] x, int m, float[][] y, float[][] mid, boolean relu) {
      if (firstPacked == null) { // kernels reading rows (forced 4x4 / 6x2, Java): the call path they were tuned with
        if (rank == 0) {
          MM.affine(x, 0, m, in, first, 0, out, firstBias, relu, false, y);
        } else {
          MM.affine(x, 0, m, in, first, 0, rank, firstBias, act, true, mid);
          MM.affine(mid, 0, m, rank, ut, 0, out, d, relu, false, y);
        }
        return;
      }
      float[] fp = packFrom == 0 ? firstPacked : null;
      if (rank == 0) {
        MM.affinePacked(x, 0, m, in, first, 0, fp, out, firstBias, relu, false, y);
      } else {
        MM.affinePacked(x, 0, m, in, first, 0, fp, rank, firstBias, act, true, mid);
        MM.affinePacked(mid, 0, m, rank, ut, 0, utPacked, out, d, relu, false, y);
      }
    }

    void forward(float[][] x, int off, float[] bias, int m, float[][] y, float[][] mid, boolean relu) {
      if (firstPacked == null) { // kernels reading rows (forced 4x4 / 6x2, Java): the call path they were tuned with
        if (rank == 0) {
          MM.affine(x, off, m, in - off, first, off, out, bias, relu, false, y);
        } else {
          MM.affine(x, off, m, in - off, first, off, rank, bias, act, true, mid);
          MM.affine(mid, 0, m, rank, ut, 0, out, d, relu, false, y);
        }
        return;
      }
      float[] fp = packFrom == off ? firstPacked : null;
      if (rank == 0) {
        MM.affinePacked(x, off, m, in - off, first, off, fp, out, bias, relu, false, y);
      } else {
        MM.affinePacked(x, off, m, in - off, first, off, fp, rank, bias, act, true, mid);
        MM.affinePacked(mid, 0, m, rank, ut, 0, utPacked, out, d, relu, false, y);
      }
    }
  }

  /** Everything prepared once per model. */
  static final class Prepared implements Cloneable {
    final int width0;
    final int wctx;
    final int[] ctxFields;
    final int[] candFields;
    final int[] pos;
    final int[] width;
    final boolean[] lookup;
    /** Field tables, paged so a delta-updated scorer shares untouched pages; set before publication. */
    RowPages[] table;
    final int[] tableWidth;
    final float[][] proj;
    final float[][] embBias;
    final boolean deepFm;
    final float[][] fmFirst;
    final float fmBias;
    final int fmDim;
    final PLayer[] cross;
    final PLayer[] mlp;
    final boolean splitMlp;
    final boolean stackedCross;
    final boolean parallel;
    final boolean needFullX0;
    final float[] outW;
    final float outB;
    final int maxMlp;
    final int maxRank;
    final long ramBytes;

    /** Compiles each step of {@code plan}: field inputs, DeepFM terms, cross and MLP layers, output unit. */
    /** A shallow copy (every layout shared). */
    Prepared copy() {
      try {
        return (Prepared) clone();
      } catch (CloneNotSupportedException e) {
        throw new AssertionError(e);
      }
    }

    Prepared(LayerPlan plan, RowPages[] tables) {
      ModelSpec spec = plan.spec();
      int nf = spec.fieldCount();
      ctxFields = spec.fieldsWithRole(FieldSpec.Role.CONTEXT);
      candFields = spec.fieldsWithRole(FieldSpec.Role.CANDIDATE);
      pos = new int[nf];
      width = new int[nf];
      lookup = new boolean[nf];
      table = new RowPages[nf];
      tableWidth = new int[nf];
      proj = new float[nf][];
      embBias = new float[nf][];
      int[] origStart = new int[nf];
      int o = 0;
      for (int f = 0; f < nf; f++) {
        FieldInput in = plan.input(f);
        width[f] = in.width();
        origStart[f] = o;
        o += width[f];
        lookup[f] = spec.field(f).isLookup();
        if (in instanceof Embedding) {
          Embedding e = (Embedding) in;
          table[f] = tables != null && tables[f] != null ? tables[f] : RowPages.of(e.table().data(), e.rows(), width[f]);
          tableWidth[f] = width[f];
        } else {
          LowRankEmbedding lr = (LowRankEmbedding) in;
          table[f] = tables != null && tables[f] != null ? tables[f]
              : RowPages.of(lr.table().data(), lr.rows(), lr.rank());
          tableWidth[f] = lr.rank();
          if (!lr.isFolded()) {
            proj[f] = lr.projection().data();
            embBias[f] = lr.bias().data();
          }
        }
      }
      width0 = o;
      // permuted layout: context fields, then candidate fields
      int[] perm = new int[width0]; // permuted position -> original position
      int q = 0;
      for (int f : ctxFields) {
        pos[f] = q;
        for (int j = 0; j < width[f]; j++) {
          perm[q++] = origStart[f] + j;
        }
      }
      wctx = q;
      for (int f : candFields) {
        pos[f] = q;
        for (int j = 0; j < width[f]; j++) {
          perm[q++] = origStart[f] + j;
        }
      }
      deepFm = spec.architecture() == Architecture.DEEPFM;
      fmFirst = new float[nf][];
      if (deepFm) {
        for (int f = 0; f < nf; f++) {
          fmFirst[f] = plan.fmFirst(f);
        }
      }
      fmBias = plan.fmBias();
      fmDim = spec.field(0).embeddingDim();
      boolean dcn = spec.architecture() == Architecture.DCNV2;
      parallel = plan.parallel();
      cross = new PLayer[plan.crossLayers()];
      for (int l = 0; l < cross.length; l++) {
        // the first cross layer's batched product reads the candidate rows only (its context part is prepared)
        cross[l] = new PLayer(plan.cross(l), perm, perm, l == 0 ? wctx : 0);
      }
      stackedCross = cross.length > 0 && !parallel;
      boolean split = plan.mlpLayers() > 0 && !stackedCross;
      mlp = new PLayer[plan.mlpLayers()];
      int maxM = 1;
      int maxR = 1;
      for (int l = 0; l < mlp.length; l++) {
        // layer 0 reads x0 or the cross output: both in the permuted x0 space
        mlp[l] = new PLayer(plan.mlp(l), l == 0 ? perm : null, null, l == 0 && split ? wctx : 0);
        maxM = Math.max(maxM, mlp[l].out);
        maxR = Math.max(maxR, mlp[l].rank);
      }
      for (PLayer c : cross) {
        maxR = Math.max(maxR, c.rank);
      }
      maxMlp = maxM;
      maxRank = maxR;
      splitMlp = split;
      needFullX0 = dcn || mlp.length == 0;
      // output unit: x0-space inputs permuted
      float[] w = plan.output().weight().data();
      outW = new float[w.length];
      int wi = 0;
      if (parallel) {
        for (int j = 0; j < width0; j++) {
          outW[wi++] = w[perm[j]];
        }
      }
      int rest = w.length - wi;
      if (mlp.length == 0) {
        for (int j = 0; j < rest; j++) {
          outW[wi + j] = w[wi + perm[j]];
        }
      } else {
        System.arraycopy(w, wi, outW, wi, rest);
      }
      outB = plan.output().bias().data()[0];
      long b = 4L * outW.length;
      for (PLayer l : cross) {
        b += l.ramBytes();
      }
      for (PLayer l : mlp) {
        b += l.ramBytes();
      }
      ramBytes = b + 64L * nf;
    }
  }

  /** Per-thread scratch, sized for one block; matrices are arrays of rows (see {@link Kernels}). */
  static final class Work {
    final float[][] ctx0;
    final float[][] pcCross;
    final float[][] pcMlp;
    final float[][] x0;
    final float[][] xl;
    final float[][] t;
    final float[][] a;
    final float[][] b;
    final float[][] mid;
    final float[] extra = new float[BLOCK];
    final float[] fmSum;
    final float[] fmTmp;
    float fmSq;
    float fmFirst;
    /** The sum {@link #touchRows} returned for the last block: stored so its loads are not dead. */
    float touched;
    final FeatureVector[] one = new FeatureVector[1];
    final float[] oneOut = new float[1];

    Work(Prepared p) {
      int W = p.width0;
      boolean cross = p.cross.length > 0;
      ctx0 = new float[1][W];
      pcCross = new float[1][cross ? p.cross[0].firstWidth() : 1];
      pcMlp = new float[1][p.splitMlp ? p.mlp[0].firstWidth() : 1];
      x0 = new float[BLOCK][W];
      xl = cross ? new float[BLOCK][W] : null;
      t = cross ? new float[BLOCK][W] : null;
      a = new float[BLOCK][p.maxMlp];
      b = new float[BLOCK][p.maxMlp];
      mid = new float[BLOCK][p.maxRank];
      fmSum = new float[p.fmDim];
      fmTmp = new float[p.fmDim];
    }
  }

  /** {@code Mt[pi][po] = M[outPerm(po), inPerm(pi)]} for {@code M} [rows=out, cols=in]. */
  static float[][] transposePermuted(float[] m, int rows, int cols, int[] outPerm, int[] inPerm) {
    float[][] t = new float[cols][rows];
    for (int pi = 0; pi < cols; pi++) {
      int i = inPerm == null ? pi : inPerm[pi];
      float[] tr = t[pi];
      for (int po = 0; po < rows; po++) {
        int r = outPerm == null ? po : outPerm[po];
        tr[po] = m[r * cols + i];
      }
    }
    return t;
  }

  static float[] permute(float[] v, int[] perm) {
    if (perm == null) {
      return v.clone();
    }
    float[] r = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      r[i] = v[perm[i]];
    }
    return r;
  }
}
