package io.ctrstreams.bench;

import io.ctrstreams.model.internal.Kernels;
import java.util.Random;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * The scorer's GEMM kernel alone, {@code Y[n, out] += X[n, in] Wt[in, out]}, on the layer shapes
 * of the benchmark models: 400x400 (dense hidden layer), 400x64 (first factor V of a rank-64
 * layer), 64x400 (second factor U), 52x400 (folded low-rank first layer, candidate part).
 * {@code layout=rows} is {@link Kernels#gemm} (arrays of rows, what the scorer uses); {@code
 * layout=flat} is the same loop nest on one flat array per matrix with row offsets, kept as the
 * baseline that shows why the scorer uses rows: C2 cannot prove the flat loop's store and loads
 * independent and leaves it scalar. GFLOP/s = 2 * n * in * out / ns.
 */
public class KernelBenchmark extends NsBenchmark {
  /** n x in x out. */
  @Param({"16x400x400", "16x400x64", "16x64x400", "16x52x400"})
  public String shape;

  /** rows (the scorer's kernel) or flat (baseline). */
  @Param({"rows", "flat"})
  public String layout;

  private int n;
  private int in;
  private int out;
  private float[][] x;
  private float[][] wt;
  private float[][] y;
  private float[] xf;
  private float[] wf;
  private float[] yf;

  /** Seeded inputs. */
  @Setup
  public void setup() {
    String[] p = shape.split("x");
    n = Integer.parseInt(p[0]);
    in = Integer.parseInt(p[1]);
    out = Integer.parseInt(p[2]);
    Random r = new Random(3);
    x = new float[n][in];
    wt = new float[in][out];
    y = new float[n][out];
    xf = new float[n * in];
    wf = new float[in * out];
    yf = new float[n * out];
    for (int c = 0; c < n; c++) {
      for (int i = 0; i < in; i++) {
        x[c][i] = xf[c * in + i] = r.nextFloat();
      }
    }
    for (int i = 0; i < in; i++) {
      for (int j = 0; j < out; j++) {
        wt[i][j] = wf[i * out + j] = (r.nextFloat() - 0.5f) * 1e-3f;
      }
    }
  }

  /** One GEMM. */
  @Benchmark
  public Object gemm() {
    if (layout.equals("rows")) {
      Kernels.gemm(x, 0, n, in, wt, 0, out, y);
      return y;
    }
    flatGemm(xf, n, in, wf, out, yf);
    return yf;
  }

  /** The same six-row loop nest over flat arrays with row offsets. */
  static void flatGemm(float[] x, int n, int in, float[] wt, int out, float[] y) {
    int i = 0;
    for (; i + 6 <= in; i += 6) {
      int w0 = i * out;
      int w1 = w0 + out;
      int w2 = w1 + out;
      int w3 = w2 + out;
      int w4 = w3 + out;
      int w5 = w4 + out;
      for (int c = 0; c < n; c++) {
        int k = c * in + i;
        float a0 = x[k];
        float a1 = x[k + 1];
        float a2 = x[k + 2];
        float a3 = x[k + 3];
        float a4 = x[k + 4];
        float a5 = x[k + 5];
        int yr = c * out;
        for (int j = 0; j < out; j++) {
          y[yr + j] = Math.fma(a5, wt[w5 + j], Math.fma(a4, wt[w4 + j], Math.fma(a3, wt[w3 + j],
              Math.fma(a2, wt[w2 + j], Math.fma(a1, wt[w1 + j], Math.fma(a0, wt[w0 + j], y[yr + j]))))));
        }
      }
    }
    for (; i < in; i++) {
      int w0 = i * out;
      for (int c = 0; c < n; c++) {
        float a0 = x[c * in + i];
        int yr = c * out;
        for (int j = 0; j < out; j++) {
          y[yr + j] = Math.fma(a0, wt[w0 + j], y[yr + j]);
        }
      }
    }
  }
}
