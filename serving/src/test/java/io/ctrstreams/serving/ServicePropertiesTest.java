package io.ctrstreams.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ServicePropertiesTest {
  @Test
  void shouldPassEverythingButOurOwnSettingsAndSetTheBootstrapServers() {
    Map<String, Object> originals = Map.of("security.protocol", "SASL_SSL", "request.timeout.ms", 5000,
        "topic.models", "models", "bootstrap.servers", "ignored:1");
    Map<String, Object> p = ServiceProperties.passThrough(originals, Set.of("topic.models", "bootstrap.servers"),
        List.of("b1:9092", "b2:9092"));
    assertThat(p).containsOnly(Map.entry("security.protocol", "SASL_SSL"), Map.entry("request.timeout.ms", 5000),
        Map.entry("bootstrap.servers", "b1:9092,b2:9092"));
  }

  @Test
  void shouldLoadAPropertiesFileWithOverridesOnTop(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws java.io.IOException {
    java.nio.file.Path f = dir.resolve("svc.properties");
    java.nio.file.Files.writeString(f, "topic.models=m1\nsecurity.protocol=SSL\n");
    assertThat(ServiceProperties.load(f, Map.of("topic.models", "m2")))
        .containsOnly(Map.entry("topic.models", "m2"), Map.entry("security.protocol", "SSL"));
    assertThat(ServiceProperties.load(null, Map.of("a", "b"))).containsOnly(Map.entry("a", "b"));
  }
}
