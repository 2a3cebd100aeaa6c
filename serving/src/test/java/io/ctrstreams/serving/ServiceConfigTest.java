package io.ctrstreams.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceConfigTest {

  @Test
  void shouldDeriveClientConfigsAsStreamsConfigDoes() {
    ModelPublisherConfig c = new ModelPublisherConfig(Map.of(
        "bootstrap.servers", "b1:9092,b2:9092",
        "security.protocol", "SASL_SSL", // every client knows it
        "sasl.jaas.config", "org.example.Login required;",
        "awsRoleArn", "arn:aws:iam::1:role/x", // no client knows it: a login module's option, to all
        "linger.ms", "20", // producer only
        "max.poll.records", "50", // consumer only
        "request.timeout.ms", "30000",
        "admin.request.timeout.ms", "10000", // wins for the admin client only
        "topic.models", "m"));
    assertThat(c.producerConfigs()).containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.jaas.config", "org.example.Login required;").containsEntry("awsRoleArn", "arn:aws:iam::1:role/x")
        .containsEntry("linger.ms", "20").containsEntry("request.timeout.ms", "30000")
        .containsEntry("bootstrap.servers", "b1:9092,b2:9092")
        .doesNotContainKeys("max.poll.records", "topic.models", "admin.request.timeout.ms");
    assertThat(c.consumerConfigs("g", "c-1")).containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("awsRoleArn", "arn:aws:iam::1:role/x").containsEntry("max.poll.records", "50")
        .containsEntry("group.id", "g").containsEntry("client.id", "c-1").containsEntry("enable.auto.commit", false)
        .containsEntry("auto.offset.reset", "earliest").doesNotContainKeys("linger.ms", "topic.models");
    assertThat(c.consumerConfigs(null, "c-2")).doesNotContainKey("group.id");
    assertThat(c.adminConfigs()).containsEntry("security.protocol", "SASL_SSL").containsEntry("request.timeout.ms", "10000")
        .doesNotContainKeys("linger.ms", "max.poll.records", "topic.models");
  }

  @Test
  void shouldRejectBadValuesNamingThem() {
    assertThatThrownBy(() -> new ModelPublisherConfig(Map.of("bootstrap.servers", "nohost")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("'nohost' is not host:port");
    assertThatThrownBy(() -> new ModelPublisherConfig(Map.of("producer.linger.ms", "soon")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("linger.ms").hasMessageContaining("soon");
    assertThatThrownBy(() -> new ModelPublisherConfig(Map.of("security.protocol", "SASL_TLS")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("security.protocol").hasMessageContaining("SASL_TLS");
  }

  @Test
  void shouldDeclareTheModelsTopicCompacted() {
    ModelPublisherConfig c = new ModelPublisherConfig(Map.of("topic.models", "m"));
    assertThat(c.requiredTopics()).singleElement().satisfies(t -> {
      assertThat(t.name()).isEqualTo("m");
      assertThat(t.configs()).containsEntry("cleanup.policy", "compact");
    });
  }

  @Test
  void shouldLoadAPropertiesFileWithOverridesOnTop(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("svc.properties");
    Files.writeString(f, "topic.models=m1\nsecurity.protocol=SSL\n");
    assertThat(ServiceConfig.properties(f, Map.of("topic.models", "m2")))
        .containsOnly(Map.entry("topic.models", "m2"), Map.entry("security.protocol", "SSL"));
    assertThat(ServiceConfig.properties(null, Map.of("a", "b"))).containsOnly(Map.entry("a", "b"));
  }
}
