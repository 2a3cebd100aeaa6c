package io.ctrstreams.trainer.internal;

import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link GemmBackend} on ND4J's native sgemm (OpenBLAS). Operands are copied into cached
 * off-heap arrays of the exact shape (one set per call role and shape, reused every batch) and
 * the result copied back: the copies cost O(n k + k m + n m) against the product's O(n k m),
 * i.e. a few percent at training shapes. Not thread-safe: one instance per replica.
 */
public final class Nd4jGemm implements GemmBackend {
  private final Map<Long, INDArray> cache = new HashMap<>();

  private INDArray buf(int role, int rows, int cols) {
    long key = ((long) role << 56) | ((long) rows << 28) | cols;
    return cache.computeIfAbsent(key, k -> Nd4j.create(DataType.FLOAT, rows, cols));
  }

  private static void put(INDArray a, float[] src, int len) {
    FloatBuffer fb = a.data().asNioFloat();
    fb.put(src, 0, len);
  }

  private static void get(INDArray a, float[] dst, int len) {
    FloatBuffer fb = a.data().asNioFloat();
    fb.get(dst, 0, len);
  }

  @Override
  public void mulAdd(float[] x, int n, int k, float[] b, int m, float[] y) {
    if (n == 0 || k == 0 || m == 0) {
      return;
    }
    INDArray xa = buf(0, n, k);
    INDArray ba = buf(1, k, m);
    INDArray ya = buf(2, n, m);
    put(xa, x, n * k);
    put(ba, b, k * m);
    put(ya, y, n * m);
    Nd4j.gemm(xa, ba, ya, false, false, 1.0, 1.0);
    get(ya, y, n * m);
  }

  @Override
  public void mulAddTransB(float[] x, int n, int k, float[] w, int m, float[] y) {
    if (n == 0 || k == 0 || m == 0) {
      return;
    }
    INDArray xa = buf(3, n, k);
    INDArray wa = buf(4, m, k);
    INDArray ya = buf(5, n, m);
    put(xa, x, n * k);
    put(wa, w, m * k);
    put(ya, y, n * m);
    Nd4j.gemm(xa, wa, ya, false, true, 1.0, 1.0);
    get(ya, y, n * m);
  }

  @Override
  public void mulAddTransA(float[] a, int n, int m, float[] x, int k, float[] y) {
    if (n == 0 || k == 0 || m == 0) {
      return;
    }
    INDArray aa = buf(6, n, m);
    INDArray xa = buf(7, n, k);
    INDArray ya = buf(8, m, k);
    put(aa, a, n * m);
    put(xa, x, n * k);
    put(ya, y, m * k);
    Nd4j.gemm(aa, xa, ya, true, false, 1.0, 1.0);
    get(ya, y, m * k);
  }
}
