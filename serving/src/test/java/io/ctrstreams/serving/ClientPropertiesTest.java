package io.ctrstreams.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ClientPropertiesTest {
  @Test
  void shouldPassEverythingButOurOwnSettingsAndSetTheBootstrapServers() {
    Map<String, Object> originals = Map.of("security.protocol", "SASL_SSL", "request.timeout.ms", 5000,
        "topic.models", "models", "bootstrap.servers", "ignored:1");
    Map<String, Object> p = ClientProperties.passThrough(originals, Set.of("topic.models", "bootstrap.servers"),
        List.of("b1:9092", "b2:9092"));
    assertThat(p).containsOnly(Map.entry("security.protocol", "SASL_SSL"), Map.entry("request.timeout.ms", 5000),
        Map.entry("bootstrap.servers", "b1:9092,b2:9092"));
  }
}
