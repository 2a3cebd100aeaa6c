package io.ctrstreams.topology.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.schemas.Click;
import io.ctrstreams.schemas.LabelJoinEvent;
import io.ctrstreams.schemas.LabeledExample;
import io.ctrstreams.schemas.AvroSerde;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.schemas.ServedCandidate;
import io.ctrstreams.schemas.ServedImpression;
import io.ctrstreams.topology.MetricValues;
import io.ctrstreams.topology.TopologyMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.StoreBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LabelJoinProcessorTest {
  private static final long WINDOW = 10_000;
  private TopologyTestDriver driver;
  private TestInputTopic<byte[], LabelJoinEvent> in;
  private TestOutputTopic<byte[], LabeledExample> out;
  private PrometheusRegistry registry;
  private final List<LabeledExample> heard = new ArrayList<>();

  @org.junit.jupiter.api.io.TempDir java.nio.file.Path stateDir;

  @BeforeEach
  void setUp() {
    registry = new PrometheusRegistry();
    TopologyMetrics metrics = new TopologyMetrics(registry);
    Topology t = new Topology();
    t.addSource("src", new ByteArrayDeserializer(), new ByteArrayDeserializer(), "join-in");
    t.addProcessor("join", () -> new LabelJoinProcessor(WINDOW, 1_000, metrics, heard::add), "src");
    for (StoreBuilder<?> b : LabelJoinProcessor.storeBuilders()) {
      t.addStateStore(b, "join");
    }
    t.addSink("sink", "labeled", new ByteArraySerializer(), new AvroSerde<>(Schemas.LABELED_EXAMPLE).serializer(), "join");
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "label-join-test");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    driver = new TopologyTestDriver(t, p);
    in = driver.createInputTopic("join-in", new ByteArraySerializer(), new AvroSerde<>(Schemas.LABEL_JOIN_EVENT).serializer());
    out = driver.createOutputTopic("labeled", new ByteArrayDeserializer(), new AvroSerde<>(Schemas.LABELED_EXAMPLE).deserializer());
  }

  @AfterEach
  void tearDown() {
    driver.close();
  }

  private static ServedImpression served(String id, long ts, String... ads) {
    List<ServedCandidate> cs = new ArrayList<>();
    for (int i = 0; i < ads.length; i++) {
      Map<String, Object> f = new HashMap<>();
      f.put("ad", ads[i]);
      cs.add(new ServedCandidate(ads[i], f, 0.1 * (i + 1), null));
    }
    Map<String, Object> ctx = new HashMap<>();
    ctx.put("user", "u1");
    return new ServedImpression(id, ts, ctx, cs, "m", 7L, null, null, null);
  }

  private void pipeServed(ServedImpression s, long ts) {
    in.pipeInput(s.getEventId().getBytes(StandardCharsets.UTF_8), new LabelJoinEvent(s, null), ts);
  }

  private void pipeClick(String id, String ad, long ts) {
    in.pipeInput(id.getBytes(StandardCharsets.UTF_8), new LabelJoinEvent(null, new Click(id, ad, ts)), ts);
  }

  private Map<String, Integer> labelsByAd(List<LabeledExample> xs) {
    return xs.stream().collect(Collectors.toMap(x -> x.getEventId() + "/" + x.getAdId(), LabeledExample::getLabel));
  }

  @Test
  void shouldEmitPositiveAtOnceAndNegativesWhenTheWindowCloses() {
    pipeServed(served("e1", 1_000, "a", "b", "c"), 1_000);
    pipeClick("e1", "b", 3_000);
    List<LabeledExample> first = out.readValuesToList();
    assertThat(first).hasSize(1);
    LabeledExample pos = first.get(0);
    assertThat(pos.getLabel()).isEqualTo(1);
    assertThat(pos.getAdId()).isEqualTo("b");
    assertThat(pos.getServedPctr()).isEqualTo(0.2, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(pos.getModelVersion()).isEqualTo(7L);
    assertThat(pos.getClickTimestampMs()).isEqualTo(3_000L);
    assertThat(pos.getContext()).containsEntry("user", "u1");

    pipeClick("zz", "x", 10_999); // advances stream time, window of e1 still open (ends 11_000)
    assertThat(out.readValuesToList()).isEmpty();
    pipeClick("zz", "x", 12_000); // stream time past 11_000 -> punctuation closes e1
    List<LabeledExample> closing = out.readValuesToList();
    assertThat(labelsByAd(closing)).isEqualTo(Map.of("e1/a", 0, "e1/c", 0));
    assertThat(MetricValues.value(registry, "ctr_labels", "label", "1")).isEqualTo(1.0);
    assertThat(MetricValues.value(registry, "ctr_labels", "label", "0")).isEqualTo(2.0);
    assertThat(heard).hasSize(3);
  }

  @Test
  void labelsShouldNameThePathThatServedTheImpression() {
    ServedImpression rpc = served("r1", 1_000, "a", "b");
    rpc.setSource("rpc"); // logged by ctr serve
    pipeServed(rpc, 1_000);
    pipeServed(served("s1", 1_000, "a"), 1_000); // scored by the topology: no source
    pipeClick("r1", "a", 2_000);
    pipeClick("s1", "a", 2_000);
    Map<String, String> sources = new java.util.HashMap<>();
    for (LabeledExample e : out.readValuesToList()) {
      sources.put(e.getEventId() + "/" + e.getAdId(), String.valueOf(e.getSource()));
    }
    assertThat(sources).isEqualTo(Map.of("r1/a", "rpc", "s1/a", "null"));
    pipeClick("other", "x", 1_000 + WINDOW + 1_000); // closes both windows: the negative keeps it too
    List<LabeledExample> negatives = out.readValuesToList();
    assertThat(negatives).extracting(e -> e.getEventId() + "/" + e.getAdId() + "=" + e.getSource())
        .containsExactly("r1/b=rpc");
  }

  @Test
  void shouldApplyClickThatArrivesBeforeItsImpression() {
    pipeClick("e2", "a", 5_000);
    assertThat(out.readValuesToList()).isEmpty();
    pipeServed(served("e2", 4_900, "a", "b"), 5_100);
    List<LabeledExample> xs = out.readValuesToList();
    assertThat(labelsByAd(xs)).isEqualTo(Map.of("e2/a", 1));
    pipeClick("other", "x", 5_100 + WINDOW + 1_000);
    assertThat(labelsByAd(out.readValuesToList())).isEqualTo(Map.of("e2/b", 0));
  }

  @Test
  void shouldDropLateUnknownAndDuplicateClicks() {
    pipeServed(served("e3", 0, "a", "b"), 0);
    pipeClick("e3", "a", 100);
    pipeClick("e3", "a", 200); // duplicate
    pipeClick("e3", "nope", 300); // not a candidate
    assertThat(labelsByAd(out.readValuesToList())).isEqualTo(Map.of("e3/a", 1));
    // stream time jumps past the window with the late click itself: the window closes first
    // only at the next punctuation, so the click is rejected as late by the window check
    pipeClick("e3", "b", WINDOW + 500);
    List<LabeledExample> rest = out.readValuesToList();
    assertThat(labelsByAd(rest)).isEqualTo(Map.of("e3/b", 0));
    assertThat(MetricValues.value(registry, "ctr_label_clicks_dropped", "reason", "duplicate")).isEqualTo(1.0);
    assertThat(MetricValues.value(registry, "ctr_label_clicks_dropped", "reason", "unknown_ad")).isEqualTo(1.0);
    assertThat(MetricValues.value(registry, "ctr_label_clicks_dropped", "reason", "late")
            + MetricValues.value(registry, "ctr_label_clicks_dropped", "reason", "orphan"))
        .isEqualTo(1.0);
  }

  @Test
  void shouldExpireOrphanClicksWithoutOutput() {
    pipeClick("ghost", "a", 1_000);
    pipeClick("ghost", "b", 1_500);
    pipeClick("tick", "x", 1_000 + WINDOW + 2_000);
    assertThat(out.readValuesToList()).isEmpty();
    assertThat(MetricValues.value(registry, "ctr_label_clicks_dropped", "reason", "orphan")).isEqualTo(2.0);
    // and the state is gone: the impression arriving now starts fresh (no positive)
    pipeServed(served("ghost", 20_000, "a"), 20_000);
    assertThat(out.readValuesToList()).isEmpty();
  }
}
