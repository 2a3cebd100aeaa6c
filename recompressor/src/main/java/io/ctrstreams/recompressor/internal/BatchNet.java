package io.ctrstreams.recompressor.internal;

import io.ctrstreams.model.AffineLayer;
import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CrossStructure;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.Embedding;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.Linear;
import io.ctrstreams.model.LowRankEmbedding;
import io.ctrstreams.model.LowRankLinear;
import io.ctrstreams.model.ModelGraph;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.Tensor;
import io.ctrstreams.recompressor.Calibration;
import io.ctrstreams.recompressor.LinearFactors;
import io.ctrstreams.recompressor.RecompressorException;
import io.ctrstreams.trainer.Nd4jMatMul;

/**
 * The forward pass of a CTR model over blocks of calibration rows with batched GEMMs, following
 * docs/model-format.md exactly (tested against the core's reference scorer). Layers can be swapped
 * one at a time, which is how the compressor builds students in order and how the rank search
 * scores candidates without materializing whole models. Immutable; {@code with*} return copies
 * sharing the other layers.
 */
public final class BatchNet {
  /** Rows per block in {@link #logits}: bounds the activation memory. */
  public static final int BLOCK = 4096;

  /**
   * A batched affine map {@code R^in -> R^out}: one of the model core's layers, whose batch
   * forward runs on ND4J's sgemm (BENCHMARKS.md section 3.1: 38-52 GFLOP/s against 2.4 for a
   * scalar loop).
   */
  public abstract static class Affine {
    private final AffineLayer layer;

    Affine(AffineLayer layer) {
      this.layer = layer;
    }

    public int in() {
      return layer.inputSize();
    }

    public int out() {
      return layer.outputSize();
    }

    /** {@code n} rows of {@code x} [n, in] to a new [n, out]. */
    public float[] apply(float[] x, int n) {
      float[] y = new float[n * out()];
      layer.forward(Nd4jMatMul.instance(), x, n, y, new float[n * layer.scratchSize()]);
      return y;
    }
  }

  /** {@code y = W x + b}. */
  public static final class Dense extends Affine {
    private final Linear layer;

    public Dense(Linear layer) {
      super(layer);
      this.layer = layer;
    }

    /** W [out, in] (the model's array, not a copy). */
    public float[] weight() {
      return layer.weight().data();
    }

    public float[] bias() {
      return layer.bias().data();
    }
  }

  /** {@code y = U act(V x + c) + d}. */
  public static final class Factored extends Affine {
    private final LinearFactors f;

    public Factored(LinearFactors f, boolean relu) {
      super(new LowRankLinear(new Tensor("v", new int[] {f.rank(), f.in()}, f.first()),
          new Tensor("c", new int[] {f.rank()}, f.firstBias()), new Tensor("u", new int[] {f.out(), f.rank()},
              f.second()), new Tensor("d", new int[] {f.out()}, f.secondBias()), relu));
      this.f = f;
    }

    public LinearFactors factors() {
      return f;
    }
  }

  /** How one field fills its slice of x0. */
  public interface FieldInput {
    /** Floats written per row. */
    int width();

    /** Writes the field's vector for table row {@code row} (SCALED: value {@code scale}). */
    void write(int row, float scale, float[] out, int off);
  }

  /** A dense table [rows, d]; SCALED fields multiply row 0 by the value. */
  public record DenseInput(float[] table, int dim) implements FieldInput {
    @Override
    public int width() {
      return dim;
    }

    @Override
    public void write(int row, float scale, float[] out, int off) {
      int base = row * dim;
      for (int j = 0; j < dim; j++) {
        out[off + j] = scale * table[base + j];
      }
    }
  }

  /**
   * A dense table seen through a rank-k projection: {@code e_hat = a + P (e - a)}, {@code P = U_k
   * U_k^T} (d x d). Equal to the low-rank table of the same basis, without building it.
   */
  public record ProjectedInput(float[] table, int dim, float[] projector, float[] anchor) implements FieldInput {
    @Override
    public int width() {
      return dim;
    }

    @Override
    public void write(int row, float scale, float[] out, int off) {
      int base = row * dim;
      for (int i = 0; i < dim; i++) {
        double s = anchor[i];
        int p = i * dim;
        for (int j = 0; j < dim; j++) {
          s += projector[p + j] * (table[base + j] - anchor[j]);
        }
        out[off + i] = (float) s;
      }
    }
  }

  /** A low-rank table: {@code e = bias + table[row] proj} (proj [k, d]). */
  public record LowRankInput(float[] table, int rank, float[] proj, float[] bias) implements FieldInput {
    @Override
    public int width() {
      return bias.length;
    }

