package io.ctrstreams.model.internal;

import io.ctrstreams.model.AffineLayer;
import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CrossStructure;
import io.ctrstreams.model.FieldInput;
import io.ctrstreams.model.Linear;
import io.ctrstreams.model.ModelGraph;
import io.ctrstreams.model.ModelSpec;
import java.util.Arrays;

/**
 * The one batch forward pass of a CTR network, built from a {@link ModelGraph}: per field a
 * {@link FieldInput}, the DeepFM terms, the DCN-V2 cross layers (stacked or parallel), the ReLU
 * MLP and the output unit, over row-major blocks of examples with every product on a {@link
 * MatMul}. The trainer's replicas run it and keep the {@link Activations} for their backward pass;
 * the recompressor's calibration passes run it step by step and swap layers one at a time ({@code
 * with*}: copies sharing the other layers) to build and score students. {@link ReferenceScorer},
 * one candidate at a time, is the oracle all are tested against; {@link FastScorer} compiles each
 * step of a plan (inputs, DeepFM terms, layers, output) into its permuted, transposed form. Weights and biases are read at each call, so a
 * plan over a trainer's live weights follows its updates. Immutable.
 */
public final class LayerPlan {
  /** Field {@code f} of example {@code r} of a batch: its table row and (SCALED fields) value. */
  public interface Rows {
    int index(int r, int f);

    float value(int r, int f);
  }

  private final ModelGraph graph;
  private final ModelSpec spec;
  private final FieldInput[] inputs;
  private final AffineLayer[] cross;
  private final AffineLayer[] mlp;
  private final int width;

  private LayerPlan(ModelGraph graph, FieldInput[] inputs, AffineLayer[] cross, AffineLayer[] mlp) {
    this.graph = graph;
    this.spec = graph.spec();
    this.inputs = inputs;
    this.cross = cross;
    this.mlp = mlp;
    int w = 0;
    for (FieldInput in : inputs) {
      w += in.width();
    }
    this.width = w;
  }

  /** The network of {@code g} as it is (dense, low-rank or folded layers). */
  public static LayerPlan of(ModelGraph g) {
    FieldInput[] in = new FieldInput[g.spec().fieldCount()];
    for (int f = 0; f < in.length; f++) {
      in[f] = g.input(f);
    }
    AffineLayer[] cross = new AffineLayer[g.crossLayers()];
    for (int i = 0; i < cross.length; i++) {
      cross[i] = g.cross(i).map();
    }
    AffineLayer[] mlp = new AffineLayer[g.mlpLayers()];
    for (int i = 0; i < mlp.length; i++) {
      mlp[i] = g.mlp(i);
    }
    return new LayerPlan(g, in, cross, mlp);
  }

  public ModelSpec spec() {
    return spec;
  }

  public FieldInput input(int f) {
    return inputs[f];
  }

  public AffineLayer cross(int i) {
    return cross[i];
  }

  public AffineLayer mlp(int i) {
    return mlp[i];
  }

  /** DeepFM first-order weights of field {@code f} (one per row), or {@code null}. */
  public float[] fmFirst(int f) {
    return graph.fmFirst(f);
  }

  /** DeepFM global bias (0 for other architectures). */
  public float fmBias() {
    return graph.fmBias();
  }

  /** The output unit [1, outputInputWidth]. */
  public Linear output() {
    return graph.output();
  }

  public int crossLayers() {
    return cross.length;
  }

  public int mlpLayers() {
    return mlp.length;
  }

  /** Width of x0 as this plan builds it. */
  public int inputWidth() {
    return width;
  }

  /** A copy with field {@code f}'s input replaced. */
  public LayerPlan withInput(int f, FieldInput in) {
    FieldInput[] a = inputs.clone();
    a[f] = in;
    return new LayerPlan(graph, a, cross, mlp);
  }

  /** A copy with cross layer {@code i}'s map replaced. */
  public LayerPlan withCross(int i, AffineLayer layer) {
    AffineLayer[] a = cross.clone();
    a[i] = layer;
    return new LayerPlan(graph, inputs, a, mlp);
  }

