package io.ctrstreams.recompressor;

import io.ctrstreams.model.LowRankLinear;
import io.ctrstreams.model.Tensor;

/**
 * A rank-{@code k} replacement of the linear layer {@code y = W x + b} ({@code W}: out x in):
 * {@code y ~ second (first x + firstBias) + secondBias}. All matrices row-major float32.
 *
 * <p>Both factorizers produce an orthonormal {@code second} (out x k), so the pair is exactly
 * "project the output onto a k-dimensional subspace": see {@link ProjectionBasis}.
 *
 * @param out output width of the original layer
 * @param in input width of the original layer
 * @param rank k
 * @param first {@code k x in}
 * @param firstBias {@code k}
 * @param second {@code out x k}
 * @param secondBias {@code out}
 */
public record LinearFactors(
    int out, int in, int rank, float[] first, float[] firstBias, float[] second, float[] secondBias) {

  /** Validates the sizes. */
  public LinearFactors {
    if (rank < 1 || first.length != (long) rank * in || firstBias.length != rank
        || second.length != (long) out * rank || secondBias.length != out) {
      throw new RecompressorException(
          "factors of rank " + rank + " for a " + out + " x " + in + " layer have sizes "
              + first.length + "/" + firstBias.length + "/" + second.length + "/"
              + secondBias.length);
    }
  }

  /** Float32 parameter bytes of the factor pair. */
  public long bytes() {
    return factoredBytes(out, in, rank);
  }

  /** Multiply-add FLOPs (2 per multiply-add) of one forward pass. */
  public long flops() {
    return factoredFlops(out, in, rank);
  }

  /** Computes {@code y = second (first x + firstBias) + secondBias}; {@code mid} has length k. */
  public void apply(float[] x, int xOff, float[] y, int yOff, float[] mid) {
    for (int r = 0; r < rank; r++) {
      double s = firstBias[r];
      int row = r * in;
      for (int j = 0; j < in; j++) {
        s += first[row + j] * x[xOff + j];
      }
      mid[r] = (float) s;
    }
    for (int i = 0; i < out; i++) {
      double s = secondBias[i];
      int row = i * rank;
      for (int r = 0; r < rank; r++) {
        s += second[row + r] * mid[r];
      }
      y[yOff + i] = (float) s;
    }
  }

  /** The product {@code second * first} (out x in), in double. */
  public double[] productWeight() {
    double[] w = new double[out * in];
    for (int i = 0; i < out; i++) {
      for (int r = 0; r < rank; r++) {
        double u = second[i * rank + r];
        int row = r * in;
        for (int j = 0; j < in; j++) {
          w[i * in + j] += u * first[row + j];
        }
      }
    }
    return w;
  }

  /** Float32 bytes of a dense {@code out x in} layer with bias. */
  public static long denseBytes(int out, int in) {
    return 4L * ((long) out * in + out);
  }

  /** Float32 bytes of a rank-{@code k} factor pair with both biases. */
  public static long factoredBytes(int out, int in, int rank) {
    return 4L * ((long) rank * in + rank + (long) out * rank + out);
  }

  /** FLOPs of a dense {@code out x in} layer (2 per multiply-add). */
  public static long denseFlops(int out, int in) {
    return 2L * out * in;
  }

  /** FLOPs of a rank-{@code k} factor pair. */
  public static long factoredFlops(int out, int in, int rank) {
    return 2L * rank * ((long) in + out);
  }

  /**
   * The largest rank whose factor pair is still strictly smaller than the dense layer: a rank at
   * or above {@code out in / (out + in)} saves nothing.
   */
  public static int maxUsefulRank(int out, int in) {
    int k = Math.min(out, in);
    while (k > 0 && factoredBytes(out, in, k) >= denseBytes(out, in)) {
      k--;
    }
    return k;
  }

  /** The model core's layer over these factors (not copied), {@code relu} between them or not. */
  public LowRankLinear layer(boolean relu) {
    return new LowRankLinear(new Tensor("v", new int[] {rank, in}, first), new Tensor("c", new int[] {rank}, firstBias),
        new Tensor("u", new int[] {out, rank}, second), new Tensor("d", new int[] {out}, secondBias), relu);
  }
}
