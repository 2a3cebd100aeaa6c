package io.ctrstreams.recompressor.service;

import io.ctrstreams.CtrException;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.LabeledExample;
import io.ctrstreams.schemas.Schemas;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
   * @return the compressed candidate (any name/version: the {@link CandidatePublisher} names the file, the manifest numbers it)
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
      List<Map<String, Object>> calibration, List<Map<String, Object>> holdout, float[] holdoutLabels) {

    private static final Logger LOG = LoggerFactory.getLogger(CompressionData.class);

    /**
     * Decodes sampled records into rows; records that do not decode are skipped and counted in
     * one warning.
     *
     * @param impressions impression record values (one calibration row per candidate)
     * @param labeled {@code LabeledExample} record values, oldest first
     * @param maxCalibrationRows cap on calibration rows
     */
    static CompressionData decode(ImpressionCodec codec, List<byte[]> impressions, List<byte[]> labeled,
        int maxCalibrationRows) {
      List<Map<String, Object>> calib = new ArrayList<>();
      int bad = 0;
      for (byte[] v : impressions) {
        if (calib.size() >= maxCalibrationRows) {
          break;
        }
        Impression imp;
        try {
          imp = codec.decode(v, 0);
        } catch (RuntimeException e) {
          bad++;
          continue;
        }
        for (Candidate c : imp.getCandidates()) {
          if (calib.size() >= maxCalibrationRows) {
            break;
          }
          Map<String, Object> row = new HashMap<>(imp.getContext());
          row.putAll(c.getFeatures());
          calib.add(row);
        }
      }
      List<Map<String, Object>> rows = new ArrayList<>(labeled.size());
      float[] labels = new float[labeled.size()];
      for (byte[] v : labeled) {
        LabeledExample ex;
        try {
          ex = Schemas.LABELED_EXAMPLE.decode(v, null);
        } catch (RuntimeException e) {
          bad++;
          continue;
        }
        Map<String, Object> row = new HashMap<>(ex.getContext());
        row.putAll(ex.getFeatures());
        labels[rows.size()] = ex.getLabel() == 1 ? 1f : 0f;
        rows.add(row);
      }
      if (bad > 0) {
        LOG.warn("{} reservoir/holdout records could not be decoded and were skipped", bad);
      }
      return new CompressionData(calib, rows, Arrays.copyOf(labels, rows.size()));
    }

    /**
     * The rows {@code model} can encode, as the topology would score them: typed as events
     * ({@link io.ctrstreams.model.FeatureEncoder#encodeTyped}, the rule the topology validates
     * impressions with), so a row the encoder rejects (e.g. a numeric field given a string, which
     * the topology dead-letters as {@code wrong_type}) is left out instead of failing the whole run.
     */
    CompressionData encodableBy(CtrModel model) {
      FeatureVector v = model.encoder().newFeatureVector();
      List<Map<String, Object>> calib = encodable(model, calibration, v, null, null);
      float[] labels = new float[holdout.size()];
      List<Map<String, Object>> rows = encodable(model, holdout, v, holdoutLabels, labels);
      return new CompressionData(calib, rows, Arrays.copyOf(labels, rows.size()));
    }

    /** Rows dropped by {@link #encodableBy} to get {@code to}. */
    int droppedTo(CompressionData to) {
      return calibration.size() + holdout.size() - to.calibration.size() - to.holdout.size();
    }

    private static List<Map<String, Object>> encodable(CtrModel model, List<Map<String, Object>> in,
        FeatureVector v, float[] labelsIn, float[] labelsOut) {
      List<Map<String, Object>> out = new ArrayList<>(in.size());
      for (int i = 0; i < in.size(); i++) {
        try {
          v.clear();
          model.encoder().encodeTyped(in.get(i), null, v);
        } catch (CtrException e) {
          continue;
        }
        if (labelsOut != null) {
          labelsOut[out.size()] = labelsIn[i];
        }
        out.add(in.get(i));
      }
      return out;
    }
  }
}
