package io.ctrstreams.recompressor.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class RecompressorConfigTest {

  @Test
  void shouldPassUnknownPropertiesThroughToTheClients() {
    RecompressorConfig c = new RecompressorConfig(Map.of("security.protocol", "SSL", "bootstrap.servers", "k1:9093,k2:9093"));
    assertThat(c.producerConfigs()).containsEntry("security.protocol", "SSL")
        .containsEntry("bootstrap.servers", "k1:9093,k2:9093").doesNotContainKey(RecompressorConfig.HOLDOUT_SIZE_CONFIG);
    assertThat(c.consumerConfigs(c.groupId(), "data")).containsEntry("security.protocol", "SSL")
        .containsEntry("group.id", "ctr-recompressor").containsEntry("max.partition.fetch.bytes", 2 << 20)
        .doesNotContainKey(RecompressorConfig.HOLDOUT_SIZE_CONFIG);
    assertThat(c.shadowModelName()).isEqualTo("ctr-full");
    assertThat(c.compressionSearch()).isEqualTo(CompressorPipeline.Search.GA);
  }

  @Test
  void shouldRejectAHoldoutMinimumAboveTheWindow() {
    assertThatThrownBy(() -> new RecompressorConfig(Map.of(RecompressorConfig.HOLDOUT_MIN_ROWS_CONFIG, "600",
        RecompressorConfig.HOLDOUT_SIZE_CONFIG, "500")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("holdout.min.rows").hasMessageContaining("500");
  }

  @Test
  void shouldReadTheRelayEncodingAndRejectLog4ScalesOnFloatsNamingTheValue() {
    RecompressorConfig d = new RecompressorConfig(Map.of());
    assertThat(d.deltaRelayEncoding()).isEqualTo(io.ctrstreams.model.delta.ValueEncoding.FP32);
    assertThat(d.deltaRelayTopkRatio()).isEqualTo(1.0);
    RecompressorConfig c = new RecompressorConfig(Map.of(RecompressorConfig.DELTA_RELAY_ENCODING_CONFIG, "int3",
        RecompressorConfig.DELTA_RELAY_TOPK_RATIO_CONFIG, "0.3", RecompressorConfig.DELTA_RELAY_GROUP_SCALE_CONFIG, "log4"));
    assertThat(c.deltaRelayEncoding()).isEqualTo(io.ctrstreams.model.delta.ValueEncoding.INT3);
    assertThat(c.deltaRelayGroupScale()).isEqualTo(io.ctrstreams.model.delta.GroupScale.LOG4);
    assertThatThrownBy(() -> new RecompressorConfig(Map.of(RecompressorConfig.DELTA_RELAY_GROUP_SCALE_CONFIG, "log4")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("delta.relay.group.scale").hasMessageContaining("log4")
        .hasMessageContaining("delta.relay.encoding = fp32");
    assertThatThrownBy(() -> new RecompressorConfig(Map.of(RecompressorConfig.DELTA_RELAY_ENCODING_CONFIG, "int5")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("int5");
    assertThatThrownBy(() -> new RecompressorConfig(Map.of(RecompressorConfig.DELTA_RELAY_TOPK_RATIO_CONFIG, "0")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("delta.relay.topk.ratio");
  }

  @Test
  void shouldRejectTheSameNameForFullAndCompressedModels() {
    assertThatThrownBy(() -> new RecompressorConfig(Map.of(RecompressorConfig.MODEL_NAME_CONFIG, "ctr-full")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("must differ from full.model.name");
  }

  @Test
  void shouldRejectSharedTopicsAndBadRanks() {
    assertThatThrownBy(() -> new RecompressorConfig(Map.of(RecompressorConfig.MODELS_TOPIC_CONFIG, "model-updates")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("model-updates");
    assertThatThrownBy(() -> new RecompressorConfig(Map.of(RecompressorConfig.COMPRESSION_MLP_RANKS_CONFIG, "32,x")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("rank 'x' is not an integer");
  }
}
