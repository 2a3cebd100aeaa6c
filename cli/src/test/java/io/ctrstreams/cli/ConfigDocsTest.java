package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.recompressor.service.RecompressorConfig;
import io.ctrstreams.server.ServeConfig;
import io.ctrstreams.serving.ModelPublisherConfig;
import io.ctrstreams.topology.TopologyConfig;
import io.ctrstreams.trainer.online.OnlineTrainerConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The settings of every service: validated, documented, and the checked-in docs up to date. */
class ConfigDocsTest {

  /** The services with a checked-in docs/{name}-config.md. */
  static Stream<Arguments> documentedServices() {
    return Stream.of(
        Arguments.of("topology", TopologyConfig.configDef(), TopologyConfig.toMarkdown()),
        Arguments.of("recompressor", RecompressorConfig.configDef(), RecompressorConfig.toMarkdown()),
        Arguments.of("trainer", OnlineTrainerConfig.configDef(), OnlineTrainerConfig.toMarkdown()),
        Arguments.of("serve", ServeConfig.configDef(), ServeConfig.toMarkdown()));
  }

  static Stream<Arguments> services() {
    return Stream.concat(documentedServices(),
        Stream.of(Arguments.of("publish", ModelPublisherConfig.configDef(), ModelPublisherConfig.toMarkdown())));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("services")
  void shouldValidateEveryNumericSettingAndDocumentEverySetting(String service, ConfigDef def, String markdown) {
    for (ConfigDef.ConfigKey k : def.configKeys().values()) {
      assertThat(k.documentation).as(k.name).isNotBlank();
      if (k.type == ConfigDef.Type.INT || k.type == ConfigDef.Type.LONG || k.type == ConfigDef.Type.SHORT
          || k.type == ConfigDef.Type.DOUBLE) {
        assertThat(k.validator).as("validator of " + k.name).isNotNull();
      }
      assertThat(markdown).contains("`" + k.name + "`");
    }
    assertThat(def.configKeys().get("bootstrap.servers").validator).hasToString("non-empty list of host:port");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("documentedServices")
  void shouldKeepCheckedInConfigDocsInSyncWithTheDefinitions(String service, ConfigDef def, String markdown)
      throws Exception {
    Path root = Path.of(System.getProperty("user.dir"));
    while (root != null && !Files.isDirectory(root.resolve(".ci"))) {
      root = root.getParent();
    }
    assertThat(root).as("project root (dir holding .ci/)").isNotNull();
    Path doc = root.resolve("docs/" + service + "-config.md");
    if (Boolean.getBoolean("ctr.regenerate.docs")) {
      // mvn -pl cli -am test -Dtest=ConfigDocsTest -Dsurefire.failIfNoSpecifiedTests=false -Dctr.regenerate.docs=true
      Files.writeString(doc, markdown, StandardCharsets.UTF_8);
    }
    assertThat(doc).exists();
    assertThat(Files.readString(doc, StandardCharsets.UTF_8))
        .as("docs/" + service + "-config.md is stale: regenerate with `./ctr " + service
            + " --print-config-docs > docs/" + service + "-config.md`")
        .isEqualTo(markdown);
  }
}
