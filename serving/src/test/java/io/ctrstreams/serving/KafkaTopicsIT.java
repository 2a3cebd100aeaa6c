package io.ctrstreams.serving;

import static io.ctrstreams.broker.testing.BrokerTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.broker.EmbeddedKafkaBroker;
import io.ctrstreams.broker.testing.BrokerTestSupport;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Tag("integration")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaTopicsIT {

  private static EmbeddedKafkaBroker broker;

  @BeforeAll
  static void startBroker() {
    broker = BrokerTestSupport.startBroker();
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  private static Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
  }

  private static String cleanupPolicy(Admin admin, String topic) throws Exception {
    ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    Config config = admin.describeConfigs(List.of(res)).all().get().get(res);
    return config.get("cleanup.policy").value();
  }

  @Test
  void shouldCreateTopicsIdempotentlyWithTheirConfigs() throws Exception {
    String compacted = uniqueName("models");
    String plain = uniqueName("plain");
    try (Admin admin = admin()) {
      Set<String> first =
          KafkaTopics.ensure(
              admin, List.of(KafkaTopics.compacted(compacted, 1), KafkaTopics.plain(plain, 2)));
      Set<String> second =
          KafkaTopics.ensure(
              admin, List.of(KafkaTopics.compacted(compacted, 1), KafkaTopics.plain(plain, 2)));

      assertThat(first).containsExactlyInAnyOrder(compacted, plain);
      assertThat(second).isEmpty();
      assertThat(admin.describeTopics(List.of(plain)).allTopicNames().get().get(plain).partitions())
          .hasSize(2);
      assertThat(cleanupPolicy(admin, compacted)).isEqualTo("compact");
    }
  }

  @Test
  void shouldCreateWhatEveryServiceRequiresOnceThroughItsAdminConfigs() throws Exception {
    String models = uniqueName("models");
    List<ModelPublisherConfig> services = List.of(
        new ModelPublisherConfig(Map.of("bootstrap.servers", broker.bootstrapServers(), "topic.models", models,
            "admin.request.timeout.ms", "20000")),
        new ModelPublisherConfig(Map.of("bootstrap.servers", broker.bootstrapServers(), "topic.models", models,
            "model.name", "other")));

    assertThat(KafkaTopics.ensure(services)).containsExactly(models);
    assertThat(KafkaTopics.ensure(services)).isEmpty();
    try (Admin admin = admin()) {
      assertThat(cleanupPolicy(admin, models)).isEqualTo("compact");
    }
  }
}
