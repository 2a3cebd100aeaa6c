package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.broker.EmbeddedKafkaBroker;
import io.ctrstreams.broker.testing.BrokerTestSupport;
import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.FieldSpec.Role;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.serving.ModelChunkAssembler;
import io.ctrstreams.serving.ModelRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Tag("integration")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PublishCommandIT {

  static {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
  }

  private static EmbeddedKafkaBroker broker;

  @BeforeAll
  static void startBroker() {
    broker = BrokerTestSupport.startBroker();
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  private static ModelSpec spec() {
    return ModelSpec.builder()
        .name("cli-test")
        .architecture(Architecture.DNN)
        .field(FieldSpec.categorical("site", Role.CONTEXT, 3, 4, 4))
        .field(FieldSpec.categorical("ad", Role.CANDIDATE, 0, 16, 5))
        .mlp(8)
        .build();
  }

  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      CommandLine cl = Ctr.commandLine();
      StringWriter help = new StringWriter();
      cl.setOut(new PrintWriter(help, true));
      int exit = cl.execute(args);
      return new Run(exit, out.toString(StandardCharsets.UTF_8) + help,
          err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void shouldPublishAndPinAModelThatARegistryThenServes(@TempDir Path dir) throws Exception {
    String topic = BrokerTestSupport.uniqueName("models");
    Path file = dir.resolve("m.ctrm");
    CtrmFormat.write(CtrModel.random(spec(), 11).withVersion(4).toFile(), file);

    Run r = run("publish", "--model", file.toString(), "--name", "ctr", "--topic", topic,
        "--bootstrap-servers", broker.bootstrapServers(), "--pin",
        "--metadata", "compressed-from=full-v1");

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("published ctr v4 to " + topic).contains("pinned ctr to v4");

    ModelChunkAssembler assembler = new ModelChunkAssembler();
    ModelRegistry registry = new ModelRegistry("ctr");
    for (ConsumerRecord<byte[], byte[]> rec : BrokerTestSupport.readAll(broker.bootstrapServers(), topic)) {
      registry.apply(assembler.accept(new String(rec.key(), StandardCharsets.UTF_8), rec.value()));
    }
    assertThat(registry.current().version()).isEqualTo(4);
    assertThat(registry.pinnedVersion()).isEqualTo(4);
    assertThat(registry.current().compressedFrom()).contains("full-v1");

    // Publishing the same file again picks the next version.
    Run again = run("publish", "--model", file.toString(), "--name", "ctr", "--topic", topic,
        "--bootstrap-servers", broker.bootstrapServers());
    assertThat(again.exit()).as(again.err()).isZero();
    assertThat(again.out()).contains("published ctr v5");
  }

  @Test
  void shouldTakeTheClusterAndItsClientSettingsFromAConfigFile(@TempDir Path dir) throws Exception {
    String topic = BrokerTestSupport.uniqueName("models");
    Path file = dir.resolve("m.ctrm");
    CtrmFormat.write(CtrModel.random(spec(), 12).withVersion(2).toFile(), file);
    Path config = dir.resolve("client.properties");
    Files.writeString(config, "bootstrap.servers=" + broker.bootstrapServers() + "\nsecurity.protocol=PLAINTEXT\n"
        + "topic.models=" + topic + "\nproducer.client.id=ctr-publish-it\n");

    Run r = run("publish", "--model", file.toString(), "--config", config.toString(), "--set", "model.name=ctr-cfg");

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("published ctr-cfg v2 to " + topic + " on " + broker.bootstrapServers());
  }

  @Test
  void shouldRefuseADifferentInputSchemaWithoutForce(@TempDir Path dir) throws Exception {
    String topic = BrokerTestSupport.uniqueName("models");
    Path first = dir.resolve("a.ctrm");
    CtrmFormat.write(CtrModel.random(spec(), 13).withVersion(1).toFile(), first);
    Path other = dir.resolve("b.ctrm");
    ModelSpec otherSpec = ModelSpec.builder().name("cli-test").architecture(Architecture.DNN)
        .field(FieldSpec.categorical("site", Role.CONTEXT, 3, 4, 4))
        .field(FieldSpec.categorical("creative", Role.CANDIDATE, 0, 16, 5))
        .mlp(8).build();
    CtrmFormat.write(CtrModel.random(otherSpec, 14).withVersion(2).toFile(), other);
    String[] common = {"--name", "ctr", "--topic", topic, "--bootstrap-servers", broker.bootstrapServers()};

    assertThat(run(concat(new String[] {"publish", "--model", first.toString()}, common)).exit()).isZero();
    Run refused = run(concat(new String[] {"publish", "--model", other.toString()}, common));
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("ctr publish: model ctr v2 changes the input schema of the published v1"
        + " (input field 1 is ad in the served model, creative in the new one)").contains("--force");
    Run forced = run(concat(new String[] {"publish", "--model", other.toString(), "--force"}, common));
    assertThat(forced.exit()).as(forced.err()).isZero();
    assertThat(forced.out()).contains("published ctr v2");
  }

  @Test
  void modelsShouldListRollBackUnpinAndDescribeWhatTheTopicHolds(@TempDir Path dir) throws Exception {
    String topic = BrokerTestSupport.uniqueName("models");
    String[] common = {"--name", "ctr", "--topic", topic, "--bootstrap-servers", broker.bootstrapServers()};
    for (int v = 1; v <= 3; v++) {
      Path file = dir.resolve("m" + v + ".ctrm");
      CtrmFormat.write(CtrModel.random(spec(), 20 + v).withVersion(v).toFile(), file);
      Run r = run(concat(new String[] {"publish", "--model", file.toString(), "--metadata", "compressed-from=full-v" + v},
          common));
      assertThat(r.exit()).as(r.err()).isZero();
    }
    Run list = run(concat(new String[] {"models", "list"}, common));
    assertThat(list.exit()).as(list.err()).isZero();
    // v1 was tombstoned by v3's publish: v2 (the one before) and v3 (live) are retained
    assertThat(list.out()).contains("model ctr: 2 version(s), newest v3, not pinned")
        .containsPattern("v2 .* full-v2 .* 2 +\\R")
        .containsPattern("v3 .* full-v3 .* 2  live \\(served\\)");

    Run rollback = run(concat(new String[] {"models", "rollback"}, common));
    assertThat(rollback.exit()).as(rollback.err()).isZero();
    assertThat(rollback.out()).contains("rolled ctr back from v3 to v2");
    assertThat(servedVersion(topic)).isEqualTo(2);
    assertThat(run(concat(new String[] {"models", "list"}, common)).out())
        .contains("pinned to v2").containsPattern("v2 .* pinned \\(served\\)").containsPattern("v3 .* newest");

    Run none = run(concat(new String[] {"models", "rollback"}, common));
    assertThat(none.exit()).isEqualTo(1);
    assertThat(none.err()).contains("ctr models rollback: model ctr retains no version older than the served v2");
    Run missing = run(concat(new String[] {"models", "pin", "--version", "1"}, common));
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err()).contains("cannot pin model ctr to version 1: the topic retains only versions [2, 3]");

    Run unpin = run(concat(new String[] {"models", "unpin"}, common));
    assertThat(unpin.exit()).as(unpin.err()).isZero();
    assertThat(unpin.out()).contains("unpinned ctr (was v2)");
    assertThat(servedVersion(topic)).isEqualTo(3);

    Run describe = run(concat(new String[] {"models", "describe", "--version", "3"}, common));
    assertThat(describe.exit()).as(describe.err()).isZero();
    assertThat(describe.out()).contains("model ctr v3").contains("compressed-from = full-v3")
        .contains("inputs    2 fields: [site (CONTEXT/CATEGORICAL), ad (CANDIDATE/CATEGORICAL)]");
    assertThat(run("models", "list", "--help").out()).contains("--config");
  }

  /** The version a registry serves after replaying {@code topic}. */
  private static long servedVersion(String topic) throws Exception {
    ModelChunkAssembler assembler = new ModelChunkAssembler();
    ModelRegistry registry = new ModelRegistry("ctr");
    for (ConsumerRecord<byte[], byte[]> rec : BrokerTestSupport.readAll(broker.bootstrapServers(), topic)) {
      registry.apply(assembler.accept(new String(rec.key(), StandardCharsets.UTF_8), rec.value()));
    }
    return registry.current().version();
  }

  private static String[] concat(String[] a, String[] b) {
    String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  @Test
  void shouldRefuseAFileThatIsNotAModel(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("junk.ctrm");
    Files.write(file, new byte[] {1, 2, 3});

    Run r = run("publish", "--model", file.toString(), "--bootstrap-servers", broker.bootstrapServers(),
        "--topic", BrokerTestSupport.uniqueName("models"));

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains(file + " is not a loadable model");
  }

  @Test
  void shouldPrintHelpForBrokerAndPublish() {
    Run help = run("publish", "--help");
    assertThat(help.out()).as("exit %d, err %s", help.exit(), help.err()).contains("--bootstrap-servers").contains("--pin");
    assertThat(run("broker", "--help").out()).contains("--port").contains("--log-dir");
  }
}
