package io.ctrstreams.serving;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;

/**
 * Configuration of a one-off {@link ModelPublisher} ({@code ctr publish}): where the models topic
 * is and under which name to publish; any other property (e.g. {@code security.protocol},
 * {@code sasl.jaas.config}) goes to its Kafka clients as for every {@link ServiceConfig}.
 */
public final class ModelPublisherConfig extends ServiceConfig {
  private static final ConfigDef DEF = new Definitions()
      .name(MODELS_TOPIC_CONFIG, "models", Importance.HIGH, "Compacted topic the model is published to.")
      .name(MODEL_NAME_CONFIG, "ctr", Importance.HIGH, "Model name on the topic (keys <name>/...): the topology's model.name.")
      .build();

  /** Parses {@code props}; unknown keys are kept for the Kafka clients. */
  public ModelPublisherConfig(Map<?, ?> props) {
    super(DEF, props);
  }

  /** Nothing constrains the two settings. */
  @Override
  protected void crossCheck() {}

  /** The definitions (for docs and tooling). */
  public static ConfigDef configDef() {
    return new ConfigDef(DEF);
  }

  /** The settings reference as Markdown, generated from the definitions. */
  public static String toMarkdown() {
    return toMarkdown(DEF, "publish", ModelPublisherConfig.class, CLIENT_PASS_THROUGH);
  }

  /** As {@link ServiceConfig#producerConfigs()}; a send blocks 15 s at most unless set. */
  @Override
  public Map<String, Object> producerConfigs() {
    Map<String, Object> p = super.producerConfigs();
    p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
    return p;
  }

  /**
   * As {@link ServiceConfig#adminConfigs()}, with 10 s requests and 15 s calls unless either is
   * set (the call timeout must not be below the request timeout): a one-off command on an
   * unreachable cluster fails fast.
   */
  @Override
  public Map<String, Object> adminConfigs() {
    Map<String, Object> a = super.adminConfigs();
    if (!a.containsKey(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG)
        && !a.containsKey(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG)) {
      a.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
      a.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
    }
    return a;
  }

  /** The models topic, compacted, one partition (one ordered log per model). */
  @Override
  public List<NewTopic> requiredTopics() {
    return List.of(KafkaTopics.compacted(modelsTopic(), 1));
  }
}
