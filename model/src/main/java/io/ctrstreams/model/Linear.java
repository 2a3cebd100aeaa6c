package io.ctrstreams.model;

import io.ctrstreams.model.internal.Kernels;
import io.ctrstreams.model.internal.MatMul;
import java.util.Arrays;

/** A dense affine layer {@code y = W x + b} with {@code W} [out, in] row-major and {@code b} [out]. */
public final class Linear implements AffineLayer {
  private final Tensor weight;
  private final Tensor bias;
  private final float[] w;
  private final float[] b;
  private final int in;
  private final int out;
  private final Linear[] self = {this};

  /**
   * Wraps the given tensors (not copied).
   *
   * @throws CtrModelException if the shapes are not [out, in] and [out]
   */
  public Linear(Tensor weight, Tensor bias) {
    if (weight.rank() != 2) {
      throw new CtrModelException("tensor " + weight.name() + " must be a matrix [out, in], found shape "
          + Arrays.toString(weight.shape()));
    }
    this.out = weight.dim(0);
    this.in = weight.dim(1);
    if (!bias.hasShape(out)) {
      throw new CtrModelException("tensor " + bias.name() + " must have shape [" + out + "], found "
          + Arrays.toString(bias.shape()));
    }
    this.weight = weight;
    this.bias = bias;
    this.w = weight.data();
    this.b = bias.data();
  }

  /** The weight tensor [out, in]. */
  public Tensor weight() {
    return weight;
  }

  /** The bias tensor [out]. */
  public Tensor bias() {
    return bias;
  }

  @Override
  public int inputSize() {
    return in;
  }

  @Override
  public int outputSize() {
    return out;
  }

  @Override
  public int scratchSize() {
    return 0;
  }

  @Override
  public void forward(float[] x, int xOff, float[] y, int yOff, float[] scratch) {
    Checks.range(weight.name(), "input", x, xOff, in);
    Checks.range(weight.name(), "output", y, yOff, out);
    matVec(w, out, in, x, xOff, b, y, yOff);
  }

  @Override
  public void forward(MatMul mm, float[] x, int n, float[] y, float[] mid) {
    Kernels.fillRows(b, n, out, y);
    mm.mulAddTransB(x, n, in, w, out, y);
  }

  @Override
  public Linear[] factors() {
    return self;
  }

  /** {@code y = W x + b} for a row-major {@code W} [rows, cols]; {@code b} may be null. */
  public static void matVec(float[] w, int rows, int cols, float[] x, int xOff, float[] b, float[] y, int yOff) {
    for (int o = 0; o < rows; o++) {
      float s = b == null ? 0f : b[o];
      int row = o * cols;
      for (int i = 0; i < cols; i++) {
        s += w[row + i] * x[xOff + i];
      }
      y[yOff + o] = s;
    }
  }

  @Override
  public long parameterCount() {
    return (long) in * out + out;
  }

  @Override
  public long multiplyAdds() {
    return (long) in * out;
  }

  @Override
  public String toString() {
    return "Linear[" + in + " -> " + out + "]";
  }
}
