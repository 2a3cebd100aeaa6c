package io.ctrstreams.recompressor.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.LabeledExample;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.schemas.WireFormat;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CompressionDataTest {
  private static final ImpressionCodec CODEC = new ImpressionCodec(WireFormat.AUTO, 100);

  private static byte[] impression(String site, String... ads) {
    List<Candidate> cs = new java.util.ArrayList<>();
    for (String ad : ads) {
      cs.add(new Candidate(ad, new HashMap<>(Map.of("ad", ad))));
    }
    Impression imp = Impression.newBuilder().setEventId("e-" + site).setTimestampMs(1)
        .setContext(new HashMap<>(Map.of("site", site))).setCandidates(cs).build();
    return new ImpressionCodec(WireFormat.AVRO, 10).encodeAvro(imp);
  }

  private static byte[] labeled(String ad, int label) {
    return Schemas.LABELED_EXAMPLE.encode(LabeledExample.newBuilder().setEventId("l-" + ad).setAdId(ad)
        .setContext(new HashMap<>(Map.of("site", "s"))).setFeatures(new HashMap<>(Map.of("ad", ad)))
        .setLabel(label).setServedPctr(0.5).setShadowPctr(null).setModelName("ctr").setModelVersion(1L)
        .setShadowModelVersion(null).setImpressionTimestampMs(1L).setClickTimestampMs(null).setLabeledAtMs(2L)
        .build());
  }

  @Test
  void shouldMergeContextAndCandidateRowsCapTheCalibrationAndSkipUndecodableRecords() {
    byte[] junk = {1, 2, 3};
    CompressionPipeline.CompressionData d = CompressionPipeline.CompressionData.decode(CODEC,
        List.of(impression("a", "x", "y"), junk, impression("b", "z", "w")),
        List.of(labeled("p", 1), junk, labeled("q", 0)), 3);

    assertThat(d.calibration()).hasSize(3);
    assertThat(d.calibration().get(0)).containsEntry("site", "a").containsEntry("ad", "x");
    assertThat(d.calibration().get(2)).containsEntry("site", "b").containsEntry("ad", "z");
    assertThat(d.holdout()).extracting(r -> r.get("ad").toString()).containsExactly("p", "q");
    assertThat(d.holdoutLabels()).containsExactly(1f, 0f);
  }

  @Test
  void shouldLeaveOutRowsTheModelCannotEncodeAndKeepLabelsAligned() {
    CtrModel model = CtrModel.random(ModelSpec.builder().name("m").architecture(Architecture.DNN)
        .field(FieldSpec.logBucket("I1", FieldSpec.Role.CONTEXT, 16, 4))
        .field(FieldSpec.categorical("ad", FieldSpec.Role.CANDIDATE, 0, 64, 4)).mlp(8).build(), 7L);
    Map<String, Object> good = new HashMap<>(Map.of("I1", 3.0, "ad", "x"));
    Map<String, Object> bad = new HashMap<>(Map.of("I1", "notanumber", "ad", "y"));
    CompressionPipeline.CompressionData sampled = new CompressionPipeline.CompressionData(
        List.of(good, bad, good), List.of(bad, good, bad, good), new float[] {1, 0, 1, 1});

    CompressionPipeline.CompressionData d = sampled.encodableBy(model);

    assertThat(d.calibration()).containsExactly(good, good);
    assertThat(d.holdout()).containsExactly(good, good);
    assertThat(d.holdoutLabels()).containsExactly(0f, 1f);
    assertThat(sampled.droppedTo(d)).isEqualTo(3);
  }

  @Test
  void shouldLeaveOutRowsWithAStringInANumericFieldAsTheTopologyRejectsThem() {
    CtrModel model = CtrModel.random(ModelSpec.builder().name("m").architecture(Architecture.DNN)
        .field(FieldSpec.logBucket("I1", FieldSpec.Role.CONTEXT, 16, 4))
        .field(FieldSpec.categorical("ad", FieldSpec.Role.CANDIDATE, 0, 64, 4)).mlp(8).build(), 7L);
    Map<String, Object> good = new HashMap<>(Map.of("I1", 3.0, "ad", 1005.0));
    List<Map<String, Object>> calibration = new java.util.ArrayList<>(List.of(good));
    for (String s : List.of("NaN", "3", "")) {
      calibration.add(new HashMap<>(Map.of("I1", s, "ad", "y")));
    }
    CompressionPipeline.CompressionData sampled =
        new CompressionPipeline.CompressionData(calibration, List.of(), new float[0]);

    CompressionPipeline.CompressionData d = sampled.encodableBy(model);

    assertThat(d.calibration()).containsExactly(good);
    assertThat(sampled.droppedTo(d)).isEqualTo(3);
  }
}
