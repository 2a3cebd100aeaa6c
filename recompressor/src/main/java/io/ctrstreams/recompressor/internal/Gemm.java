package io.ctrstreams.recompressor.internal;

import io.ctrstreams.recompressor.Linalg;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Batched float32 products for calibration forward passes, through ND4J's OpenBLAS sgemm: about
 * 40-50 GFLOP/s on the 2-core build machine against 2.4 for a scalar Java loop (BENCHMARKS.md).
 */
public final class Gemm {
  private Gemm() {}

  /** A weight matrix held as an ND4J array once, for repeated {@code X W^T}. */
  public static final class Weight {
    final INDArray w;
    final int out;
    final int in;

    /** Wraps {@code w} [out, in] row-major (copied into native memory). */
    public Weight(float[] w, int out, int in) {
      Linalg.nd4j(); // loads the backend (quietly) before the first ND4J call
      this.w = Nd4j.create(w, new long[] {out, in}, DataType.FLOAT);
      this.out = out;
      this.in = in;
    }

    public int out() {
      return out;
    }

    public int in() {
      return in;
    }
  }

  /**
   * {@code Y = X W^T + b} for {@code n} rows of {@code x} [n, in]; returns Y [n, out] row-major.
   * {@code b} may be null.
   */
  public static synchronized float[] xwT(float[] x, int n, Weight w, float[] b) {
    INDArray xa = Nd4j.create(x.length == n * w.in ? x : java.util.Arrays.copyOf(x, n * w.in),
        new long[] {n, w.in}, DataType.FLOAT);
    INDArray y = Nd4j.create(DataType.FLOAT, new long[] {n, w.out}, 'c');
    Nd4j.gemm(xa, w.w, y, false, true, 1.0, 0.0);
    float[] out = y.data().asFloat();
    if (b != null) {
      for (int r = 0; r < n; r++) {
        int o = r * w.out;
        for (int j = 0; j < w.out; j++) {
          out[o + j] += b[j];
        }
      }
    }
    return out;
  }
}
