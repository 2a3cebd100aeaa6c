package io.ctrstreams.cli;

import io.ctrstreams.schemas.ModelManifest;
import io.ctrstreams.serving.InputSchema;
import io.ctrstreams.serving.ModelPublisher;
import io.ctrstreams.serving.ModelPublisherConfig;
import io.ctrstreams.serving.ServedModel;
import io.ctrstreams.serving.ServingException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ctr models}: what the compacted models topic holds for a model name, and the operations
 * on it: pin a retained version, unpin, roll back (pin the newest retained version before the
 * live one), describe one version's manifest. Every subcommand takes {@code --config} for a
 * secured cluster, like {@code ctr publish}.
 */
@Command(
    name = "models",
    mixinStandardHelpOptions = true,
    description = "List, pin, unpin, roll back and describe the versions of a model on the models topic.",
    subcommands = {
      ModelsCommand.ListModels.class, ModelsCommand.Pin.class, ModelsCommand.Unpin.class,
      ModelsCommand.Rollback.class, ModelsCommand.Describe.class
    })
public final class ModelsCommand implements Runnable {

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** What every subcommand shares: the model name, the topic and the cluster settings. */
  abstract static class Base implements Callable<Integer> {
    @Option(names = "--name", description = "Model name (keys <name>/...), setting model.name. Default: ctr.")
    String name;

    @Option(names = "--topic", description = "Models topic, setting topic.models. Default: models.")
    String topic;

    @Mixin ConfigOptions options;

    @Override
    public Integer call() {
      if (options.printedDocs(ModelPublisherConfig.toMarkdown())) {
        return 0;
      }
      ModelPublisherConfig config = options.load(ModelPublisherConfig::new,
          ModelPublisherConfig.MODELS_TOPIC_CONFIG, topic, ModelPublisherConfig.MODEL_NAME_CONFIG, name);
      try (ModelPublisher publisher = new ModelPublisher(config.producerConfigs(), config.modelsTopic())) {
        return run(publisher, config.modelName());
      } catch (ServingException | IllegalArgumentException e) {
        System.err.println("ctr models " + getClass().getAnnotation(Command.class).name() + ": " + e.getMessage());
        return 1;
      } catch (org.apache.kafka.common.KafkaException e) {
        System.err.println("ctr models: Kafka at " + String.join(",", config.bootstrapServers()) + " failed: "
            + e.getMessage());
        return 1;
      }
    }

    abstract int run(ModelPublisher publisher, String model);
  }

