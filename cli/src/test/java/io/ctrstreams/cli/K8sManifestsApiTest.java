package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import io.ctrstreams.recompressor.service.RecompressorConfig;
import io.ctrstreams.topology.TopologyConfig;
import io.ctrstreams.trainer.online.OnlineTrainerConfig;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1StatefulSet;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every k8s/ manifest of a built-in kind validates against the Kubernetes API models of the
 * official Java client (unknown or misspelled fields and missing required ones fail), every
 * ConfigMap of a service parses as that service's configuration, and every pod runs as non-root
 * on a read-only root filesystem.
 */
class K8sManifestsApiTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();
  /** A model class's {@code validateJsonElement}. */
  @FunctionalInterface
  private interface Validator {
    void validate(JsonElement json) throws java.io.IOException;
  }

  private static final Map<String, Validator> BUILT_IN = Map.of(
      "ConfigMap", V1ConfigMap::validateJsonElement,
      "Service", V1Service::validateJsonElement,
      "StatefulSet", V1StatefulSet::validateJsonElement,
      "Deployment", V1Deployment::validateJsonElement,
      "PodDisruptionBudget", V1PodDisruptionBudget::validateJsonElement);
  /** Custom resources (Prometheus Operator, Strimzi): checked for shape in K8sManifestsTest. */
  private static final List<String> CUSTOM = List.of("ServiceMonitor", "PrometheusRule", "KafkaTopic");
  private static final List<JsonNode> DOCS = new ArrayList<>();

  @BeforeAll
  static void load() throws Exception {
    Path root = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    while (root != null && !Files.isDirectory(root.resolve(".ci"))) {
      root = root.getParent();
    }
    assertThat(root).isNotNull();
    try (Stream<Path> files = Files.list(root.resolve("k8s"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml") && !p.endsWith("kustomization.yaml")).sorted()
          .toList()) {
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(f.toFile())) {
          while (it.hasNext()) {
            JsonNode n = it.next();
            if (n != null && !n.isNull() && !n.isMissingNode()) {
              DOCS.add(n);
            }
          }
        }
      }
    }
  }

  @Test
  void everyBuiltInKindShouldValidateAgainstTheApiModels() throws Exception {
    int validated = 0;
    for (JsonNode d : DOCS) {
      String kind = d.path("kind").asText();
      String name = kind + " " + d.at("/metadata/name").asText();
      Validator validate = BUILT_IN.get(kind);
      if (validate == null) {
        assertThat(CUSTOM).as(name + " is a known custom resource").contains(kind);
        continue;
      }
      try {
        validate.validate(JsonParser.parseString(JSON.writeValueAsString(d)));
      } catch (RuntimeException | java.io.IOException e) {
        throw new AssertionError(name + " does not validate: " + e.getMessage(), e);
      }
      validated++;
    }
    assertThat(validated).isGreaterThanOrEqualTo(10);
    // the check is strict: a misspelled field fails
    JsonNode sts = DOCS.stream().filter(d -> d.path("kind").asText().equals("StatefulSet")).findFirst().orElseThrow();
    String bad = JSON.writeValueAsString(sts).replace("\"containerPort\"", "\"containerPorts\"");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> V1StatefulSet.validateJsonElement(JsonParser.parseString(bad)))
        .hasMessageContaining("containerPorts");
  }

  @Test
  void everyServiceConfigMapShouldParseAsItsConfiguration() throws Exception {
    new TopologyConfig(properties("ctr-topology", "topology.properties"));
    new OnlineTrainerConfig(properties("ctr-trainer", "trainer.properties"));
    new RecompressorConfig(properties("ctr-recompressor", "recompressor.properties"));
  }

  @Test
  void everyPodShouldRunAsNonRootOnAReadOnlyRoot() {
    int pods = 0;
    for (JsonNode d : DOCS) {
      String kind = d.path("kind").asText();
      if (!kind.equals("StatefulSet") && !kind.equals("Deployment")) {
        continue;
      }
      pods++;
      JsonNode spec = d.at("/spec/template/spec");
      String name = d.at("/metadata/name").asText();
      assertThat(spec.at("/securityContext/runAsNonRoot").asBoolean()).as(name).isTrue();
      for (JsonNode c : spec.path("containers")) {
        assertThat(c.at("/securityContext/readOnlyRootFilesystem").asBoolean()).as(name).isTrue();
        assertThat(c.at("/securityContext/allowPrivilegeEscalation").asBoolean(true)).as(name).isFalse();
        boolean tmp = false;
        for (JsonNode m : c.path("volumeMounts")) {
          tmp |= m.path("mountPath").asText().equals("/tmp");
        }
        assertThat(tmp).as(name + " mounts a writable /tmp (native libraries unpack there)").isTrue();
      }
    }
    assertThat(pods).isEqualTo(3);
  }

  private static Properties properties(String configMap, String key) throws Exception {
    JsonNode cm = DOCS.stream().filter(d -> d.path("kind").asText().equals("ConfigMap")
        && d.at("/metadata/name").asText().equals(configMap)).findFirst().orElseThrow();
    Properties p = new Properties();
    p.load(new StringReader(cm.path("data").path(key).asText()));
    assertThat(p).as(configMap).isNotEmpty();
    return p;
  }
}
