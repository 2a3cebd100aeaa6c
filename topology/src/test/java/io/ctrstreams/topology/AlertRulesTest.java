package io.ctrstreams.topology;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * monitoring/ctr-rules.yml: valid for promtool, every alert firing and quiet as its unit tests
 * (ctr-rules.test.yml) say, the PrometheusRule in k8s/ holding the same groups, and every metric
 * it reads exported by some service.
 */
class AlertRulesTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static Path root;

  @BeforeAll
  static void findRoot() {
    root = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    while (root != null && !Files.isDirectory(root.resolve(".ci"))) {
      root = root.getParent();
    }
    assertThat(root).as("project root").isNotNull();
  }

  private static String promtool(String... args) throws Exception {
    File promtool = MetricsNamingTest.findOnPath("promtool");
    if (promtool == null) {
      assertThat(System.getenv("CTR_REQUIRE_PROMTOOL")).as(MetricsNamingTest.NO_PROMTOOL + ", and CTR_REQUIRE_PROMTOOL is set")
          .isNull();
      Assumptions.abort(MetricsNamingTest.NO_PROMTOOL);
    }
    String[] cmd = new String[args.length + 1];
    cmd[0] = promtool.getPath();
    System.arraycopy(args, 0, cmd, 1, args.length);
    Process p = new ProcessBuilder(cmd).directory(root.resolve("monitoring").toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("promtool " + String.join(" ", args) + ":\n" + out).isZero();
    return out;
  }

  @Test
  void rulesShouldPassPromtoolCheckAndTheirUnitTests() throws Exception {
    assertThat(promtool("check", "rules", "ctr-rules.yml")).contains("SUCCESS");
    assertThat(promtool("test", "rules", "ctr-rules.test.yml")).contains("SUCCESS");
  }

  @Test
  void theOperatorRuleShouldHoldTheSameGroups() throws Exception {
    JsonNode plain = YAML.readTree(root.resolve("monitoring/ctr-rules.yml").toFile());
    JsonNode operator = YAML.readTree(root.resolve("k8s/base/prometheusrule.yaml").toFile());
    assertThat(operator.path("kind").asText()).isEqualTo("PrometheusRule");
    assertThat(operator.at("/spec/groups")).isEqualTo(plain.path("groups"));
    assertThat(Files.readString(root.resolve("k8s/base/kustomization.yaml"))).contains("prometheusrule.yaml");
  }

  @Test
  void everyMetricTheRulesReadShouldBeExported() throws Exception {
    String rules = Files.readString(root.resolve("monitoring/ctr-rules.yml"));
    Set<String> used = new TreeSet<>();
    Matcher m = Pattern.compile("\\b(ctr_[a-z0-9_]+)").matcher(rules);
    while (m.find()) {
      used.add(m.group(1));
    }
    assertThat(used).contains("ctr_streams_running", "ctr_input_partitions_stalled");
    StringBuilder sources = new StringBuilder();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/")).toList()) {
        sources.append(Files.readString(f));
      }
    }
    for (String name : used) {
      String family = name.replaceAll("_(bucket|count|sum)$", "");
      String noTotal = family.replaceAll("_total$", "");
      assertThat(sources.indexOf("\"" + family + "\"") >= 0 || sources.indexOf("\"" + noTotal + "\"") >= 0)
          .as("metric " + name + " is exported by some service (a \"" + family + "\" name in main code)").isTrue();
    }
  }
}
