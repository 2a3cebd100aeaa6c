package io.ctrstreams.recompressor.internal;

import io.ctrstreams.recompressor.Linalg;
import java.util.Locale;
import java.util.Random;

/**
 * Exploration harness (not JMH): times the symmetric eigendecomposition and a covariance Gram
 * block of the plain-Java and ND4J backends at the layer widths CTR models use, to pick the
 * default backend. Run: {@code java -cp cli/target/ctr.jar
 * io.ctrstreams.recompressor.internal.LinalgTiming [sizes...]}.
 */
public final class LinalgTiming {
  private LinalgTiming() {}

  /** Prints one line per size: best-of-3 milliseconds per backend. */
  public static void main(String[] args) {
    int[] sizes = args.length == 0 ? new int[] {64, 128, 256, 400, 624} : parse(args);
    long t0 = System.nanoTime();
    Linalg nd4j = Linalg.nd4j();
    System.out.printf(Locale.ROOT, "nd4j load %.0f ms, threads %d%n", (System.nanoTime() - t0) / 1e6, Nd4jLinalg.threads());
    Linalg java = Linalg.java();
    Random rnd = new Random(7);
    System.out.println("d\teig_java_ms\teig_nd4j_ms\tgram1024_java_ms\tgram1024_nd4j_ms");
    for (int d : sizes) {
      double[] block = new double[1024 * d];
      for (int i = 0; i < block.length; i++) {
        block[i] = rnd.nextGaussian();
      }
      double[] c = new double[d * d];
      java.addGram(block, 1024, d, c);
      double[] eig = new double[2];
      double[] gram = new double[2];
      Linalg[] las = {java, nd4j};
      for (int b = 0; b < 2; b++) {
        eig[b] = Double.MAX_VALUE;
        gram[b] = Double.MAX_VALUE;
        for (int rep = 0; rep < 3; rep++) {
          long s = System.nanoTime();
          las[b].symmetricEigen(c, d);
          eig[b] = Math.min(eig[b], (System.nanoTime() - s) / 1e6);
          double[] acc = new double[d * d];
          s = System.nanoTime();
          las[b].addGram(block, 1024, d, acc);
          gram[b] = Math.min(gram[b], (System.nanoTime() - s) / 1e6);
        }
      }
      System.out.printf(Locale.ROOT, "%d\t%.1f\t%.1f\t%.1f\t%.1f%n", d, eig[0], eig[1], gram[0], gram[1]);
    }
  }

  private static int[] parse(String[] args) {
    int[] s = new int[args.length];
    for (int i = 0; i < args.length; i++) {
      s[i] = Integer.parseInt(args[i]);
    }
    return s;
  }
}
