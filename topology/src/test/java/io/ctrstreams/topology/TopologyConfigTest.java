package io.ctrstreams.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.schemas.WireFormat;
import io.ctrstreams.serving.ServiceConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TopologyConfigTest {
  private static Map<String, Object> props(Object... kv) {
    Map<String, Object> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void shouldDefaultToExactlyOnceAndDocumentedTopicNames() {
    TopologyConfig c = new TopologyConfig(props());
    Properties p = c.streamsProperties();
    assertThat(p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
    assertThat(p.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG)).isEqualTo("localhost:9092");
    assertThat(c.impressionsTopic()).isEqualTo("impressions");
    assertThat(c.modelsTopic()).isEqualTo("models");
    assertThat(c.dlqTopic()).isEqualTo("dlq");
    assertThat(c.inputFormat()).isEqualTo(WireFormat.AVRO);
    assertThat(c.maxCandidates()).isEqualTo(1000);
    assertThat(c.attributionWindowMs()).isEqualTo(600_000L);
    assertThat(c.metricsPort()).isEqualTo(9400);
    assertThat(c.shadowModelName()).isNull();
    // fetch responses of the models topic stay below 1 MiB (no humongous array per model swap)
    assertThat(p.get("global.consumer.max.partition.fetch.bytes")).isEqualTo(960 * 1024);
    assertThat(new TopologyConfig(props("global.consumer.max.partition.fetch.bytes", "2097152")).streamsProperties())
        .containsEntry("global.consumer.max.partition.fetch.bytes", "2097152");
  }

  @Test
  void shouldPassEveryOtherPropertyThroughToStreams() {
    TopologyConfig c =
        new TopologyConfig(
            props("num.stream.threads", "3", "producer.linger.ms", "5", "processing.guarantee", "at_least_once",
                "input.format", "json"));
    Properties p = c.streamsProperties();
    assertThat(p).containsEntry("num.stream.threads", "3").containsEntry("producer.linger.ms", "5");
    assertThat(p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo("at_least_once");
    assertThat(p).doesNotContainKey(TopologyConfig.INPUT_FORMAT_CONFIG);
    assertThat(c.inputFormat()).isEqualTo(WireFormat.JSON);
  }

  @Test
  void shouldReadTheExpectedSpecFromJsonOrAModelAndNameAnUnreadableOne(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    io.ctrstreams.model.CtrModel model = TestModels.model("ctr", 1, 1);
    java.nio.file.Path json = dir.resolve("spec.json");
    java.nio.file.Files.writeString(json, model.spec().toJson());
    java.nio.file.Path ctrm = dir.resolve("m.ctrm");
    java.nio.file.Files.write(ctrm, TestModels.ctrm(model));
    assertThat(new TopologyConfig(props("model.expected.spec", json.toString())).expectedSpec()).contains(model.spec());
    assertThat(new TopologyConfig(props("model.expected.spec", ctrm.toString())).expectedSpec()).contains(model.spec());
    assertThat(new TopologyConfig(props()).expectedSpec()).isEmpty();
    java.nio.file.Path missing = dir.resolve("nope.json");
    assertThatThrownBy(() -> new TopologyConfig(props("model.expected.spec", missing.toString())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("model.expected.spec")
        .hasMessageContaining(missing.toString());
    assertThat(new TopologyConfig(props("state.dir", dir.toString())).checkpointDir("ctr"))
        .contains(dir.resolve("ctr-checkpoint").resolve("ctr-topology").resolve("ctr"));
    assertThat(new TopologyConfig(props("model.checkpoint.enabled", "false")).checkpointDir("ctr")).isEmpty();
  }

  @Test
  void shouldRejectOutOfRangeNumbersNamingTheSetting() {
    assertThatThrownBy(() -> new TopologyConfig(props("input.max.candidates", "0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("input.max.candidates")
        .hasMessageContaining("0");
    assertThatThrownBy(() -> new TopologyConfig(props("metrics.port", "70000")))
        .hasMessageContaining("metrics.port");
    assertThatThrownBy(() -> new TopologyConfig(props("input.format", "xml")))
        .hasMessageContaining("input.format");
    assertThatThrownBy(() -> new TopologyConfig(props("bootstrap.servers", "nohost")))
        .hasMessageContaining("'nohost' is not host:port");
  }

  @Test
  void shouldCrossCheckSettingsWithValueAndReason() {
    assertThatThrownBy(() -> new TopologyConfig(props("labels.attribution.window.ms", "1000", "labels.punctuate.interval.ms", "5000")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("labels.punctuate.interval.ms")
        .hasMessageContaining("5000")
        .hasMessageContaining("must be <= labels.attribution.window.ms (1000)");
    assertThatThrownBy(() -> new TopologyConfig(props("shadow.model.name", "ctr")))
        .hasMessageContaining("a model cannot shadow itself");
    assertThatThrownBy(() -> new TopologyConfig(props("topic.scores", "impressions")))
        .hasMessageContaining("topic.scores")
        .hasMessageContaining("every topic must be distinct");
    assertThatThrownBy(() -> new TopologyConfig(props("model.wait.ms", "200000", "max.poll.interval.ms", "100000")))
        .hasMessageContaining("must be < max.poll.interval.ms (100000)");
    assertThatThrownBy(() -> new TopologyConfig(props("model.wait.ms", "20000")))
        .hasMessageContaining("must be < transaction.timeout.ms (10000) under exactly_once_v2");
    assertThat(new TopologyConfig(props("model.wait.ms", "20000", "producer.transaction.timeout.ms", "60000")).modelWaitMs())
        .isEqualTo(20_000L);
    assertThat(new TopologyConfig(props("model.wait.ms", "20000", "processing.guarantee", "at_least_once")).modelWaitMs())
        .isEqualTo(20_000L);
  }

  @Test
  void shouldBoundInputRecordsBelowTheProducersRequestSizeAndInstallTheOutputHandler() {
    assertThatThrownBy(() -> new TopologyConfig(props("input.max.record.bytes", "1000000")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("input.max.record.bytes")
        .hasMessageContaining("1000000")
        .hasMessageContaining("max.request.size (1048576)");
    assertThat(new TopologyConfig(props("input.max.record.bytes", "1000000", "producer.max.request.size", "2097152"))
        .impressionCodec()).isNotNull();
    assertThat(new TopologyConfig(props("input.max.record.bytes", String.valueOf(1_048_576 - 65_536))).impressionCodec())
        .isNotNull();
    TopologyConfig c = new TopologyConfig(props("topic.dlq", "dead"));
    assertThat(c.streamsProperties())
        .containsEntry(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, OutputExceptionHandler.class)
        .containsEntry(OutputExceptionHandler.DLQ_TOPIC_CONFIG, "dead")
        .doesNotContainKey("topic.dlq"); // Kafka Streams would read it as a config of its internal topics
  }

  @Test
  void shouldValidatePassThroughStreamsProperties() {
    assertThatThrownBy(() -> new TopologyConfig(props("num.stream.threads", "lots")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("num.stream.threads");
  }

  @Test
  void shouldLoadPropertiesFileWithOverridesOnTop(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("topology.properties");
    Files.writeString(f, "model.name=alpha\ninput.format=json\n", StandardCharsets.UTF_8);
    TopologyConfig c = new TopologyConfig(ServiceConfig.properties(f, Map.of("model.name", "beta")));
    assertThat(c.modelName()).isEqualTo("beta");
    assertThat(c.inputFormat()).isEqualTo(WireFormat.JSON);
  }

  @Test
  void shouldTurnTheEndpointOffWithMetricsPortMinusOneAsEveryService() {
    assertThat(new TopologyConfig(props()).metricsEnabled()).isTrue();
    assertThat(new TopologyConfig(props("metrics.port", "-1")).metricsEnabled()).isFalse();
    assertThat(new TopologyConfig(props("metrics.enabled", "false")).metricsEnabled()).isFalse();
  }

  @Test
  void shouldRequireItsTopicsWithTheConfiguredPartitionsAndTheModelsTopicCompacted() {
    TopologyConfig c = new TopologyConfig(props("topics.partitions", "4", "topics.replication.factor", "3"));
    assertThat(c.requiredTopics()).extracting(NewTopic::name)
        .containsExactly("impressions", "clicks", "scores", "labeled", "dlq", "models");
    for (NewTopic t : c.requiredTopics()) {
      assertThat(t.replicationFactor()).isEqualTo((short) 3);
      assertThat(t.numPartitions()).isEqualTo(t.name().equals("models") ? 1 : 4);
    }
    assertThat(c.requiredTopics().get(5).configs()).containsEntry("cleanup.policy", "compact");
  }
}
