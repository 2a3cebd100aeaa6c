package io.ctrstreams.recompressor;

import io.ctrstreams.recompressor.internal.JavaLinalg;
import io.ctrstreams.recompressor.internal.Nd4jLinalg;

/**
 * The dense decompositions the factorizers need, on row-major {@code double[]} matrices.
 *
 * <p>Two implementations: {@link #java()} (Householder tridiagonalization + implicit QL, after
 * EISPACK tred2/tql2; the reference) and {@link #nd4j()} (LAPACK via ND4J/OpenBLAS, the
 * default: faster from d = 128 up, see BENCHMARKS.md "Recompression"). Every implementation is
 * tested against the reference on odd sizes.
 */
public interface Linalg {

  /**
   * Eigendecomposition of the symmetric {@code n x n} row-major matrix {@code a} (only symmetry
   * is assumed; {@code a} is not modified).
   */
  SymmetricEigen symmetricEigen(double[] a, int n);

  /**
   * Adds {@code A^T A} of the {@code rows x cols} row-major block {@code a} to the
   * {@code cols x cols} row-major accumulator {@code acc} (all of it, both triangles).
   */
  void addGram(double[] a, int rows, int cols, double[] acc);

  /**
   * Thin SVD of the {@code m x n} row-major matrix {@code a} ({@code a} is not modified),
   * computed from the eigendecomposition of the Gram matrix of the smaller side in double
   * precision. Squaring the condition number only costs accuracy in singular values below
   * about {@code 1e-8} of the largest, far under what a float32 weight carries and always in the
   * truncated tail; it scales to tall embedding tables (1M x 16) where a full LAPACK SVD
   * would allocate an {@code m x m} U.
   */
  default Svd svd(double[] a, int m, int n) {
    return GramSvd.svd(this, a, m, n);
  }

  /** Short name for reports ("java", "nd4j"). */
  String name();

  /** The plain-Java reference implementation. */
  static Linalg java() {
    return JavaLinalg.INSTANCE;
  }

  /** LAPACK through ND4J; loads the native backend on first use (about two seconds, once). */
  static Linalg nd4j() {
    return Nd4jLinalg.instance();
  }

  /**
   * The implementation the measurement picked (BENCHMARKS.md "Recompression"): plain Java below
   * order {@value io.ctrstreams.recompressor.internal.AutoLinalg#CROSSOVER} (ND4J's per-call
   * overhead dominates there, and small models never pay the native load), ND4J from there up.
   */
  static Linalg defaultLinalg() {
    return io.ctrstreams.recompressor.internal.AutoLinalg.INSTANCE;
  }
}