    @Override
    public void write(int row, float scale, float[] out, int off) {
      int dim = bias.length;
      System.arraycopy(bias, 0, out, off, dim);
      int base = row * rank;
      for (int r = 0; r < rank; r++) {
        float t = table[base + r];
        int p = r * dim;
        for (int j = 0; j < dim; j++) {
          out[off + j] += t * proj[p + j];
        }
      }
    }
  }

  /** A folded low-rank table: the k-dim row itself (the first MLP layer holds the projection). */
  public record FoldedInput(float[] table, int rank) implements FieldInput {
    @Override
    public int width() {
      return rank;
    }

    @Override
    public void write(int row, float scale, float[] out, int off) {
      System.arraycopy(table, row * rank, out, off, rank);
    }
  }

  private final ModelSpec spec;
  private final FieldInput[] inputs;
  private final float[][] fmFirst;
  private final float fmBias;
  private final Affine[] cross;
  private final Affine[] mlp;
  private final float[] outW;
  private final float outB;

  private BatchNet(ModelSpec spec, FieldInput[] inputs, float[][] fmFirst, float fmBias, Affine[] cross,
      Affine[] mlp, float[] outW, float outB) {
    this.spec = spec;
    this.inputs = inputs;
    this.fmFirst = fmFirst;
    this.fmBias = fmBias;
    this.cross = cross;
    this.mlp = mlp;
    this.outW = outW;
    this.outB = outB;
  }

  /** The network of {@code model} as it is (dense, low-rank or folded layers). */
  public static BatchNet of(CtrModel model) {
    ModelSpec spec = model.spec();
    ModelGraph g = model.graph();
    int nf = spec.fieldCount();
    FieldInput[] in = new FieldInput[nf];
    float[][] fm = spec.architecture() == Architecture.DEEPFM ? new float[nf][] : null;
    for (int f = 0; f < nf; f++) {
      LowRankEmbedding lr = g.lowRankEmbedding(f);
      if (lr == null) {
        Embedding e = g.denseEmbedding(f);
        in[f] = new DenseInput(e.table().data(), e.dim());
      } else if (lr.isFolded()) {
        in[f] = new FoldedInput(lr.table().data(), lr.rank());
      } else {
        in[f] = new LowRankInput(lr.table().data(), lr.rank(), lr.projection().data(), lr.bias().data());
      }
      if (fm != null) {
        fm[f] = g.fmFirst(f);
      }
    }
    Affine[] cross = new Affine[g.crossLayers()];
    for (int i = 0; i < cross.length; i++) {
      cross[i] = affine(g.cross(i).map());
    }
    Affine[] mlp = new Affine[g.mlpLayers()];
    for (int i = 0; i < mlp.length; i++) {
      mlp[i] = affine(g.mlp(i));
    }
    return new BatchNet(spec, in, fm, g.fmBias(), cross, mlp, g.output().weight().data(),
        g.output().bias().data()[0]);
  }

  private static Affine affine(AffineLayer l) {
    if (l instanceof Linear lin) {
      return new Dense(lin);
    }
    if (l instanceof LowRankLinear lr) {
      LinearFactors f = new LinearFactors(lr.outputSize(), lr.inputSize(), lr.rank(), lr.v().data(), lr.c().data(),
          lr.u().data(), lr.d().data());
      return new Factored(f, lr.hasActivation());
    }
    throw new RecompressorException("unsupported layer type " + l.getClass().getName());
  }

  public ModelSpec spec() {
    return spec;
  }

  public FieldInput input(int f) {
    return inputs[f];
  }

  public Affine cross(int i) {
    return cross[i];
  }

  public Affine mlp(int i) {
    return mlp[i];
  }

  public int crossLayers() {
    return cross.length;
  }

  public int mlpLayers() {
    return mlp.length;
  }

  /** A copy with field {@code f} replaced. */
  public BatchNet withInput(int f, FieldInput in) {
    FieldInput[] a = inputs.clone();
    a[f] = in;
    return new BatchNet(spec, a, fmFirst, fmBias, cross, mlp, outW, outB);
  }

  /** A copy with cross layer {@code i}'s map replaced. */
  public BatchNet withCross(int i, Affine layer) {
    Affine[] a = cross.clone();
    a[i] = layer;
    return new BatchNet(spec, inputs, fmFirst, fmBias, a, mlp, outW, outB);
  }

  /** A copy with hidden layer {@code i} replaced. */
  public BatchNet withMlp(int i, Affine layer) {
    Affine[] a = mlp.clone();
    a[i] = layer;
    return new BatchNet(spec, inputs, fmFirst, fmBias, cross, a, outW, outB);
  }

  /** Width of x0 as this net builds it. */
  public int inputWidth() {
    int w = 0;
    for (FieldInput in : inputs) {
      w += in.width();
    }
    return w;
  }

