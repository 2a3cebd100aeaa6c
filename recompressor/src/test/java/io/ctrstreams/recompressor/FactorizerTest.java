package io.ctrstreams.recompressor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class FactorizerTest {
  private static final long SEED = 4242L;

  /** A layer y = W x + b fed with correlated inputs x = A z + noise + offset. */
  static final class Layer {
    final int out;
    final int in;
    final float[] w;
    final float[] b;
    final float[] x;
    final float[] y;
    final int rows;

    Layer(long seed, int out, int in, int latent, int rows) {
      Random rnd = new Random(seed);
      this.out = out;
      this.in = in;
      this.rows = rows;
      w = gaussian(rnd, out * in, 1.0 / Math.sqrt(in));
      b = gaussian(rnd, out, 0.5);
      float[] a = gaussian(rnd, in * latent, 1.0);
      x = new float[rows * in];
      for (int r = 0; r < rows; r++) {
        double[] z = new double[latent];
        for (int l = 0; l < latent; l++) {
          z[l] = rnd.nextGaussian() * (1.0 + l); // uneven latent scales
        }
        for (int j = 0; j < in; j++) {
          double s = 3.0 + 0.05 * rnd.nextGaussian();
          for (int l = 0; l < latent; l++) {
            s += a[j * latent + l] * z[l];
          }
          x[r * in + j] = (float) s;
        }
      }
      y = new float[rows * out];
      for (int r = 0; r < rows; r++) {
        for (int i = 0; i < out; i++) {
          double s = b[i];
          for (int j = 0; j < in; j++) {
            s += w[i * in + j] * x[r * in + j];
          }
          y[r * out + i] = (float) s;
        }
      }
    }

    OutputStatistics stats(Linalg la) {
      OutputStatistics s = new OutputStatistics(out, la);
      s.add(y, 0, rows);
      return s;
    }

    /** sum ||y - y_hat||^2 / sum ||y - mean(y)||^2 over the rows. */
    double relativeError(LinearFactors f) {
      double[] mu = new double[out];
      for (int r = 0; r < rows; r++) {
        for (int i = 0; i < out; i++) {
          mu[i] += y[r * out + i] / (double) rows;
        }
      }
      float[] yh = new float[out];
      float[] mid = new float[f.rank()];
      double err = 0;
      double tot = 0;
      for (int r = 0; r < rows; r++) {
        f.apply(x, r * in, yh, 0, mid);
        for (int i = 0; i < out; i++) {
          double d = y[r * out + i] - yh[i];
          double c = y[r * out + i] - mu[i];
          err += d * d;
          tot += c * c;
        }
      }
      return err / tot;
    }
  }

  static float[] gaussian(Random rnd, int n, double scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (rnd.nextGaussian() * scale);
    }
    return a;
  }

  @Test
  void shouldHaveRelativeOutputErrorEqualToDroppedEigenvalueShare() {
    Layer layer = new Layer(SEED, 23, 37, 9, 4000);
    for (Linalg la : new Linalg[] {Linalg.java(), Linalg.nd4j()}) {
      ProjectionBasis basis = Afm.basis(layer.stats(la));
      for (int k : new int[] {1, 2, 5, 9, 15}) {
        LinearFactors f = basis.factors(k, layer.w, layer.b, layer.in);
        double dropped = 1 - basis.retainedEnergy(k);
        assertThat(layer.relativeError(f))
            .as("AFM rank %d (%s), seed %d", k, la.name(), SEED)
            .isCloseTo(dropped, within(2e-5 + 1e-3 * dropped));
      }
    }
  }

  @Test
  void shouldRebuildWeightFromSvdFactorsWithOrthonormalSecondFactor() {
    Layer layer = new Layer(SEED + 1, 19, 31, 4, 10);
    ProjectionBasis basis = WeightSvd.basis(layer.w, layer.b, layer.out, layer.in, Linalg.nd4j());
    double total = 0;
    for (double e : basis.energies()) {
      total += e;
    }
    for (int k : new int[] {3, 10, 19}) {
      LinearFactors f = basis.factors(k, layer.w, layer.b, layer.in);
      double[] wk = f.productWeight();
      double err = 0;
      for (int i = 0; i < wk.length; i++) {
        double d = wk[i] - layer.w[i];
        err += d * d;
      }
      // Eckart-Young: the squared Frobenius error is the dropped squared singular values.
      assertThat(err / total).as("rank %d, seed %d", k, SEED + 1)
          .isCloseTo(1 - basis.retainedEnergy(k), within(1e-5));
      double[] u = new double[f.second().length];
      for (int i = 0; i < u.length; i++) {
        u[i] = f.second()[i];
      }
      LinalgTest.assertOrthonormalColumns(u, layer.out, k, 1e-6);
      // The bias is carried exactly: second * firstBias + secondBias == b.
      for (int i = 0; i < layer.out; i++) {
        double s = f.secondBias()[i];
        for (int r = 0; r < k; r++) {
          s += f.second()[i * k + r] * f.firstBias()[r];
        }
        assertThat(s).isCloseTo(layer.b[i], within(1e-5));
      }
    }
    LinearFactors full = basis.factors(19, layer.w, layer.b, layer.in);
    assertThat(LinalgTest.maxAbsDiff(full.productWeight(), toDouble(layer.w))).isLessThan(1e-5);
  }

  @Test
  void shouldHaveLowerOutputErrorWithAfmThanWeightSvdAtEqualRankOnCorrelatedInputs() {
    Layer layer = new Layer(SEED + 2, 40, 48, 8, 3000);
    ProjectionBasis afm = Afm.basis(layer.stats(Linalg.nd4j()));
    ProjectionBasis svd = WeightSvd.basis(layer.w, layer.b, layer.out, layer.in, Linalg.nd4j());
    for (int k : new int[] {2, 4, 8, 16}) {
      double afmErr = layer.relativeError(afm.factors(k, layer.w, layer.b, layer.in));
      double svdErr = layer.relativeError(svd.factors(k, layer.w, layer.b, layer.in));
      assertThat(afmErr).as("rank %d: AFM %.4f vs SVD %.4f, seed %d", k, afmErr, svdErr, SEED + 2)
          .isLessThan(svdErr);
    }
  }

  @Test
  void shouldMatchTwoPassCovarianceEvenWithLargeMean() {
    Random rnd = new Random(SEED + 3);
    int dim = 7;
    int rows = 5000;
    float[] y = new float[rows * dim];
    for (int i = 0; i < y.length; i++) {
      y[i] = (float) (1e4 + (i % dim) + rnd.nextGaussian() * 0.01 * (1 + i % dim));
    }
    OutputStatistics s = new OutputStatistics(dim, Linalg.java());
    s.add(y, 0, 1000);
    s.add(y, 1000 * dim, rows - 1000);
    double[] mu = new double[dim];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < dim; j++) {
        mu[j] += y[r * dim + j] / (double) rows;
      }
    }
    double[] c = new double[dim * dim];
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < dim; i++) {
        for (int j = 0; j < dim; j++) {
          c[i * dim + j] += (y[r * dim + i] - mu[i]) * (y[r * dim + j] - mu[j]) / rows;
        }
      }
    }
    assertThat(LinalgTest.maxAbsDiff(s.mean(), mu)).isLessThan(1e-9);
    // Variances are about 1e-4; a naive E[yy^T] - mu mu^T at mean 1e4 would be off by ~1e-8 * 1e8.
    assertThat(LinalgTest.maxAbsDiff(s.covariance(), c)).isLessThan(1e-10);
    assertThat(s.rows()).isEqualTo(rows);
  }

  @Test
  void shouldHaveWeightedEmbeddingErrorEqualToDroppedShareAndFoldExactly() {
    Random rnd = new Random(SEED + 4);
    int vocab = 300;
    int dim = 12;
    float[] table = new float[vocab * dim];
    float[] basis = gaussian(rnd, 3 * dim, 1.0);
    for (int v = 0; v < vocab; v++) {
      for (int j = 0; j < dim; j++) {
        double s = 0.2 + 0.02 * rnd.nextGaussian();
        for (int l = 0; l < 3; l++) {
          s += basis[l * dim + j] * rnd.nextGaussian() / (1 + l);
        }
        table[v * dim + j] = (float) s;
      }
    }
    double[] counts = new double[vocab];
    for (int v = 0; v < vocab; v++) {
      counts[v] = Math.floor(1000.0 / (1 + v)); // Zipf-like; the tail ids get weight 0..3
    }
    EmbeddingFactors f = EmbeddingCompression.afm(table, vocab, dim, counts, 2, Linalg.java());
    double[] mu = new double[dim];
    double w = 0;
    for (int v = 0; v < vocab; v++) {
      w += counts[v];
      for (int j = 0; j < dim; j++) {
        mu[j] += counts[v] * table[v * dim + j];
      }
    }
    for (int j = 0; j < dim; j++) {
      mu[j] /= w;
    }
    double err = 0;
    double tot = 0;
    float[] e = new float[dim];
    for (int v = 0; v < vocab; v++) {
      f.lookup(v, e, 0);
      for (int j = 0; j < dim; j++) {
        double d = table[v * dim + j] - e[j];
        double c = table[v * dim + j] - mu[j];
        err += counts[v] * d * d;
        tot += counts[v] * c * c;
      }
    }
    assertThat(err / tot).as("seed %d", SEED + 4).isCloseTo(1 - f.retainedEnergy(), within(1e-4));

    // Folding: W1 [num | emb0 | num | emb1] == W1' [num | table0 | num | table1].
    EmbeddingFactors g = EmbeddingCompression.svd(table, vocab, dim, 3, Linalg.nd4j());
    int h = 5;
    int in = 2 + dim + 1 + dim;
    float[] w1 = gaussian(rnd, h * in, 0.3);
    float[] b1 = gaussian(rnd, h, 0.1);
    float[][] folded = EmbeddingCompression.foldIntoFirstLayer(
        w1, b1, h, in, new int[] {2, 3 + dim}, new EmbeddingFactors[] {f, g});
    int newIn = 2 + 2 + 1 + 3;
    assertThat(folded[0]).hasSize(h * newIn);
    int id0 = 7;
    int id1 = 123;
    float[] full = new float[in];
    full[0] = 0.5f;
    full[1] = -1f;
    f.lookup(id0, full, 2);
    full[2 + dim] = 2f;
    g.lookup(id1, full, 3 + dim);
    float[] small = {0.5f, -1f, f.table()[id0 * 2], f.table()[id0 * 2 + 1], 2f,
        g.table()[id1 * 3], g.table()[id1 * 3 + 1], g.table()[id1 * 3 + 2]};
    for (int r = 0; r < h; r++) {
      double a = b1[r];
      for (int j = 0; j < in; j++) {
        a += w1[r * in + j] * full[j];
      }
      double bb = folded[1][r];
      for (int j = 0; j < newIn; j++) {
        bb += folded[0][r * newIn + j] * small[j];
      }
      assertThat(bb).as("row %d", r).isCloseTo(a, within(1e-4));
    }
  }

  static double[] toDouble(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i];
    }
    return d;
  }
}
