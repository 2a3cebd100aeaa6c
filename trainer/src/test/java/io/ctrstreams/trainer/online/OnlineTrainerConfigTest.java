package io.ctrstreams.trainer.online;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class OnlineTrainerConfigTest {

  @Test
  void shouldRejectConfigurationsThatNeverPublish() {
    assertThatThrownBy(() -> new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.SNAPSHOT_INTERVAL_MS_CONFIG, "0")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("no snapshot would ever be published");
  }

  @Test
  void shouldRejectBadLayerSizesNamingThem() {
    assertThatThrownBy(() -> new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.MLP_CONFIG, "64,0")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("found 0");
    assertThatThrownBy(() -> new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.MLP_CONFIG, "64,wide")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("'wide'");
  }

  @Test
  void shouldParseTheModelShapeAndPassClientPropertiesThrough() {
    OnlineTrainerConfig c = new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.MLP_CONFIG, "128, 64, 32",
        "linger.ms", "20"));
    assertThat(c.mlp()).containsExactly(128, 64, 32);
    assertThat(c.producerConfigs()).containsEntry("linger.ms", "20").containsKey("bootstrap.servers")
        .doesNotContainKey(OnlineTrainerConfig.MLP_CONFIG);
    assertThat(c.syntheticSource()).isFalse();
  }
}
