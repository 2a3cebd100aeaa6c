package io.ctrstreams.serving;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * What every ctr-streams service config (topology, recompressor, trainer; Kafka's ConfigDef
 * style, STYLE.md) shares: where its properties come from ({@link #load}) and the pass-through
 * rule ({@link #passThrough}): a property that is not one of the service's own goes unchanged to
 * its Kafka clients (security, timeouts, Streams settings), and the bootstrap servers always do.
 */
public final class ServiceProperties {
  private ServiceProperties() {}

  /** The properties of {@code file} (may be null: none), then {@code overrides} on top. */
  public static Map<String, Object> load(Path file, Map<String, String> overrides) throws IOException {
    Properties p = new Properties();
    if (file != null) {
      try (InputStream in = Files.newInputStream(file)) {
        p.load(in);
      }
    }
    Map<String, Object> m = new HashMap<>();
    p.forEach((k, v) -> m.put(String.valueOf(k), v));
    m.putAll(overrides);
    return m;
  }

  /**
   * Every entry of {@code originals} whose key is not in {@code ours}, plus {@code
   * bootstrap.servers} joined from {@code bootstrapServers}.
   */
  public static Map<String, Object> passThrough(Map<String, Object> originals, Set<String> ours,
      List<String> bootstrapServers) {
    Map<String, Object> p = new HashMap<>();
    for (Map.Entry<String, Object> e : originals.entrySet()) {
      if (!ours.contains(e.getKey())) {
        p.put(e.getKey(), e.getValue());
      }
    }
    p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, String.join(",", bootstrapServers));
    return p;
  }
}
