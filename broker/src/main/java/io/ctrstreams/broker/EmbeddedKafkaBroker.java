package io.ctrstreams.broker;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real single-node Kafka 4.4 broker running in this JVM in KRaft combined mode (broker and
 * controller in one node), with storage formatted in process.
 *
 * <p>Used by {@code ctr broker}, {@code ctr demo} and integration tests. Internal topics
 * (consumer offsets, transaction state, share-group state) run at replication factor 1 so that
 * consumer groups and transactional (exactly-once) producers work against a single node.
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().port(0).build().start()) {
 *   String bootstrap = broker.bootstrapServers();
 * }
 * }</pre>
 *
 * <p>Not thread-safe for concurrent start/close; {@link #bootstrapServers()} is safe to call
 * from any thread once started.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

  /** The demo and {@code ctr broker} port; tests use {@code 0} (a free port). */
  public static final int DEFAULT_PORT = 9092;

  private static final String HOST = "localhost";
  private static final int NODE_ID = 1;
  private static final String CONTROLLER_LISTENER = "CONTROLLER";

  private final int requestedPort;
  private final int requestedControllerPort;
  private final Path requestedLogDir;
  private final Map<String, String> extraProperties;

  private KafkaRaftServer server;
  private Path logDir;
  private boolean deleteLogDirOnClose;
  private int port = -1;
  private int controllerPort = -1;
  private String clusterId;

  private EmbeddedKafkaBroker(Builder b) {
    this.requestedPort = b.port;
    this.requestedControllerPort = b.controllerPort;
    this.requestedLogDir = b.logDir;
    this.extraProperties = Map.copyOf(b.extraProperties);
  }

  /** Starts a builder with the defaults: port 9092, free controller port, temp log dir. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Formats the storage (first start only) and starts the broker; returns once the broker's
   * listeners are up.
   *
   * @throws BrokerException when a port is in use or the broker fails to start
   */
  public synchronized EmbeddedKafkaBroker start() {
    if (server != null) {
      throw new IllegalStateException("broker already started on " + bootstrapServers());
    }
    port = requestedPort == 0 ? freePort() : checkPortFree(requestedPort, "--port");
    if (requestedControllerPort == 0) {
      // Two probes in a row can hand out the same ephemeral port; retry until they differ.
      do {
        controllerPort = freePort();
      } while (controllerPort == port);
    } else {
      controllerPort = checkPortFree(requestedControllerPort, "--controller-port");
    }
    try {
      if (requestedLogDir == null) {
        logDir = Files.createTempDirectory("ctr-kafka-");
        deleteLogDirOnClose = true;
      } else {
        logDir = Files.createDirectories(requestedLogDir);
        deleteLogDirOnClose = false;
      }
    } catch (IOException e) {
      throw new BrokerException("cannot create broker log dir " + requestedLogDir, e);
    }
    KafkaConfig config = new KafkaConfig(brokerProperties(), false);
    formatIfNeeded();
    KafkaRaftServer s = new KafkaRaftServer(config, Time.SYSTEM);
    try {
      s.startup();
    } catch (RuntimeException e) {
      safeShutdown(s);
      cleanUpLogDir();
      throw new BrokerException(
          "embedded Kafka broker failed to start on port " + port + ": " + e.getMessage(), e);
    }
    server = s;
    return this;
  }

  /** {@code localhost:<port>}; valid after {@link #start()}. */
  public String bootstrapServers() {
    if (port < 0) {
      throw new IllegalStateException("broker not started");
    }
    return HOST + ":" + port;
  }

  /** The client port actually bound (the free port picked when configured with 0). */
  public int port() {
    return port;
  }

  /** The storage directory (data and KRaft metadata log). */
  public Path logDir() {
    return logDir;
  }

  /** The KRaft cluster id written by the formatter (reused when a given log dir was formatted). */
  public String clusterId() {
    return clusterId;
  }

  /** Whether {@link #start()} succeeded and {@link #close()} has not been called. */
  public synchronized boolean isRunning() {
    return server != null;
  }

  /** Shuts the broker down, waits for it to stop and deletes a temporary log dir. Idempotent. */
  @Override
  public synchronized void close() {
    KafkaRaftServer s = server;
    server = null;
    if (s != null) {
      safeShutdown(s);
    }
    cleanUpLogDir();
  }

  private Properties brokerProperties() {
    Map<String, String> p = new HashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", Integer.toString(NODE_ID));
    p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
    p.put(
        "listeners",
        "PLAINTEXT://" + HOST + ":" + port + "," + CONTROLLER_LISTENER + "://" + HOST + ":"
            + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port);
    p.put("controller.listener.names", CONTROLLER_LISTENER);
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", logDir.toAbsolutePath().toString());
    // Single node: every internal topic at replication 1, no rebalance delay for fast tests.
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "1");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "1");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("num.partitions", "1");
    p.put("auto.create.topics.enable", "false");
    // the log cleaner's offset map is a heap buffer (128 MiB by default) held for the broker's
    // life: in an embedded broker it shares the heap with the app, and its compacted topics (the
    // models topic, internal topics) are small; 16 MiB maps ~800k keys per cleaning pass
    p.put("log.cleaner.dedupe.buffer.size", Integer.toString(16 * 1024 * 1024));
    p.putAll(extraProperties);
    Properties props = new Properties();
    props.putAll(p);
    return props;
  }

  private void formatIfNeeded() {
    Path meta = logDir.resolve("meta.properties");
    if (Files.exists(meta)) {
      // A given log dir that was formatted before: keep its cluster id and data.
      clusterId = readClusterId(meta);
      return;
    }
    clusterId = Uuid.randomUuid().toString();
    String dir = logDir.toAbsolutePath().toString();
    try {
      new Formatter()
          .setPrintStream(new PrintStream(OutputStream.nullOutputStream(), true, "UTF-8"))
          .setClusterId(clusterId)
          .setNodeId(NODE_ID)
          .setDirectories(List.of(dir))
          .setMetadataLogDirectory(dir)
          .setControllerListenerName(CONTROLLER_LISTENER)
          .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
          .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
          .run();
    } catch (Exception e) {
      throw new BrokerException("cannot format KRaft storage in " + dir + ": " + e.getMessage(), e);
    }
  }

  private static String readClusterId(Path meta) {
    Properties p = new Properties();
    try (var in = Files.newInputStream(meta)) {
      p.load(in);
    } catch (IOException e) {
      throw new BrokerException("cannot read " + meta, e);
    }
    return p.getProperty("cluster.id");
  }

  private static void safeShutdown(KafkaRaftServer s) {
    try {
      s.shutdown();
      s.awaitShutdown();
    } catch (RuntimeException e) {
      // Close must not mask the original failure; the broker threads are gone either way.
      System.err.println("embedded Kafka broker shutdown failed: " + e);
    }
  }

  private void cleanUpLogDir() {
    if (deleteLogDirOnClose && logDir != null) {
      deleteRecursively(logDir);
      logDir = null;
    }
  }

  static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc)
                throws IOException {
              Files.deleteIfExists(dir);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete broker log dir " + root, e);
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new BrokerException("cannot find a free local port", e);
    }
  }

  private static int checkPortFree(int port, String option) {
    // Probe the port before Kafka binds it so the user gets an actionable message instead of a
    // KafkaException deep inside the socket server start-up.
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return port;
    } catch (BindException e) {
      throw new BrokerException("port " + port + " is in use; pass " + option, e);
    } catch (IOException e) {
      throw new BrokerException("cannot probe port " + port + ": " + e.getMessage(), e);
    }
  }

  /** Configuration of an {@link EmbeddedKafkaBroker}. */
  public static final class Builder {
    private int port = DEFAULT_PORT;
    private int controllerPort = 0;
    private Path logDir;
    private final Map<String, String> extraProperties = new HashMap<>();

    private Builder() {}

    /** Client port; {@code 0} picks a free port (tests). Default {@value #DEFAULT_PORT}. */
    public Builder port(int port) {
      this.port = checkPort(port, "port");
      return this;
    }

    /** KRaft controller port; {@code 0} (default) picks a free port. */
    public Builder controllerPort(int controllerPort) {
      this.controllerPort = checkPort(controllerPort, "controller port");
      return this;
    }

    /**
     * Storage directory; kept on close (and reused on the next start). Default: a temp dir that
     * is deleted on close.
     */
    public Builder logDir(Path logDir) {
      this.logDir = Objects.requireNonNull(logDir, "logDir");
      return this;
    }

    /** An extra broker property (overrides the defaults, e.g. {@code message.max.bytes}). */
    public Builder brokerProperty(String name, String value) {
      extraProperties.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value));
      return this;
    }

    /** Extra broker properties (override the defaults). */
    public Builder brokerProperties(Map<String, String> properties) {
      properties.forEach(this::brokerProperty);
      return this;
    }

    /** Builds an unstarted broker; call {@link EmbeddedKafkaBroker#start()}. */
    public EmbeddedKafkaBroker build() {
      if (port != 0 && port == controllerPort) {
        throw new BrokerException(
            "port and controller port must differ, both are " + port);
      }
      return new EmbeddedKafkaBroker(this);
    }

    private static int checkPort(int port, String what) {
      if (port < 0 || port > 65535) {
        throw new BrokerException(what + " must be in [0, 65535], found " + port);
      }
      return port;
    }
  }
}
