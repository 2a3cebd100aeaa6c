package io.ctrstreams.recompressor.search;

import io.ctrstreams.recompressor.LinearFactors;
import io.ctrstreams.recompressor.RecompressorException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Builds rank ladders with float32 byte and FLOP accounting. Ranks that would not save bytes are
 * dropped (a rank-r pair of an m x n layer saves bytes only when r < m n / (m + n)); "keep dense"
 * is always the top rung.
 */
public final class RankLadder {
  /** Default MLP / cross ranks (filtered per layer). */
  public static final int[] LINEAR_RANKS = {4, 8, 16, 24, 32, 48, 64, 96, 128, 160, 192, 256, 320, 384, 512};

  /** Default embedding ranks (filtered per table). */
  public static final int[] EMBEDDING_RANKS = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32};

  private RankLadder() {}

  /** Ladder of a linear layer {@code out x in} with bias. */
  public static LayerChoice linear(String name, int out, int in, int[] ranks) {
    int max = LinearFactors.maxUsefulRank(out, in);
    List<RankOption> opts = new ArrayList<>();
    for (int r : new TreeSet<>(boxed(ranks))) {
      if (r >= 1 && r <= max) {
        opts.add(new RankOption(r, LinearFactors.factoredBytes(out, in, r), LinearFactors.factoredFlops(out, in, r), 0));
      }
    }
    opts.add(new RankOption(RankOption.DENSE, LinearFactors.denseBytes(out, in), LinearFactors.denseFlops(out, in), 0));
    return new LayerChoice(name, Math.min(out, in), opts);
  }

  /**
   * Ladder of an embedding table {@code rows x dim}: rank k costs {@code rows k + k dim + dim}
   * floats (table, projection, bias); FLOPs per lookup are the up-projection's {@code 2 k dim}
   * (0 for a dense lookup). With {@code folded} the projection lives in the first MLP layer and the
   * rung counts only the table (the MLP layer's ladder carries the rest).
   */
  public static LayerChoice embedding(String name, long rows, int dim, int[] ranks, boolean folded) {
    if (rows < 1 || dim < 1) {
      throw new RecompressorException("embedding " + name + " needs rows >= 1 and dim >= 1, found " + rows + " and " + dim);
    }
    List<RankOption> opts = new ArrayList<>();
    long dense = 4L * rows * dim;
    for (int r : new TreeSet<>(boxed(ranks))) {
      if (r < 1 || r >= dim) {
        continue;
      }
      long bytes = folded ? 4L * rows * r : 4L * (rows * r + (long) r * dim + dim);
      if (bytes < dense) {
        opts.add(new RankOption(r, bytes, folded ? 0 : 2L * r * dim, 0));
      }
    }
    opts.add(new RankOption(RankOption.DENSE, dense, 0, 0));
    return new LayerChoice(name, dim, opts);
  }

  private static List<Integer> boxed(int[] a) {
    List<Integer> l = new ArrayList<>();
    for (int v : a) {
      l.add(v);
    }
    return l;
  }
}
