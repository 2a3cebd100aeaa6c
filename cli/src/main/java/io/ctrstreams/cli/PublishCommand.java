package io.ctrstreams.cli;

import io.ctrstreams.CtrException;
import io.ctrstreams.broker.BrokerException;
import io.ctrstreams.broker.KafkaTopics;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.serving.ModelKeys;
import io.ctrstreams.serving.ModelPublisher;
import io.ctrstreams.serving.ServingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ctr publish}: validates a .ctrm model and publishes it to the compacted models topic. */
@Command(
    name = "publish",
    // Not mixinStandardHelpOptions: its --version (print version) would clash with the model
    // --version option the command needs; --help is declared below instead.
    description = {
      "Publish a .ctrm model to the compacted models topic in <=900 KiB chunks, manifest last;"
          + " scorers swap to it without a restart.",
      "Versions older than the previous one are tombstoned; --pin serves this version until"
          + " unpinned (pin only versions still retained: this one or the one before)."
    })
public final class PublishCommand implements Callable<Integer> {

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
  boolean help;

  @Option(names = "--model", required = true, paramLabel = "FILE", description = "The .ctrm file.")
  Path model;

  @Option(
      names = "--name",
      defaultValue = "ctr",
      description = "Model name on the topic (keys <name>/...). Default: ${DEFAULT-VALUE}, the"
          + " topology's default model.name.")
  String name;

  @Option(
      names = "--version",
      description = "Version to publish. Default: the file's version, or the published version + 1"
          + " when the file's is not newer.")
  Long version;

  @Option(
      names = "--bootstrap-servers",
      defaultValue = "localhost:9092",
      description = "Kafka bootstrap servers. Default: ${DEFAULT-VALUE}.")
  String bootstrapServers;

  @Option(names = "--topic", defaultValue = "models", description = "Models topic. Default: ${DEFAULT-VALUE}.")
  String topic;

  @Option(names = "--pin", description = "Pin the published version.")
  boolean pin;

  @Option(
      names = "--metadata",
      paramLabel = "KEY=VALUE",
      description = "Manifest metadata, repeatable (e.g. compressed-from=full-v3).")
  Map<String, String> metadata = new LinkedHashMap<>();

  @Option(
      names = "--no-create-topic",
      description = "Do not create the models topic when it is missing (by default it is created"
          + " compacted, 1 partition).")
  boolean noCreateTopic;

  @Override
  public Integer call() {
    byte[] bytes;
    CtrModel loaded;
    try {
      ModelKeys.checkModelName(name);
      bytes = Files.readAllBytes(model);
      loaded = CtrModel.fromFile(CtrmFormat.read(bytes));
    } catch (IOException e) {
      System.err.println("ctr publish: cannot read " + model + ": " + e.getMessage());
      return 1;
    } catch (CtrException | IllegalArgumentException e) {
      System.err.println("ctr publish: " + model + " is not a loadable model: " + e.getMessage());
      return 1;
    }
    Map<String, Object> client = new HashMap<>();
    client.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    try {
      if (!noCreateTopic) {
        Map<String, Object> adminConfig = new HashMap<>(client);
        adminConfig.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        adminConfig.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        try (Admin admin = Admin.create(adminConfig)) {
          KafkaTopics.ensure(admin, List.of(KafkaTopics.compacted(topic, 1)), 15_000);
        }
      }
      client.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
      try (ModelPublisher publisher = new ModelPublisher(client, topic)) {
        long published = publisher.topicState(name).newestVersion();
        long v = version != null ? version : Math.max(loaded.version(), published + 1);
        Map<String, String> meta = new LinkedHashMap<>(loaded.metadata());
        meta.putAll(metadata);
        ModelPublisher.PublishResult r = publisher.publish(name, v, bytes, meta);
        System.out.printf(
            "published %s v%d to %s on %s: %d bytes in %d chunks, sha256 %s%n",
            name, r.version(), topic, bootstrapServers, r.totalBytes(), r.chunkCount(), r.sha256());
        if (!r.retiredVersions().isEmpty()) {
          System.out.println("tombstoned versions " + r.retiredVersions());
        }
        if (pin) {
          publisher.pin(name, v);
          System.out.printf("pinned %s to v%d%n", name, v);
        }
      }
      return 0;
    } catch (ServingException | BrokerException | IllegalArgumentException e) {
      System.err.println("ctr publish: " + e.getMessage());
      return 1;
    } catch (org.apache.kafka.common.KafkaException e) {
      System.err.println("ctr publish: Kafka at " + bootstrapServers + " failed: " + e.getMessage());
      return 1;
    }
  }
}
