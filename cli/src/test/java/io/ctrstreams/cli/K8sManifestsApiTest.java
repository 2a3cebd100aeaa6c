package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import io.ctrstreams.recompressor.service.RecompressorConfig;
import io.ctrstreams.server.ServeConfig;
import io.ctrstreams.topology.TopologyConfig;
import io.ctrstreams.trainer.online.OnlineTrainerConfig;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1StatefulSet;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler;
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
      "PodDisruptionBudget", V1PodDisruptionBudget::validateJsonElement,
      "HorizontalPodAutoscaler", V2HorizontalPodAutoscaler::validateJsonElement);
  /**
   * Custom resources, parsed into the typed models of their projects (Strimzi, and fabric8's
   * Prometheus Operator models), which set unknown fields aside: any found fails.
   */
  private static final Map<String, Class<?>> CUSTOM = Map.of(
      "ServiceMonitor", io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor.class,
      "PrometheusRule", io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule.class,
      "KafkaTopic", io.strimzi.api.kafka.model.topic.KafkaTopic.class,
      "KafkaUser", io.strimzi.api.kafka.model.user.KafkaUser.class);
  private static final List<JsonNode> DOCS = new ArrayList<>();
  private static Path root;

  @BeforeAll
  static void load() throws Exception {
    root = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    while (root != null && !Files.isDirectory(root.resolve(".ci"))) {
      root = root.getParent();
    }
    assertThat(root).isNotNull();
    try (Stream<Path> files = Files.list(root.resolve("k8s/base"))) {
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
    int validated = validate(DOCS);
    assertThat(validated).isGreaterThanOrEqualTo(10);
    // the checks are strict: a misspelled field fails, in a built-in kind and in a custom resource
    JsonNode topic = DOCS.stream().filter(d -> d.path("kind").asText().equals("KafkaTopic")).findFirst().orElseThrow();
    List<String> unknown = new ArrayList<>();
    unknownFields(JSON.readValue(JSON.writeValueAsString(topic).replace("\"partitions\"", "\"partition\""),
        io.strimzi.api.kafka.model.topic.KafkaTopic.class), "KafkaTopic", unknown,
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>()));
    assertThat(unknown).containsExactly("KafkaTopic.Spec: [partition]");
    JsonNode sts = DOCS.stream().filter(d -> d.path("kind").asText().equals("StatefulSet")).findFirst().orElseThrow();
    String bad = JSON.writeValueAsString(sts).replace("\"containerPort\"", "\"containerPorts\"");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> V1StatefulSet.validateJsonElement(JsonParser.parseString(bad)))
        .hasMessageContaining("containerPorts");
  }

  /**
   * The overlays as {@code kubectl kustomize} renders them validate the same way; dev runs one
   * topology pod, prod three, on SASL_SSL with the password and truststore from Secrets, plus
   * the services' KafkaUser.
   */
  @Test
  void theOverlaysShouldRenderToValidManifests() throws Exception {
    java.io.File kubectl = ExternalTool.find("CTR_REQUIRE_KUBECTL", "kubectl");
    if (kubectl == null) {
      org.junit.jupiter.api.Assumptions.abort("kubectl not installed: overlays not rendered (.ci/run installs it)");
    }
    Map<String, List<JsonNode>> rendered = new java.util.HashMap<>();
    for (String overlay : List.of("dev", "prod")) {
      Process p = new ProcessBuilder(kubectl.getPath(), "kustomize", root.resolve("k8s/overlays/" + overlay).toString())
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String yaml = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertThat(p.waitFor()).as("kubectl kustomize k8s/overlays/" + overlay).isZero();
      List<JsonNode> docs = new ArrayList<>();
      try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
        while (it.hasNext()) {
          docs.add(it.next());
        }
      }
      assertThat(validate(docs)).as(overlay).isGreaterThanOrEqualTo(10);
      rendered.put(overlay, docs);
    }
    JsonNode devTopology = find(rendered.get("dev"), "StatefulSet", "ctr-topology");
    assertThat(devTopology.at("/spec/replicas").asInt()).isEqualTo(1);
    assertThat(devTopology.at("/metadata/namespace").asText()).isEqualTo("ctr-dev");
    JsonNode prodTopology = find(rendered.get("prod"), "StatefulSet", "ctr-topology");
    assertThat(prodTopology.at("/spec/replicas").asInt()).isEqualTo(3);
    for (String svc : List.of("ctr-topology", "ctr-trainer", "ctr-recompressor", "ctr-serve")) {
      JsonNode d = find(rendered.get("prod"), svc.equals("ctr-trainer") || svc.equals("ctr-serve") ? "Deployment" : "StatefulSet", svc);
      JsonNode c = d.at("/spec/template/spec/containers/0");
      assertThat(c.path("args").toString()).as(svc).contains("security.protocol=SASL_SSL")
          .contains("password=\\\"$(KAFKA_SASL_PASSWORD)\\\"").contains("ssl.truststore.location=/etc/ctr/truststore/ca.p12");
      assertThat(c.path("env").toString()).as(svc).contains("\"name\":\"ctr-streams\"");
      assertThat(c.at("/securityContext/readOnlyRootFilesystem").asBoolean()).as(svc + " keeps the base's security").isTrue();
    }
    JsonNode user = find(rendered.get("prod"), "KafkaUser", "ctr-streams");
    assertThat(user.at("/spec/authorization/acls").toString()).contains("transactionalId").contains("IdempotentWrite");
  }

  /** Walks a typed model, collecting the fields each object set aside as unknown (getAdditionalProperties). */
  private static void unknownFields(Object o, String path, List<String> out, java.util.Set<Object> seen) throws Exception {
    if (o == null || o instanceof String || o instanceof Number || o instanceof Boolean || o instanceof Enum<?>
        || !seen.add(o)) {
      return;
    }
    if (o instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        unknownFields(e.getValue(), path + "." + e.getKey(), out, seen);
      }
      return;
    }
    if (o instanceof java.util.Collection<?> c) {
      int i = 0;
      for (Object x : c) {
        unknownFields(x, path + "[" + i++ + "]", out, seen);
      }
      return;
    }
    if (!o.getClass().getName().startsWith("io.")) {
      return;
    }
    for (java.lang.reflect.Method m : o.getClass().getMethods()) {
      if (m.getParameterCount() != 0 || m.getDeclaringClass() == Object.class || !m.getName().startsWith("get")) {
        continue;
      }
      if (m.getName().equals("getAdditionalProperties")) {
        Map<?, ?> extra = (Map<?, ?>) m.invoke(o);
        if (extra != null && !extra.isEmpty()) {
          out.add(path + ": " + extra.keySet());
        }
      } else {
        unknownFields(m.invoke(o), path + "." + m.getName().substring(3), out, seen);
      }
    }
  }

  private static JsonNode find(List<JsonNode> docs, String kind, String name) {
    return docs.stream().filter(d -> d.path("kind").asText().equals(kind) && d.at("/metadata/name").asText().equals(name))
        .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name));
  }

  /** Validates every built-in kind of {@code docs}; returns how many were validated. */
  private static int validate(List<JsonNode> docs) throws Exception {
    int validated = 0;
    for (JsonNode d : docs) {
      String kind = d.path("kind").asText();
      String name = kind + " " + d.at("/metadata/name").asText();
      Validator validate = BUILT_IN.get(kind);
      if (validate == null) {
        assertThat(CUSTOM).as(name + " is a known custom resource").containsKey(kind);
        List<String> unknown = new ArrayList<>();
        unknownFields(JSON.treeToValue(d, CUSTOM.get(kind)), name, unknown,
            java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>()));
        assertThat(unknown).as(name + " fields its model does not define").isEmpty();
        validated++;
        continue;
      }
      try {
        validate.validate(JsonParser.parseString(JSON.writeValueAsString(d)));
      } catch (RuntimeException | java.io.IOException e) {
        throw new AssertionError(name + " does not validate: " + e.getMessage(), e);
      }
      validated++;
    }
    return validated;
  }

  @Test
  void everyServiceConfigMapShouldParseAsItsConfiguration() throws Exception {
    new TopologyConfig(properties("ctr-topology", "topology.properties"));
    new OnlineTrainerConfig(properties("ctr-trainer", "trainer.properties"));
    new RecompressorConfig(properties("ctr-recompressor", "recompressor.properties"));
    ServeConfig serve = new ServeConfig(properties("ctr-serve", "serve.properties"));
    assertThat(serve.modelFile()).as("serve follows the models topic").isEmpty();
  }

  /**
   * The serving pods' probes and scrape target are the server's real endpoints: the ConfigMap's
   * settings (with a model file instead of the topic) start a server whose readiness, liveness
   * and /metrics answer 200 on the container port the probes and the metrics Service name.
   */
  @Test
  void theServePodsProbesAndScrapeShouldHitTheServersEndpoints(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    JsonNode deployment = find(DOCS, "Deployment", "ctr-serve");
    JsonNode container = deployment.at("/spec/template/spec/containers/0");
    Properties p = properties("ctr-serve", "serve.properties");
    int httpPort = -1;
    for (JsonNode port : container.path("ports")) {
      if (port.path("name").asText().equals("http")) {
        httpPort = port.path("containerPort").asInt();
      }
    }
    assertThat(httpPort).as("the container's http port is server.port").isEqualTo(Integer.parseInt(p.getProperty("server.port")));
    assertThat(find(DOCS, "Service", "ctr-serve-metrics").at("/spec/ports/0/targetPort").asText()).isEqualTo("http");
    assertThat(container.at("/readinessProbe/httpGet/port").asText()).isEqualTo("http");

    io.ctrstreams.model.ModelSpec spec = io.ctrstreams.model.ModelSpec.builder().name("ctr")
        .architecture(io.ctrstreams.model.Architecture.DNN)
        .field(io.ctrstreams.model.FieldSpec.categorical("user", io.ctrstreams.model.FieldSpec.Role.CONTEXT, 0, 16, 4))
        .field(io.ctrstreams.model.FieldSpec.categorical("ad", io.ctrstreams.model.FieldSpec.Role.CANDIDATE, 0, 16, 4))
        .mlp(4).build();
    Path model = dir.resolve("ctr.ctrm");
    Files.write(model, io.ctrstreams.model.format.CtrmFormat.toBytes(
        io.ctrstreams.model.CtrModel.random(spec, 3).withVersion(1).toFile()));
    p.setProperty("model.file", model.toString());
    p.setProperty("server.port", "0");
    p.setProperty("server.grpc.port", "-1");
    p.setProperty("server.host", "127.0.0.1");
    p.setProperty("log.enabled", "false");
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    try (io.ctrstreams.server.ServeApp app = io.ctrstreams.server.ServeApp.start(new ServeConfig(p), "test")) {
      for (String path : List.of(container.at("/readinessProbe/httpGet/path").asText(),
          container.at("/livenessProbe/httpGet/path").asText(), container.at("/startupProbe/httpGet/path").asText(),
          find(DOCS, "ServiceMonitor", "ctr-serve").at("/spec/endpoints/0/path").asText())) {
        java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:" + app.port() + path)).GET().build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
        if (path.equals("/metrics")) {
          assertThat(r.body()).contains("ctr_");
        }
      }
    }
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
    assertThat(pods).isEqualTo(4);
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
