package io.ctrstreams.recompressor.search;

/**
 * Loss of a genome (one option index per layer); lower is better. For CTR models: logloss of the
 * student against the teacher's probabilities on calibration data.
 */
@FunctionalInterface
public interface Fitness {
  double loss(int[] genome);
}