  /** x0 [n, inputWidth] of rows {@code [from, from + n)}. */
  public float[] embed(Calibration c, int from, int n) {
    int width = inputWidth();
    float[] x0 = new float[n * width];
    for (int r = 0; r < n; r++) {
      int off = r * width;
      for (int f = 0; f < inputs.length; f++) {
        inputs[f].write(c.index(from + r, f), c.value(from + r, f), x0, off);
        off += inputs[f].width();
      }
    }
    return x0;
  }

  /** Logits of rows {@code [from, to)}, in blocks of {@link #BLOCK}. */
  public float[] logits(Calibration c, int from, int to) {
    float[] out = new float[to - from];
    for (int s = from; s < to; s += BLOCK) {
      int n = Math.min(BLOCK, to - s);
      float[] block = blockLogits(c, s, n);
      System.arraycopy(block, 0, out, s - from, n);
    }
    return out;
  }

  private float[] blockLogits(Calibration c, int from, int n) {
    float[] x0 = embed(c, from, n);
    float[] logit = fmLogits(c, from, n, x0);
    float[] xl = x0;
    for (int i = 0; i < cross.length; i++) {
      xl = crossForward(i, x0, xl, n);
    }
    float[] h = mlpInput(x0, xl);
    for (int i = 0; i < mlp.length; i++) {
      h = mlpForward(i, h, n);
    }
    addOutput(xl, h, n, logit);
    return logit;
  }

  /**
   * The DeepFM part of the logit (first-order terms, global bias, pairwise interactions) of rows
   * {@code [from, from + n)} given their x0; zeros for other architectures.
   */
  public float[] fmLogits(Calibration c, int from, int n, float[] x0) {
    float[] logit = new float[n];
    if (fmFirst == null) {
      return logit;
    }
    int width = inputWidth();
    int d = spec.field(0).embeddingDim();
    int nf = inputs.length;
    for (int r = 0; r < n; r++) {
      float l = fmBias;
      for (int f = 0; f < nf; f++) {
        l += fmFirst[f][c.index(from + r, f)] * (spec.field(f).isLookup() ? 1f : c.value(from + r, f));
      }
      double fm = 0;
      int off = r * width;
      for (int j = 0; j < d; j++) {
        float sum = 0f;
        float sumSq = 0f;
        for (int f = 0; f < nf; f++) {
          float e = x0[off + f * d + j];
          sum += e;
          sumSq += e * e;
        }
        fm += sum * sum - sumSq;
      }
      logit[r] = l + (float) (0.5 * fm);
    }
    return logit;
  }

  /** Cross layer {@code i}: {@code x0 * map(xl) + xl}. */
  public float[] crossForward(int i, float[] x0, float[] xl, int n) {
    return crossStep(x0, xl, cross[i].apply(xl, n));
  }

  /** Whether the MLP reads the cross network's output (DCN-V2 stacked) rather than x0. */
  public boolean stacked() {
    return spec.architecture() == Architecture.DCNV2 && spec.crossStructure() == CrossStructure.STACKED;
  }

  /** The first hidden layer's input: the cross output when stacked, else x0. */
  public float[] mlpInput(float[] x0, float[] xl) {
    return stacked() ? xl : x0;
  }

  /** Hidden layer {@code i} followed by ReLU. */
  public float[] mlpForward(int i, float[] h, int n) {
    float[] y = mlp[i].apply(h, n);
    reluInPlace(y, y.length);
    return y;
  }

  /** Adds the output unit's value to {@code logit}; {@code xl} is the cross output (parallel DCN-V2). */
  public void addOutput(float[] xl, float[] h, int n, float[] logit) {
    int width = inputWidth();
    boolean parallel = spec.architecture() == Architecture.DCNV2 && spec.crossStructure() == CrossStructure.PARALLEL;
    int hw = mlp.length == 0 ? width : mlp[mlp.length - 1].out();
    for (int r = 0; r < n; r++) {
      float z = outB;
      int wi = 0;
      if (parallel) {
        int off = r * width;
        for (int j = 0; j < width; j++) {
          z += outW[wi++] * xl[off + j];
        }
      }
      int off = r * hw;
      for (int j = 0; j < hw; j++) {
        z += outW[wi++] * h[off + j];
      }
      logit[r] += z;
    }
  }

  /** {@code x_{l+1} = x0 * t + x_l}, written into a new array. */
  public static float[] crossStep(float[] x0, float[] xl, float[] t) {
    float[] next = new float[xl.length];
    for (int i = 0; i < next.length; i++) {
      next[i] = x0[i] * t[i] + xl[i];
    }
    return next;
  }

  /** max(x, 0) on the first {@code n} entries. */
  public static void reluInPlace(float[] x, int n) {
    for (int i = 0; i < n; i++) {
      if (x[i] < 0f) {
        x[i] = 0f;
      }
    }
  }
}