  /** {@code ctr models list}. */
  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "The versions the topic retains for the model: size, chunks, creation time, compressed-from,"
          + " compression ratio, input fields; which one is live (served when nothing is pinned) and which pinned.")
  static final class ListModels extends Base {
    @Override
    int run(ModelPublisher publisher, String model) {
      ModelPublisher.TopicState s = publisher.topicState(model);
      if (s.publishedVersions().isEmpty()) {
        System.out.printf("model %s: no published version on the topic%n", model);
        return 0;
      }
      System.out.printf("model %s: %d version(s), newest v%d%s%n", model, s.publishedVersions().size(), s.newestVersion(),
          s.pinnedVersion() >= 0 ? ", pinned to v" + s.pinnedVersion() : ", not pinned");
      System.out.printf("%-9s %12s %7s  %-24s %-20s %8s %7s  %s%n", "version", "bytes", "chunks", "created",
          "compressed-from", "ratio", "fields", "");
      for (long v : s.publishedVersions()) {
        ModelManifest m = s.manifests().get(v);
        String mark = v == s.pinnedVersion() ? "pinned (served)"
            : v == s.newestVersion() ? (s.pinnedVersion() >= 0 ? "newest" : "live (served)") : "";
        if (m == null) {
          System.out.printf("v%-8d %12s %7s  %-24s %-20s %8s %7s  %s%n", v, "?", "?", "(manifest unreadable)", "", "", "", mark);
          continue;
        }
        Map<String, String> meta = m.getMetadata();
        InputSchema schema = s.inputSchemas().get(v);
        System.out.printf("v%-8d %,12d %7d  %-24s %-20s %8s %7s  %s%n", v, m.getTotalBytes(), m.getChunkCount(),
            Instant.ofEpochMilli(m.getCreatedAtEpochMs()), meta.getOrDefault(ServedModel.COMPRESSED_FROM, "-"),
            meta.getOrDefault(ServedModel.COMPRESSION_RATIO, "-"), schema == null ? "-" : schema.fields().size(), mark);
      }
      return 0;
    }
  }

  /** {@code ctr models pin}. */
  @Command(name = "pin", mixinStandardHelpOptions = true,
      description = "Serve a retained version until unpinned (scorers switch at once).")
  static final class Pin extends Base {
    @Option(names = "--version", required = true, description = "The version to serve; must still be retained.")
    long version;

    @Override
    int run(ModelPublisher publisher, String model) {
      publisher.pin(model, version);
      System.out.printf("pinned %s to v%d%n", model, version);
      return 0;
    }
  }

  /** {@code ctr models unpin}. */
  @Command(name = "unpin", mixinStandardHelpOptions = true,
      description = "Remove the pin: scorers serve the newest version again.")
  static final class Unpin extends Base {
    @Override
    int run(ModelPublisher publisher, String model) {
      long was = publisher.topicState(model).pinnedVersion();
      publisher.unpin(model);
      System.out.printf("unpinned %s%s; the newest version is served%n", model, was >= 0 ? " (was v" + was + ")" : "");
      return 0;
    }
  }

  /** {@code ctr models rollback}. */
  @Command(name = "rollback", mixinStandardHelpOptions = true,
      description = "Pin the newest retained version older than the one served (or --to a given one); undo with unpin.")
  static final class Rollback extends Base {
    @Option(names = "--to", description = "The version to roll back to (default: the one before the served version).")
    Long to;

    @Override
    int run(ModelPublisher publisher, String model) {
      ModelPublisher.TopicState s = publisher.topicState(model);
      long served = s.pinnedVersion() >= 0 ? s.pinnedVersion() : s.newestVersion();
      if (served < 0) {
        throw new ServingException("model " + model + " has no published version to roll back from");
      }
      long target = to != null ? to : s.publishedVersions().stream().filter(v -> v < served).max(Long::compare)
          .orElseThrow(() -> new ServingException("model " + model + " retains no version older than the served v"
              + served + " (retained: " + s.publishedVersions() + ")"));
      publisher.pin(model, target);
      System.out.printf("rolled %s back from v%d to v%d (pinned; `ctr models unpin` serves the newest again)%n",
          model, served, target);
      return 0;
    }
  }

  /** {@code ctr models describe}. */
  @Command(name = "describe", mixinStandardHelpOptions = true,
      description = "One version's manifest: size, chunks, SHA-256, creation time, metadata and input fields.")
  static final class Describe extends Base {
    @Option(names = "--version", description = "The version (default: the newest).")
    Long version;

    @Override
    int run(ModelPublisher publisher, String model) {
      ModelPublisher.TopicState s = publisher.topicState(model);
      long v = version != null ? version : s.newestVersion();
      ModelManifest m = s.manifests().get(v);
      if (m == null) {
        throw new ServingException("model " + model + " has no readable manifest of v" + v + " on the topic (retained: "
            + s.publishedVersions() + ")");
      }
      System.out.printf("model %s v%d%s%n", model, v, v == s.pinnedVersion() ? " (pinned)" : "");
      System.out.printf("  bytes     %,d in %d chunk(s)%n", m.getTotalBytes(), m.getChunkCount());
      System.out.printf("  sha256    %s%n", m.getSha256());
      System.out.printf("  created   %s%n", Instant.ofEpochMilli(m.getCreatedAtEpochMs()));
      new TreeMap<>(m.getMetadata()).forEach((k, val) -> {
        if (!k.equals(InputSchema.METADATA_KEY)) {
          System.out.printf("  %s = %s%n", k, val);
        }
      });
      InputSchema schema = s.inputSchemas().get(v);
      List<InputSchema.Field> fields = schema == null ? List.of() : schema.fields();
      System.out.printf("  inputs    %s%n", schema == null ? "(not recorded)" : fields.size() + " fields: " + fields);
      return 0;
    }
  }
}
