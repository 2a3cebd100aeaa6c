package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.serving.ModelPublisherConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PublishCommandTest {

  @Test
  void shouldTakeClientSecuritySettingsFromTheConfigFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("client.properties");
    Files.writeString(file, String.join("\n",
        "bootstrap.servers=kafka-1.example:9093,kafka-2.example:9093",
        "security.protocol=SASL_SSL",
        "sasl.mechanism=SCRAM-SHA-512",
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p\";",
        "ssl.truststore.location=/etc/ctr/truststore.p12",
        "topic.models=models-a",
        "producer.linger.ms=5"));
    PublishCommand cmd = new PublishCommand();
    new CommandLine(cmd).parseArgs("--model", "m.ctrm", "--config", file.toString(), "--name", "ctr-a",
        "--set", "request.timeout.ms=20000");

    ModelPublisherConfig c = cmd.config();

    assertThat(c.modelName()).isEqualTo("ctr-a");
    assertThat(c.modelsTopic()).isEqualTo("models-a");
    assertThat(c.producerConfigs())
        .containsEntry("bootstrap.servers", "kafka-1.example:9093,kafka-2.example:9093")
        .containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry("ssl.truststore.location", "/etc/ctr/truststore.p12")
        .containsEntry("linger.ms", "5").containsEntry("request.timeout.ms", "20000")
        .containsEntry("max.block.ms", 15_000)
        .doesNotContainKeys("topic.models", "model.name");
    assertThat((String) c.producerConfigs().get("sasl.jaas.config")).contains("ScramLoginModule");
    assertThat(c.adminConfigs()).containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("request.timeout.ms", "20000").doesNotContainKey("linger.ms");
  }

  @Test
  void shouldRejectABadValueNamingItBeforeConnecting(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("client.properties");
    Files.writeString(file, "security.protocol=SASL_TLS\n");
    CommandLine cl = Ctr.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err, true));

    int code = cl.execute("publish", "--model", dir.resolve("m.ctrm").toString(), "--config", file.toString());

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("ctr publish:").contains("security.protocol").contains("SASL_TLS");
  }

  @Test
  void shouldRejectAnUnreadableConfigFileNamingIt(@TempDir Path dir) {
    CommandLine cl = Ctr.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err, true));
    Path missing = dir.resolve("missing.properties");

    assertThat(cl.execute("publish", "--model", "m.ctrm", "--config", missing.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("cannot read " + missing);
  }
}
