package io.ctrstreams.topology.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.ServedCandidate;
import io.ctrstreams.schemas.ServedImpression;
import io.ctrstreams.schemas.WireFormat;
import io.ctrstreams.serving.ModelRegistry;
import io.ctrstreams.topology.TestModels;
import io.ctrstreams.topology.TopologyMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The scoring processor in the default configuration (served records for the label join, with
 * and without a shadow model): Avro records of the current schema are scored straight from their
 * bytes, never decoded on the scoring path; the label join's served impression, decoded
 * afterwards, is what the decoded path built (the models' own pctrs, names, versions, features).
 */
class ScoringProcessorTest {
  private static final long SEED = 20261202L;

  @ParameterizedTest(name = "{0}, shadow {1}")
  @CsvSource({"avro, none", "avro, same-encoding", "avro, other-encoding", "json, none", "json, same-encoding",
      "json, other-encoding"})
  void servedRecordShouldBeDecodedOnlyWhenScoringHadToDecode(String format, String shadowKind) {
    ImpressionCodec codec = new ImpressionCodec(WireFormat.valueOf(format.toUpperCase(java.util.Locale.ROOT)), 8);
    ModelRegistry live = new ModelRegistry("ctr");
    CtrModel v1 = TestModels.model("ctr", 1, 11);
    TestModels.offer(live, v1);
    ModelRegistry shadow = null;
    CtrModel full = null;
    if (!shadowKind.equals("none")) {
      shadow = new ModelRegistry("full");
      full = shadowKind.equals("same-encoding") ? TestModels.model("full", 7, 77)
          : TestModels.otherEncodingModel("full", 7, 77);
      TestModels.offer(shadow, full);
    }
    ScoringProcessor p = new ScoringProcessor(codec, live, shadow, 0, new AtomicLong(Long.MIN_VALUE), true,
        new TopologyMetrics(new PrometheusRegistry()), () -> 1_700_000_000_500L);
    MockProcessorContext<byte[], Routed> ctx = new MockProcessorContext<>();
    p.init(ctx);
    Impression imp = TestModels.impression("p-1", 1_700_000_000_000L, 4, new Random(SEED));
    byte[] value = format.equals("json") ? ImpressionCodec.encodeJson(imp) : codec.encodeAvro(imp);
    p.process(new Record<>("k".getBytes(StandardCharsets.UTF_8), value, 1_700_000_000_000L));

    List<Served> served = new ArrayList<>();
    int scores = 0;
    for (MockProcessorContext.CapturedForward<? extends byte[], ? extends Routed> f : ctx.forwarded()) {
      if (ScoringProcessor.SERVED_CHILD.equals(f.childName().orElse(null))) {
        served.add(f.record().value().served());
      } else {
        assertThat(f.childName()).contains(ScoringProcessor.SCORES_CHILD);
        scores++;
      }
    }
    assertThat(scores).isEqualTo(full == null ? 4 : 8);
    assertThat(served).hasSize(1);
    Served s = served.get(0);
    if (format.equals("avro")) {
      assertThat(s.decoded()).as("scored straight from the record bytes, shadow " + shadowKind).isNull();
    } else {
      assertThat(s.decoded()).as("JSON is decoded once, for scoring and the join").isNotNull();
    }
    assertThat(s.toServedImpression(codec)).isEqualTo(expectedServed(imp, v1, full));
  }

  /** What the decoded path built: the impression's maps with the models' own pctrs, names and versions. */
  private static ServedImpression expectedServed(Impression imp, CtrModel live, CtrModel shadow) {
    float[] pctr = TestModels.pctr(live, imp);
    float[] shadowPctr = shadow == null ? null : TestModels.pctr(shadow, imp);
    List<ServedCandidate> cs = new ArrayList<>();
    for (int i = 0; i < pctr.length; i++) {
      Candidate c = imp.getCandidates().get(i);
      cs.add(new ServedCandidate(c.getAdId(), c.getFeatures(), (double) pctr[i],
          shadow == null ? null : (double) shadowPctr[i]));
    }
    return new ServedImpression(imp.getEventId(), imp.getTimestampMs(), imp.getContext(), cs, live.name(),
        live.version(), shadow == null ? null : shadow.name(), shadow == null ? null : shadow.version(), null);
  }
}
