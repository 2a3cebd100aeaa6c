package io.ctrstreams.model;

/** How the DCN-V2 cross network and the MLP are combined (DCN-V2 paper, Fig. 2). */
public enum CrossStructure {
  /** Cross network first, its output feeds the MLP. */
  STACKED,
  /** Cross network and MLP both read x0; their outputs are concatenated before the output unit. */
  PARALLEL
}
