package io.ctrstreams.recompressor;

/** How a layer's low-rank basis is chosen. */
public enum CompressionMethod {
  /** Atomic Feature Mimicking: PCA of the layer's outputs on calibration data ({@link Afm}). */
  AFM,
  /** Truncated SVD of the weights, data-free ({@link WeightSvd}). */
  SVD;

  /** Lower-case name for reports and the CLI. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