  /** A copy with hidden layer {@code i} replaced. */
  public LayerPlan withMlp(int i, AffineLayer layer) {
    AffineLayer[] a = mlp.clone();
    a[i] = layer;
    return new LayerPlan(graph, inputs, cross, a);
  }

  /** Whether the MLP reads the cross network's output (DCN-V2 stacked) rather than x0. */
  public boolean stacked() {
    return spec.architecture() == Architecture.DCNV2 && spec.crossStructure() == CrossStructure.STACKED;
  }

  /** Whether the output unit reads the cross output beside the MLP's (DCN-V2 parallel). */
  public boolean parallel() {
    return spec.architecture() == Architecture.DCNV2 && spec.crossStructure() == CrossStructure.PARALLEL;
  }

  /** x0 [n, inputWidth] of examples {@code [from, from + n)}. */
  public void embed(Rows rows, int from, int n, float[] x0) {
    for (int r = 0; r < n; r++) {
      int off = r * width;
      for (int f = 0; f < inputs.length; f++) {
        boolean lookup = spec.field(f).isLookup();
        inputs[f].write(lookup ? rows.index(from + r, f) : 0, lookup ? 1f : rows.value(from + r, f), x0, off);
        off += inputs[f].width();
      }
    }
  }

  /**
   * The DeepFM part of the logits of examples {@code [from, from + n)} into {@code logit[0, n)}
   * (overwritten): global bias, first-order terms and the pairwise term {@code 0.5 (S^2 - sum
   * e^2)}, S the per-dimension sum of the field embeddings, which goes to {@code fmSum} [n, d]
   * when not null (the trainer's backward pass reads it). Zeros for other architectures.
   */
  public void fm(Rows rows, int from, int n, float[] x0, float[] fmSum, float[] logit) {
    if (spec.architecture() != Architecture.DEEPFM) {
      Arrays.fill(logit, 0, n, 0f);
      return;
    }
    int d = spec.field(0).embeddingDim();
    float[] sum = fmSum != null ? fmSum : new float[n * d];
    for (int r = 0; r < n; r++) {
      double s = graph.fmBias();
      for (int f = 0; f < inputs.length; f++) {
        boolean lookup = spec.field(f).isLookup();
        s += graph.fmFirst(f)[lookup ? rows.index(from + r, f) : 0] * (lookup ? 1f : rows.value(from + r, f));
      }
      int so = r * d;
      Arrays.fill(sum, so, so + d, 0f);
      double sq = 0;
      for (int f = 0; f < inputs.length; f++) {
        int xo = r * width + f * d;
        for (int j = 0; j < d; j++) {
          float e = x0[xo + j];
          sum[so + j] += e;
          sq += e * e;
        }
      }
      double ss = 0;
      for (int j = 0; j < d; j++) {
        ss += sum[so + j] * sum[so + j];
      }
      logit[r] = (float) (s + 0.5 * (ss - sq));
    }
  }

  /**
   * Cross layer {@code l}: {@code z = map(xl)}, {@code next = x0 * z + xl} (all [n, inputWidth]);
   * {@code mid} holds the map's inner value ({@link AffineLayer#forward(MatMul, float[], int,
   * float[], float[])}).
   */
  public void cross(int l, MatMul mm, float[] x0, float[] xl, int n, float[] z, float[] mid, float[] next) {
    cross[l].forward(mm, xl, n, z, mid);
    crossStep(x0, xl, z, n * width, next);
  }

  /** {@code next = x0 * z + xl} over the first {@code len} floats. */
  public static void crossStep(float[] x0, float[] xl, float[] z, int len, float[] next) {
    for (int i = 0; i < len; i++) {
      next[i] = x0[i] * z[i] + xl[i];
    }
  }

  /** Hidden layer {@code i} followed by ReLU: {@code y = max(layer(h), 0)}. */
  public void mlp(int i, MatMul mm, float[] h, int n, float[] y, float[] mid) {
    mlp[i].forward(mm, h, n, y, mid);
    relu(y, n * mlp[i].outputSize());
  }

