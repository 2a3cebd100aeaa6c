package io.ctrstreams.model;

/** The network family of a {@link ModelSpec}. */
public enum Architecture {
  /** Embeddings, then an MLP, then a logistic output unit. */
  DNN,
  /**
   * DeepFM (Guo et al., IJCAI 2017): first-order weights + FM pairwise term over the field
   * embeddings + the DNN logit. Requires one embedding dim for all fields.
   */
  DEEPFM,
  /** DCN-V2 (Wang et al., WWW 2021): cross network {@code x_{l+1} = x0 * (W x_l + b) + x_l} and an MLP. */
  DCNV2
}
