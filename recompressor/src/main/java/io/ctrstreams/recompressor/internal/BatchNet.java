package io.ctrstreams.recompressor.internal;

import io.ctrstreams.model.AffineLayer;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FieldInput;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.internal.LayerPlan;
import io.ctrstreams.recompressor.Calibration;
import io.ctrstreams.trainer.Nd4jMatMul;

/**
 * The recompressor's executor of the model core's {@link LayerPlan}: blocks of calibration rows on
 * ND4J's sgemm (BENCHMARKS.md section 3.1: 38-52 GFLOP/s against 2.4 for a scalar loop), each step
 * returning a new array so that the compressor and the rank search can keep and cache activations
 * layer by layer. Layers can be swapped one at a time, which is how the compressor builds students
 * in order and how the rank search scores candidates without materializing whole models.
 * Immutable; {@code with*} return copies sharing the other layers.
 */
public final class BatchNet {
  /** Rows per block in {@link #logits}: bounds the activation memory. */
  public static final int BLOCK = 4096;

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

  private final LayerPlan plan;

  private BatchNet(LayerPlan plan) {
    this.plan = plan;
  }

  /** The network of {@code model} as it is (dense, low-rank or folded layers). */
  public static BatchNet of(CtrModel model) {
    return new BatchNet(LayerPlan.of(model.graph()));
  }

  public ModelSpec spec() {
    return plan.spec();
  }

  public FieldInput input(int f) {
    return plan.input(f);
  }

  public AffineLayer cross(int i) {
    return plan.cross(i);
  }

  public AffineLayer mlp(int i) {
    return plan.mlp(i);
  }

  public int crossLayers() {
    return plan.crossLayers();
  }

  public int mlpLayers() {
    return plan.mlpLayers();
  }

  /** A copy with field {@code f} replaced. */
  public BatchNet withInput(int f, FieldInput in) {
    return new BatchNet(plan.withInput(f, in));
  }

  /** A copy with cross layer {@code i}'s map replaced. */
  public BatchNet withCross(int i, AffineLayer layer) {
    return new BatchNet(plan.withCross(i, layer));
  }

  /** A copy with hidden layer {@code i} replaced. */
  public BatchNet withMlp(int i, AffineLayer layer) {
    return new BatchNet(plan.withMlp(i, layer));
  }

  /** x0 [n, inputWidth] of rows {@code [from, from + n)}. */
  public float[] embed(Calibration c, int from, int n) {
    float[] x0 = new float[n * plan.inputWidth()];
    plan.embed(c, from, n, x0);
    return x0;
  }

  /** Logits of rows {@code [from, to)}, in blocks of {@link #BLOCK}. */
  public float[] logits(Calibration c, int from, int to) {
    float[] out = new float[to - from];
    LayerPlan.Activations a = new LayerPlan.Activations(plan, Math.min(BLOCK, to - from));
    for (int s = from; s < to; s += BLOCK) {
      int n = Math.min(BLOCK, to - s);
      plan.forward(Nd4jMatMul.instance(), c, s, n, a);
      System.arraycopy(a.logits, 0, out, s - from, n);
    }
    return out;
  }

  /**
   * The DeepFM part of the logit (first-order terms, global bias, pairwise interactions) of rows
   * {@code [from, from + n)} given their x0; zeros for other architectures.
   */
  public float[] fmLogits(Calibration c, int from, int n, float[] x0) {
    float[] logit = new float[n];
    plan.fm(c, from, n, x0, null, logit);
    return logit;
  }

  /** Cross layer {@code i}: {@code x0 * map(xl) + xl}. */
  public float[] crossForward(int i, float[] x0, float[] xl, int n) {
    return crossStep(x0, xl, apply(plan.cross(i), xl, n));
  }

  /** The first hidden layer's input: the cross output when stacked, else x0. */
  public float[] mlpInput(float[] x0, float[] xl) {
    return plan.stacked() ? xl : x0;
  }

  /** Hidden layer {@code i} followed by ReLU. */
  public float[] mlpForward(int i, float[] h, int n) {
    float[] y = apply(plan.mlp(i), h, n);
    LayerPlan.relu(y, y.length);
    return y;
  }

  /** Adds the output unit's value to {@code logit}; {@code xl} is the cross output (parallel DCN-V2). */
  public void addOutput(float[] xl, float[] h, int n, float[] logit) {
    plan.output(xl, h, n, logit);
  }

  /** {@code layer} over {@code n} rows of {@code x} [n, in]: a new [n, out]. */
  public static float[] apply(AffineLayer layer, float[] x, int n) {
    float[] y = new float[n * layer.outputSize()];
    layer.forward(Nd4jMatMul.instance(), x, n, y, new float[n * layer.scratchSize()]);
    return y;
  }

  /** {@code x_{l+1} = x0 * t + x_l}, written into a new array. */
  public static float[] crossStep(float[] x0, float[] xl, float[] t) {
    float[] next = new float[xl.length];
    LayerPlan.crossStep(x0, xl, t, next.length, next);
    return next;
  }
}