  /** {@code max(x, 0)} on the first {@code len} floats. */
  public static void relu(float[] x, int len) {
    for (int i = 0; i < len; i++) {
      x[i] = Math.max(x[i], 0f);
    }
  }

  /** Width of the MLP's output (of its input when it has no hidden layers). */
  public int hiddenWidth() {
    return mlp.length == 0 ? width : mlp[mlp.length - 1].outputSize();
  }

  /**
   * Adds the output unit to {@code logit[0, n)}: {@code h} is the MLP's output, {@code xl} the
   * cross output (read when {@link #parallel()}).
   */
  public void output(float[] xl, float[] h, int n, float[] logit) {
    float[] w = graph.output().weight().data();
    float b = graph.output().bias().data()[0];
    boolean par = parallel();
    int hw = hiddenWidth();
    for (int r = 0; r < n; r++) {
      float z = b;
      int wi = 0;
      if (par) {
        int off = r * width;
        for (int j = 0; j < width; j++) {
          z += w[wi++] * xl[off + j];
        }
      }
      int off = r * hw;
      for (int j = 0; j < hw; j++) {
        z += w[wi++] * h[off + j];
      }
      logit[r] += z;
    }
  }

  /** Logits of examples {@code [from, from + n)} into {@code a.logits}, every activation kept in {@code a}. */
  public void forward(MatMul mm, Rows rows, int from, int n, Activations a) {
    if (n > a.capacity) {
      throw new IllegalArgumentException("activations hold " + a.capacity + " examples, asked for " + n);
    }
    embed(rows, from, n, a.x0);
    fm(rows, from, n, a.x0, a.fmSum, a.logits);
    for (int l = 0; l < cross.length; l++) {
      cross(l, mm, a.x0, a.xl[l], n, a.z[l], a.crossMid[l], a.xl[l + 1]);
    }
    float[] h = stacked() ? a.xl[cross.length] : a.x0;
    for (int i = 0; i < mlp.length; i++) {
      mlp(i, mm, h, n, a.h[i], a.mlpMid[i]);
      h = a.h[i];
    }
    output(a.xl[cross.length], h, n, a.logits);
  }

  /** Every activation of a forward pass over up to {@code capacity} examples, row-major. */
  public static final class Activations {
    final int capacity;
    /** x0 [n, inputWidth]. */
    public final float[] x0;
    /** Cross states: {@code xl[0]} is x0, {@code xl[l + 1]} the output of cross layer l. */
    public final float[][] xl;
    /** Cross map outputs {@code z[l] = map_l(xl[l])}. */
    public final float[][] z;
    /** Inner values of the cross maps (factored layers). */
    public final float[][] crossMid;
    /** Hidden layer outputs after ReLU. */
    public final float[][] h;
    /** Inner values of the hidden layers (factored layers). */
    public final float[][] mlpMid;
    /** DeepFM per-dimension field sums [n, d] (empty for other architectures). */
    public final float[] fmSum;
    /** Logits [n]. */
    public final float[] logits;

    /** Buffers for {@code plan} and up to {@code capacity} examples. */
    public Activations(LayerPlan plan, int capacity) {
      this.capacity = capacity;
      int w = plan.width;
      x0 = new float[capacity * w];
      int nc = plan.cross.length;
      xl = new float[nc + 1][];
      xl[0] = x0;
      z = new float[nc][];
      crossMid = new float[nc][];
      for (int l = 0; l < nc; l++) {
        xl[l + 1] = new float[capacity * w];
        z[l] = new float[capacity * w];
        crossMid[l] = new float[capacity * plan.cross[l].scratchSize()];
      }
      h = new float[plan.mlp.length][];
      mlpMid = new float[plan.mlp.length][];
      for (int i = 0; i < h.length; i++) {
        h[i] = new float[capacity * plan.mlp[i].outputSize()];
        mlpMid[i] = new float[capacity * plan.mlp[i].scratchSize()];
      }
      boolean deepFm = plan.spec.architecture() == Architecture.DEEPFM;
      fmSum = new float[deepFm ? capacity * plan.spec.field(0).embeddingDim() : 0];
      logits = new float[capacity];
    }
  }
}
