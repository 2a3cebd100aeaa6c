package io.ctrstreams.recompressor;

/**
 * A rank-{@code k} embedding table: id {@code i} maps to {@code up * table[i] + bias}.
 *
 * @param method "afm" or "svd"
 * @param vocab rows V
 * @param dim original embedding width d
 * @param rank k
 * @param table {@code V x k} row-major
 * @param up {@code d x k} row-major up-projection (AFM: U_k; SVD: V_k)
 * @param bias {@code d} (AFM: the frequency-weighted mean mu; SVD: zero)
 * @param retainedEnergy share of the (weighted) energy kept
 */
public record EmbeddingFactors(
    String method, int vocab, int dim, int rank, float[] table, float[] up, float[] bias, double retainedEnergy) {

  /** Validates sizes. */
  public EmbeddingFactors {
    if (rank < 1 || table.length != (long) vocab * rank || up.length != (long) dim * rank || bias.length != dim) {
      throw new RecompressorException(
          "embedding factors of rank " + rank + " for a " + vocab + " x " + dim + " table have sizes "
              + table.length + "/" + up.length + "/" + bias.length);
    }
  }

  /** Writes the reconstructed embedding of {@code id} to {@code out[off..off+dim)}. */
  public void lookup(int id, float[] out, int off) {
    int t = id * rank;
    for (int i = 0; i < dim; i++) {
      double s = bias[i];
      int u = i * rank;
      for (int r = 0; r < rank; r++) {
        s += up[u + r] * table[t + r];
      }
      out[off + i] = (float) s;
    }
  }

  /** Float32 bytes: table plus up-projection plus bias. */
  public long bytes() {
    return 4L * ((long) vocab * rank + (long) dim * rank + dim);
  }
}
