package io.ctrstreams.cli;

import io.ctrstreams.CtrException;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.serving.KafkaTopics;
import io.ctrstreams.serving.ModelKeys;
import io.ctrstreams.serving.ModelPublisher;
import io.ctrstreams.serving.ModelPublisherConfig;
import io.ctrstreams.serving.ServingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ctr publish}: validates a .ctrm model and publishes it to the compacted models topic. */
@Command(
    name = "publish",
    // Not mixinStandardHelpOptions: its --version (print version) would clash with the model
    // --version option the command needs; --help is declared below instead.
    description = {
      "Publish a .ctrm model to the compacted models topic in <=900 KiB chunks, manifest last;"
          + " scorers swap to it without a restart.",
      "Versions older than the previous one are tombstoned (never the newest one of other input"
          + " fields); --pin serves this version until unpinned (pin only versions still retained:"
          + " this one or the one before).",
      "A model whose input fields differ from the published one's is refused without --force."
    })
public final class PublishCommand implements Callable<Integer> {

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
  boolean help;

  @Option(names = "--model", required = true, paramLabel = "FILE", description = "The .ctrm file.")
  Path model;

  @Option(
      names = "--name",
      description = "Model name on the topic (keys <name>/...), setting model.name. Default: ctr, the"
          + " topology's default model.name.")
  String name;

  @Option(
      names = "--version",
      description = "Version to publish. Default: the file's version, or the published version + 1"
          + " when the file's is not newer.")
  Long version;

  @Option(names = "--topic", description = "Models topic, setting topic.models. Default: models.")
  String topic;

  @Option(names = "--pin", description = "Pin the published version.")
  boolean pin;

  @Option(
      names = "--force",
      description = "Publish even when the model's input fields differ from the newest published"
          + " version's. Scorers reject it unless configured for the new inputs (model.expected.spec);"
          + " the newest version of the old inputs stays on the topic for them.")
  boolean force;

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

  @Mixin ConfigOptions options;

  /** The settings of this invocation (picocli has parsed the arguments). */
  ModelPublisherConfig config() {
    return options.load(ModelPublisherConfig::new,
        ModelPublisherConfig.MODELS_TOPIC_CONFIG, topic, ModelPublisherConfig.MODEL_NAME_CONFIG, name);
  }

  @Override
  public Integer call() {
    if (options.printedDocs(ModelPublisherConfig.toMarkdown())) {
      return 0;
    }
    ModelPublisherConfig config = config();
    String modelName = config.modelName();
    String bootstrap = String.join(",", config.bootstrapServers());
    byte[] bytes;
    CtrModel loaded;
    try {
      ModelKeys.checkModelName(modelName);
      bytes = Files.readAllBytes(model);
      loaded = CtrModel.fromFile(CtrmFormat.read(bytes));
    } catch (IOException e) {
      System.err.println("ctr publish: cannot read " + model + ": " + e.getMessage());
      return 1;
    } catch (CtrException | IllegalArgumentException e) {
      System.err.println("ctr publish: " + model + " is not a loadable model: " + e.getMessage());
      return 1;
    }
    try {
      if (!noCreateTopic) {
        KafkaTopics.ensure(List.of(config), 15_000);
      }
      try (ModelPublisher publisher = new ModelPublisher(config.producerConfigs(), config.modelsTopic())) {
        long published = publisher.topicState(modelName).newestVersion();
        long v = version != null ? version : Math.max(loaded.version(), published + 1);
        Map<String, String> meta = new LinkedHashMap<>(loaded.metadata());
        meta.putAll(metadata);
        ModelPublisher.PublishResult r = publisher.publish(modelName, v, bytes, meta, force);
        System.out.printf(
            "published %s v%d to %s on %s: %d bytes in %d chunks, sha256 %s%n",
            modelName, r.version(), config.modelsTopic(), bootstrap, r.totalBytes(), r.chunkCount(), r.sha256());
        if (!r.retiredVersions().isEmpty()) {
          System.out.println("tombstoned versions " + r.retiredVersions());
        }
        if (pin) {
          publisher.pin(modelName, v);
          System.out.printf("pinned %s to v%d%n", modelName, v);
        }
      }
      return 0;
    } catch (ServingException | IllegalArgumentException e) {
      System.err.println("ctr publish: " + e.getMessage());
      return 1;
    } catch (org.apache.kafka.common.KafkaException e) {
      System.err.println("ctr publish: Kafka at " + bootstrap + " failed: " + e.getMessage());
      return 1;
    }
  }
}
