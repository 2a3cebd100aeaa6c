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

  @Test
  void shouldValidateTheDeltaSelectionAndGroupScaleNamingTheBadValue() {
    assertThatThrownBy(() -> new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.DELTA_SELECTION_CONFIG, "hessian")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("hessian").hasMessageContaining("delta.selection");
    assertThatThrownBy(() -> new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.DELTA_GROUP_SCALE_CONFIG, "log3")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("log3").hasMessageContaining("delta.group.scale");
    assertThatThrownBy(() -> new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.DELTA_GROUP_SCALE_CONFIG, "log4",
        OnlineTrainerConfig.DELTA_ENCODING_CONFIG, "fp16")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("delta.group.scale").hasMessageContaining("fp16");
    OnlineTrainerConfig c = new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.DELTA_GROUP_SCALE_CONFIG, "log4",
        OnlineTrainerConfig.DELTA_ENCODING_CONFIG, "int3", OnlineTrainerConfig.DELTA_SELECTION_CONFIG, "fisher"));
    assertThat(c.deltaGroupScale()).isEqualTo(io.ctrstreams.model.delta.GroupScale.LOG4);
    assertThat(c.deltaSelection()).isEqualTo(io.ctrstreams.model.delta.DeltaEncoder.Selection.FISHER);
    OnlineTrainerConfig defaults = new OnlineTrainerConfig(Map.of());
    assertThat(defaults.deltaGroupScale()).isEqualTo(io.ctrstreams.model.delta.GroupScale.BF16);
    assertThat(defaults.deltaSelection()).isEqualTo(io.ctrstreams.model.delta.DeltaEncoder.Selection.RESIDUAL);
  }

  @Test
  void shouldValidateTheExchangeSettingsNamingTheBadValue() {
    assertThatThrownBy(() -> new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.EXCHANGE_ALGORITHM_CONFIG, "ef22")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("ef22").hasMessageContaining("exchange.algorithm");
    assertThatThrownBy(() -> new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.EXCHANGE_ETA_CONFIG, "-0.5")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("-0.5").hasMessageContaining("exchange.eta");
    assertThatThrownBy(() -> new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.EXCHANGE_ROUND_EXAMPLES_CONFIG, "0")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("exchange.round.examples");
    assertThatThrownBy(() -> new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.EXCHANGE_ENABLED_CONFIG, "true")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("exchange.worker.id");
    assertThatThrownBy(() -> new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.EXCHANGE_ENABLED_CONFIG, "true",
        OnlineTrainerConfig.EXCHANGE_WORKER_ID_CONFIG, "w1", OnlineTrainerConfig.SOURCE_CONFIG, "synthetic")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("source=labeled");
    OnlineTrainerConfig c = new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.EXCHANGE_ENABLED_CONFIG, "true",
        OnlineTrainerConfig.EXCHANGE_WORKER_ID_CONFIG, "w1", OnlineTrainerConfig.EXCHANGE_ALGORITHM_CONFIG, "ef21"));
    assertThat(c.exchangeAlgorithm()).isEqualTo(io.ctrstreams.trainer.exchange.ExchangeAlgorithm.EF21);
    assertThat(c.exchangeEta()).isNaN();
    assertThat(c.requiredTopics()).extracting(t -> t.name()).contains("trainer-exchange");
    assertThat(c.exchangeShift()).isEqualTo(io.ctrstreams.trainer.exchange.ShiftScope.ALL);
    assertThat(c.exchangeDenseRatio()).isEqualTo(c.exchangeTopkRatio());
  }

  @Test
  void shouldValidateTheShiftScopeAndTheDenseRatioNamingTheBadValue() {
    assertThatThrownBy(() -> new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.EXCHANGE_SHIFT_CONFIG, "rows")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("rows").hasMessageContaining("exchange.shift");
    for (String bad : new String[] {"0", "1.5", "-0.5", "NaN"}) {
      assertThatThrownBy(() -> new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.EXCHANGE_DENSE_RATIO_CONFIG, bad)))
          .as(bad).isInstanceOf(ConfigException.class).hasMessageContaining("exchange.dense.ratio");
    }
    OnlineTrainerConfig c = new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.EXCHANGE_SHIFT_CONFIG, "touched-rows",
        OnlineTrainerConfig.EXCHANGE_DENSE_RATIO_CONFIG, "0.15", OnlineTrainerConfig.EXCHANGE_TOPK_RATIO_CONFIG, "0.04"));
    assertThat(c.exchangeShift()).isEqualTo(io.ctrstreams.trainer.exchange.ShiftScope.TOUCHED_ROWS);
    assertThat(c.exchangeDenseRatio()).isEqualTo(0.15);
    assertThat(c.exchangeTopkRatio()).isEqualTo(0.04);
    assertThat(c.exchangeEtaPerTensor()).isFalse();
    assertThatThrownBy(() -> new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.EXCHANGE_ETA_PER_TENSOR_CONFIG, "true",
        OnlineTrainerConfig.EXCHANGE_ETA_CONFIG, "0.1"))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("exchange.eta.per.tensor").hasMessageContaining("exchange.eta = 0.1");
    assertThat(new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.EXCHANGE_ETA_PER_TENSOR_CONFIG, "true"))
        .exchangeEtaPerTensor()).isTrue();
    assertThat(new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.EXCHANGE_ETA_MEASURED_SCALE_CONFIG, "0.2"))
        .exchangeEtaMeasuredScale()).isEqualTo(0.2);
    assertThatThrownBy(() -> new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.EXCHANGE_ETA_MEASURED_SCALE_CONFIG, "0.2",
        OnlineTrainerConfig.EXCHANGE_ETA_CONFIG, "0.1"))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("exchange.eta.measured.scale").hasMessageContaining("exchange.eta = 0.1");
    assertThatThrownBy(() -> new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.EXCHANGE_DENSE_INT8_CONFIG, "true",
        OnlineTrainerConfig.EXCHANGE_DENSE_RATIO_CONFIG, "0.15"))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("exchange.dense.int8").hasMessageContaining("exchange.dense.ratio = 0.15");
    assertThat(new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.EXCHANGE_DENSE_INT8_CONFIG, "true",
        OnlineTrainerConfig.EXCHANGE_DENSE_RATIO_CONFIG, "1")).exchangeDenseInt8()).isTrue();
    for (String bad : new String[] {"1.5", "-0.1", "x"}) {
      assertThatThrownBy(() -> new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.EXCHANGE_ETA_MEASURED_SCALE_CONFIG,
          bad))).as(bad).isInstanceOf(ConfigException.class).hasMessageContaining("exchange.eta.measured.scale");
    }
  }

  @Test
  void shouldValidateTheHoldoutGuardNamingTheBadValue() {
    assertThatThrownBy(() -> new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.HOLDOUT_EVERY_CONFIG, "1")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("holdout.every").hasMessageContaining("1");
    assertThatThrownBy(() -> new OnlineTrainerConfig(
        Map.of(OnlineTrainerConfig.PUBLISH_MAX_HOLDOUT_LOGLOSS_INCREASE_CONFIG, "-0.5")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("-0.5")
        .hasMessageContaining("publish.max.holdout.logloss.increase");
    assertThatThrownBy(() -> new OnlineTrainerConfig(
        Map.of(OnlineTrainerConfig.PUBLISH_MAX_HOLDOUT_LOGLOSS_INCREASE_CONFIG, "NaN")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("NaN")
        .hasMessageContaining("publish.max.holdout.logloss.increase");
    assertThatThrownBy(() -> new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.HOLDOUT_ROWS_CONFIG, "100",
        OnlineTrainerConfig.HOLDOUT_MIN_ROWS_CONFIG, "500")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("holdout.min.rows").hasMessageContaining("500");
    assertThatThrownBy(() -> new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.HOLDOUT_EVERY_CONFIG, "20",
        OnlineTrainerConfig.EXCHANGE_ENABLED_CONFIG, "true", OnlineTrainerConfig.EXCHANGE_WORKER_ID_CONFIG, "w1")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("holdout.every").hasMessageContaining("exchange.enabled");
    OnlineTrainerConfig c = new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.HOLDOUT_EVERY_CONFIG, "20"));
    assertThat(c.holdoutEvery()).isEqualTo(20);
    assertThat(c.publishMaxHoldoutLoglossIncrease()).isEqualTo(0.01);
    assertThat(new OnlineTrainerConfig(Map.of()).holdoutEvery()).as("off by default").isZero();
  }
}
