package io.ctrstreams.trainer;

import io.ctrstreams.model.internal.MatMul;
import io.ctrstreams.model.internal.MatMuls;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ND4J provider of the one {@link MatMul}: the row-major products of a training step and of a
 * calibration pass on ND4J's native sgemm (OpenBLAS), 50-70 GFLOP/s on one core against 6-9 for
 * plain Java loops on flat arrays (BENCHMARKS.md sections 2 and 3). The scorer's block products
 * (a few candidates, arrays of rows) stay on {@link MatMuls#get()}, whose results the scorer
 * tests pin bitwise.
 *
 * <p>It lives here, not in the model core, so that the core stays free of native dependencies:
 * the trainer already needs ND4J for its GEMMs and the recompressor depends on the trainer, so
 * only these two put ND4J on their class path.
 *
 * <p>Operands are copied into off-heap arrays of the exact shape, cached per thread, call role
 * and shape up to {@value #CACHED_FLOATS} floats (a trainer replica's per-layer shapes, which
 * repeat every batch), created per call above that (the recompressor's calibration blocks, whose
 * shapes vary with the candidate ranks and would pile up in a cache); the copies cost O(nk + km +
 * nm) against the product's O(nkm). Thread-safe: the trainer's replicas call it from their
 * worker threads.
 */
public final class Nd4jMatMul implements MatMul {
  /** Largest operand (floats) kept between calls. */
  static final int CACHED_FLOATS = 1 << 19;

  private final ThreadLocal<Map<Long, INDArray>> cache = ThreadLocal.withInitial(HashMap::new);

  private Nd4jMatMul() {}

  /** The provider; loads the native backend on first call (about two seconds, once). */
  public static Nd4jMatMul instance() {
    return Holder.INSTANCE;
  }

  private static final class Holder {
    static final Nd4jMatMul INSTANCE = load();

    private static Nd4jMatMul load() {
      // ND4J logs a dozen INFO lines while loading: down to WARN unless the user configured them.
      for (String logger : new String[] {"org.nd4j", "org.nd4j.linalg.factory.Nd4jBackend"}) {
        String key = "org.slf4j.simpleLogger.log." + logger;
        if (System.getProperty(key) == null) {
          System.setProperty(key, "warn");
        }
      }
      try {
        // Forces backend selection and native library load now, not inside a timed call.
        Nd4j.create(DataType.FLOAT, 1, 1);
        return new Nd4jMatMul();
      } catch (RuntimeException | LinkageError e) {
        throw new TrainerException("could not load the ND4J native backend: " + e, e);
      }
    }
  }

  @Override
  public void gemm(float[][] x, int xCol, int n, int in, float[][] wt, int wRow, int out, float[][] y) {
    MatMuls.get().gemm(x, xCol, n, in, wt, wRow, out, y);
  }

  @Override
  public void gemmNarrow(float[][] x, int xCol, int n, int in, float[][] wt, int wRow, int out, float[][] y) {
    MatMuls.get().gemmNarrow(x, xCol, n, in, wt, wRow, out, y);
  }

  @Override
  public void mulAdd(float[] x, int n, int k, float[] b, int m, float[] y) {
    product(0, x, n, k, false, b, k, m, false, y, n, m);
  }

  @Override
  public void mulAddTransB(float[] x, int n, int k, float[] w, int m, float[] y) {
    product(3, x, n, k, false, w, m, k, true, y, n, m);
  }

  @Override
  public void mulAddTransA(float[] a, int n, int m, float[] x, int k, float[] y) {
    product(6, a, n, m, true, x, n, k, false, y, m, k);
  }

  /** {@code y += op(a) op(b)} with a stored [ar, ac], b [br, bc], y [yr, yc]. */
  private void product(int role, float[] a, int ar, int ac, boolean ta, float[] b, int br, int bc, boolean tb,
      float[] y, int yr, int yc) {
    if (ar == 0 || ac == 0 || br == 0 || bc == 0) {
      return;
    }
    INDArray aa = put(role, a, ar, ac);
    INDArray ba = put(role + 1, b, br, bc);
    INDArray ya = put(role + 2, y, yr, yc);
    Nd4j.gemm(aa, ba, ya, ta, tb, 1.0, 1.0);
    ya.data().asNioFloat().get(y, 0, yr * yc);
  }

  private INDArray put(int role, float[] src, int rows, int cols) {
    int len = rows * cols;
    INDArray a = len > CACHED_FLOATS ? Nd4j.create(DataType.FLOAT, rows, cols)
        : cache.get().computeIfAbsent(((long) role << 56) | ((long) rows << 28) | cols,
            k -> Nd4j.create(DataType.FLOAT, rows, cols));
    FloatBuffer fb = a.data().asNioFloat();
    fb.put(src, 0, len);
    return a;
  }

  @Override
  public String describe() {
    return "nd4j sgemm (OpenBLAS) for batch products, " + MatMuls.describe() + " for blocks";
  }
}
