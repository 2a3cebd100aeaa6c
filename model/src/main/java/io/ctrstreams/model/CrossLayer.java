package io.ctrstreams.model;

/**
 * One DCN-V2 cross layer (Wang et al., WWW 2021, eq. 1): {@code x_{l+1} = x0 * (W x_l + b) + x_l}
 * (element-wise product), with {@code W x + b} dense ({@link Linear}) or low-rank
 * ({@link LowRankLinear}, the paper's "mixture of low-rank experts" with one expert).
 */
public final class CrossLayer {
  private final AffineLayer map;
  private final int dim;

  /** A cross layer over a square affine map (in = out = D). */
  public CrossLayer(AffineLayer map) {
    if (map.inputSize() != map.outputSize()) {
      throw new CtrModelException("cross layer map must be square, found " + map.inputSize() + " -> "
          + map.outputSize());
    }
    this.map = map;
    this.dim = map.inputSize();
  }

  /** The affine map {@code W x + b}. */
  public AffineLayer map() {
    return map;
  }

  /** Width D. */
  public int dim() {
    return dim;
  }

  /** Floats of scratch {@link #forward} needs: D plus the map's. */
  public int scratchSize() {
    return dim + map.scratchSize();
  }

  /**
   * {@code y = x0 * (W xl + b) + xl}; {@code y} may alias {@code xl} (same array and offset), which
   * lets callers update in place.
   */
  public void forward(float[] x0, int x0Off, float[] xl, int xlOff, float[] y, int yOff, float[] scratch) {
    Checks.range("cross layer", "x0", x0, x0Off, dim);
    Checks.range("cross layer", "x_l", xl, xlOff, dim);
    Checks.range("cross layer", "output", y, yOff, dim);
    Checks.range("cross layer", "scratch", scratch, 0, scratchSize());
    // The map's own scratch (LowRankLinear: V x + c) uses [0, ms); its output goes to [ms, ms + D).
    int tOff = map.scratchSize();
    map.forward(xl, xlOff, scratch, tOff, scratch);
    for (int i = 0; i < dim; i++) {
      y[yOff + i] = x0[x0Off + i] * scratch[tOff + i] + xl[xlOff + i];
    }
  }

  public long parameterCount() {
    return map.parameterCount();
  }

  /** Multiply-adds: the map plus the element-wise product. */
  public long multiplyAdds() {
    return map.multiplyAdds() + dim;
  }

  @Override
  public String toString() {
    return "CrossLayer[" + map + "]";
  }
}
