package io.ctrstreams.loadtest.chaos;

import io.ctrstreams.serving.KafkaTopics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The services under fault, each a {@link ChildJvm} running the {@code ctr} entry point: one
 * KRaft broker ({@code ctr broker}, fixed ports and log dir so a restart finds its data) and
 * {@code ctr topology} instances with their HTTP endpoint (probed on 127.0.0.1).
 */
final class Services implements AutoCloseable {
  /** The broker accepts records up to 2 MiB, so a ~1 MB hostile record reaches the topology. */
  static final int BROKER_MESSAGE_MAX_BYTES = 2 * 1024 * 1024;

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final String mainClass;
  private final Path workDir;
  private final int brokerPort;
  private final int controllerPort;
  private ChildJvm broker;

  Services(String mainClass, Path workDir) {
    this.mainClass = mainClass;
    this.workDir = workDir;
    this.brokerPort = freePort(-1);
    this.controllerPort = freePort(brokerPort);
  }

  String bootstrap() {
    return "127.0.0.1:" + brokerPort;
  }

  Path workDir() {
    return workDir;
  }

  /** Starts (or restarts, on the same log dir and ports) the broker and waits until it answers. */
  void startBroker() throws InterruptedException {
    broker = ChildJvm.start("broker", "768m", workDir.resolve("broker.log"), mainClass, List.of(
        "broker", "--port", Integer.toString(brokerPort), "--controller-port", Integer.toString(controllerPort),
        "--log-dir", workDir.resolve("kafka").toString(),
        "--broker-property", "message.max.bytes=" + BROKER_MESSAGE_MAX_BYTES));
    await("broker on " + bootstrap(), Duration.ofSeconds(120), broker, this::brokerAnswers);
  }

  ChildJvm broker() {
    return broker;
  }

  private boolean brokerAnswers() {
    try (Admin a = admin()) {
      return !a.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty();
    } catch (Exception e) {
      return false;
    }
  }

  Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000));
  }

  void createTopics(List<NewTopic> topics) {
    try (Admin a = admin()) {
      KafkaTopics.ensure(a, topics);
    }
  }

  /** A topology instance: its settings, its port and the JVM that currently runs it. */
  final class Topology {
    private final String name;
    private final int metricsPort;
    private final List<String> args;
    private ChildJvm jvm;

    private Topology(String name, int metricsPort, List<String> args) {
      this.name = name;
      this.metricsPort = metricsPort;
      this.args = args;
    }

    String name() {
      return name;
    }

    ChildJvm jvm() {
      return jvm;
    }

    /** Starts (or restarts with the same settings and state dir) this instance's JVM. */
    void start() {
      jvm = ChildJvm.start(name, "1g", workDir.resolve(name + ".log"), mainClass, args);
    }

    /** Waits until /health/ready answers 200 (Kafka Streams RUNNING). */
    void awaitReady(Duration timeout) throws InterruptedException {
      await(name + " ready", timeout, jvm, () -> httpStatus("/health/ready") == 200);
    }

    /** The status of GET {@code path} on the instance's endpoint, or -1 when it does not answer. */
    int httpStatus(String path) {
      HttpResponse<String> r = get(path);
      return r == null ? -1 : r.statusCode();
    }

    /** The body of GET {@code path}, or "" when the instance does not answer. */
    String body(String path) {
      HttpResponse<String> r = get(path);
      return r == null ? "" : r.body();
    }

    /** The /metrics text, or "" when the instance does not answer. */
    String metrics() {
      HttpResponse<String> r = get("/metrics");
      return r == null ? "" : r.body();
    }

    private HttpResponse<String> get(String path) {
      try {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + path))
            .timeout(Duration.ofSeconds(5)).GET().build();
        return HTTP.send(req, HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }

    /**
     * What died by itself, or "": the JVM exited without being killed, or Kafka Streams is in
     * ERROR / NOT_RUNNING (/health/live 503; the process stays up).
     */
    String crash() {
      if (jvm == null) {
        return "";
      }
      if (jvm.diedByItself()) {
        return name + " exited by itself";
      }
      return jvm.isAlive() && httpStatus("/health/live") == 503 ? name + " streams ERROR (/health/live 503)" : "";
    }
  }

  /**
   * A topology instance (not started) of application {@code appId}: topics from {@code topics},
   * JSON and Avro input ({@code input.format=auto}), no label join, its own state dir and port.
   */
  Topology topology(String name, String appId, String modelName, Map<String, String> topics) {
    int port = freePort(-1);
    List<String> args = new ArrayList<>(List.of("topology", "--bootstrap-servers", bootstrap(),
        "--metrics-port", Integer.toString(port), "--application-id", appId, "--input-format", "auto",
        "--model", modelName));
    for (Map.Entry<String, String> e : topics.entrySet()) {
      args.add("--set");
      args.add(e.getKey() + "=" + e.getValue());
    }
    Path state = workDir.resolve("state-" + name);
    try {
      Files.createDirectories(state);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    args.addAll(List.of("--set", "labels.enabled=false", "--set", "state.dir=" + state));
    return new Topology(name, port, args);
  }

  /**
   * Polls {@code condition} every 200 ms until it holds; throws when {@code timeout} passes or
   * {@code child} exits first (naming its log).
   */
  static void await(String what, Duration timeout, ChildJvm child, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (!child.isAlive()) {
        throw new IllegalStateException(what + ": " + child.name() + " exited (log: " + child.log() + ")");
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(what + ": not reached within " + timeout.toSeconds() + " s (log: "
            + child.log() + ")");
      }
      Thread.sleep(200);
    }
  }

  private static int freePort(int not) {
    while (true) {
      try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
        if (s.getLocalPort() != not) {
          return s.getLocalPort();
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot find a free local port", e);
      }
    }
  }

  @Override
  public void close() {
    if (broker != null) {
      broker.close();
    }
  }
}
