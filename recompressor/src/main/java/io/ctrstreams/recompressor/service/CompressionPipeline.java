package io.ctrstreams.recompressor.service;

import io.ctrstreams.model.CtrModel;
import java.util.List;
import java.util.Map;

/**
 * The compression step the service runs on each snapshot: factorize, search ranks under the
 * budget, distil. The recompressor's {@code Compressor} is the production implementation; the
 * service gates and publishes whatever this returns, so the pipeline need not gate itself.
 */
@FunctionalInterface
public interface CompressionPipeline {

  /**
   * Compresses {@code full}.
   *
   * @param full the full-precision snapshot
   * @param data calibration rows (impressions sampled from traffic) and the labeled holdout
   * @return the compressed candidate (any name/version: the service renames and renumbers it)
   * @throws RuntimeException when compression fails; the run counts as failed, nothing published
   */
  CtrModel compress(CtrModel full, CompressionData data);

  /**
   * Inputs of one run, as raw events (field name to String or Number), because encoding depends
   * on each model's vocabularies.
   *
   * @param calibration one row per candidate: context and candidate features merged
   * @param holdout labeled rows, same shape, latest last
   * @param holdoutLabels 0/1 label of each holdout row
   */
  record CompressionData(
      List<Map<String, Object>> calibration, List<Map<String, Object>> holdout, float[] holdoutLabels) {}
}
