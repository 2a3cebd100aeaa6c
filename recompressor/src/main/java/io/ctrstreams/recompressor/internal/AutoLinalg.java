package io.ctrstreams.recompressor.internal;

import io.ctrstreams.recompressor.Linalg;
import io.ctrstreams.recompressor.SymmetricEigen;

/** Dispatches by matrix order: plain Java below {@link #CROSSOVER}, ND4J from there up. */
public final class AutoLinalg implements Linalg {
  /** Order from which ND4J was faster in LinalgTiming on the 2-core build machine. */
  public static final int CROSSOVER = 192;

  /** The single instance. */
  public static final AutoLinalg INSTANCE = new AutoLinalg();

  private AutoLinalg() {}

  @Override
  public SymmetricEigen symmetricEigen(double[] a, int n) {
    return (n < CROSSOVER ? Linalg.java() : Linalg.nd4j()).symmetricEigen(a, n);
  }

  @Override
  public void addGram(double[] a, int rows, int cols, double[] acc) {
    (cols < CROSSOVER ? Linalg.java() : Linalg.nd4j()).addGram(a, rows, cols, acc);
  }

  @Override
  public String name() {
    return "auto";
  }
}
