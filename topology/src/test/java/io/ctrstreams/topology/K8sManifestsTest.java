package io.ctrstreams.topology;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The k8s/ manifests parse and wire what kafka-notes.md asks for. */
class K8sManifestsTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static List<JsonNode> docs;

  @BeforeAll
  static void load() throws IOException {
    Path root = Path.of(System.getProperty("user.dir"));
    while (root != null && !Files.isDirectory(root.resolve(".ci"))) {
      root = root.getParent();
    }
    assertThat(root).as("project root").isNotNull();
    docs = new ArrayList<>();
    try (Stream<Path> files = Files.list(root.resolve("k8s/base"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(f.toFile())) {
          while (it.hasNext()) {
            JsonNode n = it.next();
            if (n != null && !n.isNull() && !n.isMissingNode()) {
              assertThat(n.has("apiVersion")).as(f + " document has apiVersion").isTrue();
              assertThat(n.has("kind")).as(f + " document has kind").isTrue();
              docs.add(n);
            }
          }
        }
      }
    }
  }

  private static List<JsonNode> kind(String kind) {
    return docs.stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
  }

  private static JsonNode one(String kind, String name) {
    return docs.stream()
        .filter(d -> kind.equals(d.path("kind").asText()) && name.equals(d.path("metadata").path("name").asText()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
  }

  @Test
  void shouldRunStatefulSetWithStateVolumeStaticMembershipAndProbes() throws IOException {
    JsonNode sts = one("StatefulSet", "ctr-topology");
    JsonNode c = sts.at("/spec/template/spec/containers/0");
    Properties props = new Properties();
    props.load(new StringReader(one("ConfigMap", "ctr-topology").at("/data/topology.properties").asText()));
    String stateDir = props.getProperty("state.dir");
    assertThat(stateDir).isNotBlank();
    boolean mounted = false;
    for (JsonNode m : c.path("volumeMounts")) {
      mounted |= m.path("mountPath").asText().equals(stateDir) && m.path("name").asText().equals("state");
    }
    assertThat(mounted).as("volume 'state' mounted at state.dir " + stateDir).isTrue();
    assertThat(sts.at("/spec/volumeClaimTemplates/0/metadata/name").asText()).isEqualTo("state");
    assertThat(c.path("args").toString()).contains("group.instance.id=$(POD_NAME)");
    assertThat(c.at("/env/0/valueFrom/fieldRef/fieldPath").asText()).isEqualTo("metadata.name");
    assertThat(c.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/health/live");
    assertThat(c.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/health/ready");
    assertThat(c.at("/startupProbe/httpGet/path").asText()).isEqualTo("/health/live");
    assertThat(c.at("/ports/0/name").asText()).isEqualTo("metrics");
    // the properties must be a valid TopologyConfig (pass-through included)
    new TopologyConfig(props);
  }

  @Test
  void shouldExposeMetricsPortForEveryServiceMonitor() {
    List<String> monitors = kind("ServiceMonitor").stream().map(d -> d.at("/metadata/name").asText()).toList();
    assertThat(monitors).containsExactlyInAnyOrder("ctr-topology", "ctr-trainer", "ctr-recompressor", "ctr-serve");
    for (String name : monitors) {
      JsonNode sm = one("ServiceMonitor", name);
      JsonNode svc = one("Service", name + "-metrics");
      assertThat(svc.at("/spec/ports/0/name").asText()).as(name).isEqualTo("metrics");
      assertThat(sm.at("/spec/endpoints/0/port").asText()).as(name).isEqualTo("metrics");
      // exactly one Service matches, or every pod is scraped once per matching Service
      List<String> matching = kind("Service").stream().filter(s -> {
        boolean all = true;
        for (var it = sm.at("/spec/selector/matchLabels").fields(); it.hasNext(); ) {
          var e = it.next();
          all &= s.at("/metadata/labels").path(e.getKey()).asText().equals(e.getValue().asText());
        }
        return all;
      }).map(s -> s.at("/metadata/name").asText()).toList();
      assertThat(matching).as(name).containsExactly(name + "-metrics");
    }
  }

  @Test
  void shouldDeclareEveryTopicWithCompactedModels() {
    List<String> names = kind("KafkaTopic").stream().map(d -> d.at("/metadata/name").asText()).toList();
    assertThat(names).containsExactlyInAnyOrder("impressions", "clicks", "scores", "labeled", "models", "model-updates", "dlq",
        "model-deltas");
    assertThat(one("KafkaTopic", "models").at("/spec/config/cleanup.policy").asText()).isEqualTo("compact");
    assertThat(one("KafkaTopic", "model-deltas").at("/spec/config/cleanup.policy").asText()).isEqualTo("delete");
    for (JsonNode t : kind("KafkaTopic")) {
      assertThat(t.path("apiVersion").asText()).startsWith("kafka.strimzi.io/");
      assertThat(t.at("/metadata/labels/strimzi.io~1cluster").asText()).isNotBlank();
    }
  }
}
