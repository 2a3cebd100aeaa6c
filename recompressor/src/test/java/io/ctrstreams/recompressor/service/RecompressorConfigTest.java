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
