package io.ctrstreams.recompressor.internal;

import io.ctrstreams.recompressor.Linalg;
import io.ctrstreams.recompressor.RecompressorException;
import io.ctrstreams.recompressor.SymmetricEigen;
import io.ctrstreams.trainer.Nd4jMatMul;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.eigen.Eigen;
import org.nd4j.linalg.factory.Nd4j;

/**
 * LAPACK/BLAS through ND4J (OpenBLAS): {@code dsyev} for eigendecompositions and {@code dgemm}
 * for Gram blocks.
 *
 * <p>The native backend takes about two seconds to load; it is loaded once, lazily, on first use,
 * by {@link Nd4jMatMul}, the trainer's ND4J matrix-multiply provider. ND4J sizes its OpenMP pool to the core count (2 here); the backend is used
 * from one thread at a time.
 */
public final class Nd4jLinalg implements Linalg {

  private Nd4jLinalg() {}

  private static final Nd4jLinalg INSTANCE = new Nd4jLinalg();

  /** Loads the backend on first call (stateless; the backend is loaded by {@link Nd4jMatMul}). */
  public static Nd4jLinalg instance() {
    try {
      Nd4jMatMul.instance(); // loads the backend quietly, once, for both
    } catch (RuntimeException | LinkageError e) {
      throw new RecompressorException("could not load the ND4J native backend: " + e, e);
    }
    return INSTANCE;
  }

  @Override
  public String name() {
    return "nd4j";
  }

  /** ND4J's OpenMP thread count, for reports. */
  public static int threads() {
    instance();
    return Nd4j.getEnvironment().maxThreads();
  }

  @Override
  public synchronized void addGram(double[] a, int rows, int cols, double[] acc) {
    JavaLinalg.checkGram(a, rows, cols, acc);
    double[] block = a.length == rows * cols ? a : java.util.Arrays.copyOf(a, rows * cols);
    INDArray x = Nd4j.create(block, new long[] {rows, cols}, DataType.DOUBLE);
    INDArray g = x.transpose().mmul(x);
    double[] gv = g.dup('c').data().asDouble();
    for (int i = 0; i < gv.length; i++) {
      acc[i] += gv[i];
    }
  }

  @Override
  public synchronized SymmetricEigen symmetricEigen(double[] a, int n) {
    if (n < 1 || a.length != (long) n * n) {
      throw new RecompressorException(
          "symmetric matrix of order " + n + " needs " + (long) n * n + " values, found "
              + a.length);
    }
    // dsyev reads one triangle; which one depends on the ordering it is handed, so symmetrize
    // explicitly rather than trust the caller's lower triangle.
    double[] sym = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        sym[i * n + j] = 0.5 * (a[i * n + j] + a[j * n + i]);
      }
    }
    INDArray m = Nd4j.create(sym, new long[] {n, n}, DataType.DOUBLE);
    // Overwrites m with the eigenvectors (as columns); eigenvalues ascending.
    INDArray ev = Eigen.symmetricGeneralizedEigenvalues(m, true);
    double[] asc = ev.dup().data().asDouble();
    double[] vec = m.dup('c').data().asDouble();
    double[] values = new double[n];
    double[] vectors = new double[n * n];
    for (int c = 0; c < n; c++) {
      int src = n - 1 - c;
      values[c] = asc[src];
      for (int r = 0; r < n; r++) {
        vectors[r * n + c] = vec[r * n + src];
      }
    }
    return new SymmetricEigen(n, values, vectors);
  }
}
