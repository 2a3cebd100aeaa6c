package io.ctrstreams.serving;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * The pass-through rule every ctr-streams service config follows (STYLE: Kafka's ConfigDef
 * style): a property that is not one of the service's own goes unchanged to its Kafka clients
 * (security, timeouts, Streams settings), and the bootstrap servers always do.
 */
public final class ClientProperties {
  private ClientProperties() {}

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
