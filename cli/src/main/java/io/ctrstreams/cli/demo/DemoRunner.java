package io.ctrstreams.cli.demo;

import io.ctrstreams.broker.BrokerException;
import io.ctrstreams.broker.EmbeddedKafkaBroker;
import io.ctrstreams.model.eval.MetricsSnapshot;
import io.ctrstreams.recompressor.service.CompressorPipeline;
import io.ctrstreams.recompressor.service.RecompressionOutcome;
import io.ctrstreams.recompressor.service.RecompressorConfig;
import io.ctrstreams.recompressor.service.RecompressorService;
import io.ctrstreams.schemas.WireFormat;
import io.ctrstreams.server.ServeApp;
import io.ctrstreams.server.ServeConfig;
import io.ctrstreams.serving.KafkaTopics;
import io.ctrstreams.topology.TopologyApp;
import io.ctrstreams.topology.TopologyConfig;
import io.ctrstreams.trainer.online.OnlineTrainer;
import io.ctrstreams.trainer.online.OnlineTrainerConfig;
import io.ctrstreams.trainer.online.OnlineTrainers;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * Runs the whole loop in this process: embedded broker, topics, synthetic traffic, continuous
 * trainer (synthetic stream, same teacher), recompressor, scoring topology (compressed model
 * live, full model shadow) with its metrics endpoint, and a status line every few seconds.
 *
 * <p>Start order follows the data: broker, topics, topology (its registry hosts every service's
 * metrics, so one endpoint shows all), trainer, recompressor, traffic, then the label watcher.
 * Shutdown runs in reverse so no producer writes to a closed broker. Every thread is named
 * ({@code ctr-demo-*}, {@code ctr-trainer}, {@code ctr-recompressor}, Kafka's own).
 */
public final class DemoRunner {
  /** Name of the compressed (live) model. */
  public static final String LIVE_MODEL = "ctr";
  /** Name of the full model (snapshots on model-updates, shadow on models). */
  public static final String FULL_MODEL = "ctr-full";
  /** With {@link #serve}: the share of the synthetic impressions scored over REST by ctr serve. */
  public static final double RPC_SHARE = 0.2;

  private final DemoOptions options;
  private final PrintStream out;
  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private final CountDownLatch finished = new CountDownLatch(1);
  private final List<RecompressionOutcome> outcomes = java.util.Collections.synchronizedList(new ArrayList<>());
  private final AtomicLong snapshots = new AtomicLong();
  private boolean printEvents;
  private boolean deltas = true;
  private java.util.function.Consumer<String> beforeShutdown = bs -> {};
  private volatile String bootstrap;
  private volatile int metricsPort = -1;
  private int servePort = -1;
  private volatile ServeApp server;

  /** A runner printing to {@code out}. */
  public DemoRunner(DemoOptions options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  /** Also print one line per snapshot and per recompression (off by default: one status line only). */
  public DemoRunner printEvents(boolean on) {
    this.printEvents = on;
    return this;
  }

  /**
   * Whether the services refresh by deltas between snapshots (default true): the trainer sends
   * deltas, the recompressor relays them onto the student, the topology applies them
   * (docs/model-deltas.md). Off: refresh by snapshots only.
   */
  public DemoRunner deltas(boolean on) {
    this.deltas = on;
    return this;
  }

  /**
   * Runs {@code hook} with the bootstrap address after the last status line, while everything is
   * still up (tests read the topics there).
   */
  public DemoRunner beforeShutdown(java.util.function.Consumer<String> hook) {
    this.beforeShutdown = java.util.Objects.requireNonNull(hook);
    return this;
  }

  /**
   * Also runs {@code ctr serve} on {@code port} (taken: a free one; -1 = off, the default) with the
   * live model from the models topic, logging served requests to the topology's label join;
   * {@link #RPC_SHARE} of the synthetic impressions are then scored over REST instead of the topic,
   * so the summary shows the online AUC of RPC-served impressions beside the topology's.
   */
  public DemoRunner serve(int port) {
    this.servePort = port;
    return this;
  }

  /** The running server, or null. */
  public ServeApp server() {
    return server;
  }

  /** Asks a running {@link #run()} to stop (Ctrl-C); returns at once. */
  public void stop() {
    stopRequested.countDown();
  }

  /** Waits until {@link #run()} has shut everything down and printed its summary. */
  public boolean awaitFinished(long timeoutMs) throws InterruptedException {
    return finished.await(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /** The broker's bootstrap address once started, else null. */
  public String bootstrapServers() {
    return bootstrap;
  }

  /** The bound metrics port once started, else -1. */
  public int metricsPort() {
    return metricsPort;
  }

  /** Runs until the duration passes or {@link #stop()}; returns the summary. */
  public DemoSummary run() throws IOException, InterruptedException {
    Path work = Files.createTempDirectory("ctr-demo-");
    long t0 = System.currentTimeMillis();
    EmbeddedKafkaBroker broker = null;
    TopologyApp topology = null;
    OnlineTrainer trainer = null;
    RecompressorService recompressor = null;
    SyntheticTraffic traffic = null;
    LabelWatcher labels = null;
    DemoStatus status = null;
    try {
      broker = startBroker();
      bootstrap = broker.bootstrapServers();
      TopologyConfig tc = new TopologyConfig(topologyProps(work));
      OnlineTrainerConfig oc = new OnlineTrainerConfig(trainerProps());
      RecompressorConfig rc = new RecompressorConfig(recompressorProps(work));
      KafkaTopics.ensure(List.of(tc, oc, rc));
      topology = TopologyApp.start(tc);
      metricsPort = topology.metricsPort();
      trainer = OnlineTrainers.backprop(oc, topology.registry());
      trainer.addListener((v, ex, loss, bytes) -> {
        snapshots.incrementAndGet();
        if (printEvents) {
          out.printf(Locale.ROOT, "  > trainer: %s v%d published (%d examples, loss %.4f, %d bytes)%n", FULL_MODEL, v,
              ex, loss, bytes);
        }
      });
      trainer.start();
      recompressor = new RecompressorService(rc, CompressorPipeline.fromConfig(rc), topology.registry());
      recompressor.addListener(outcomes::add);
      recompressor.addListener(o -> {
        if (printEvents) {
          out.printf(Locale.ROOT, "  > recompressor: full v%d %s%s in %.1f s, %.2fx: %s%n", o.fullVersion(),
              o.status().name().toLowerCase(Locale.ROOT),
              o.publishedVersion() >= 0 ? " as " + LIVE_MODEL + " v" + o.publishedVersion() : "", o.seconds(),
              o.compressionRatio(), o.reason());
        }
      });
      recompressor.start();
      traffic = new SyntheticTraffic(client(), "impressions", "clicks", options.seed(), options.impressionsPerSecond(),
          options.clickDelayMeanMs(), options.jsonTraffic() ? WireFormat.JSON : WireFormat.AVRO).start();
      labels = new LabelWatcher(client(), "labeled", "ctr-demo-labels", 60_000).start();
      if (servePort >= 0) {
        server = ServeApp.start(new ServeConfig(serveProps()), "demo");
        traffic.rpc(restRoute(server), RPC_SHARE);
      }
      out.println("ctr demo: embedded Kafka at " + bootstrap + "  (kcat -b " + bootstrap + " -L)");
      out.println("live:     http://localhost:" + metricsPort + "/   (charts: online AUC live vs shadow, impressions/s, p99,"
          + " version, dead letters)");
      out.println("metrics:  http://localhost:" + metricsPort + "/metrics   health: /health/live /health/ready");
      out.println("topics:   impressions clicks -> scores labeled dlq; model-updates (full " + FULL_MODEL
          + ") -> models (live " + LIVE_MODEL + ", shadow " + FULL_MODEL + ")");
      if (server != null) {
        out.println("serve:    http://localhost:" + server.port() + "/v2 (Open Inference Protocol; gRPC on " + server.grpcPort()
            + "), 503 until the first compressed model; score one request:");
        out.println("  curl -s -X POST http://localhost:" + server.port() + "/v1/models/" + LIVE_MODEL
            + "/score -H 'Content-Type: application/json' -d '" + sampleRequest() + "'");
      }
      out.printf(Locale.ROOT, "traffic:  %.0f impressions/s; trainer snapshot every %d s; %s%n",
          options.impressionsPerSecond(), options.snapshotInterval().toSeconds(),
          options.duration() == null ? "Ctrl-C to stop" : "running for " + options.duration().toSeconds() + " s");
      out.flush();
      status = new DemoStatus(topology, traffic, labels, trainer, outcomes, t0);
      long end = options.duration() == null ? Long.MAX_VALUE : t0 + options.duration().toMillis();
      long interval = options.statusInterval().toMillis();
      while (true) {
        long now = System.currentTimeMillis();
        long wait = Math.min(interval, end - now);
        if (wait <= 0 || stopRequested.await(wait, TimeUnit.MILLISECONDS)) {
          break;
        }
        out.println(status.line());
        out.flush();
        failIfDead(trainer, recompressor, traffic);
      }
      DemoSummary summary = status.summary(snapshots.get());
      out.println(summary.format());
      if (server != null) {
        MetricsSnapshot[] bySource = labels.bySource();
        out.printf(Locale.ROOT, "serve:         %d impressions scored over REST (%d failed); online AUC of the live model"
            + " on RPC-served %s (%d labeled), topology-served %s (%d labeled)%n", traffic.rpcSent(), traffic.rpcFailed(),
            auc(bySource[0]), bySource[0].count(), auc(bySource[1]), bySource[1].count());
      }
      out.flush();
      traffic.close();
      beforeShutdown.accept(bootstrap);
      return summary;
    } finally {
      closeQuietly(traffic);
      closeQuietly(labels);
      closeQuietly(trainer);
      closeQuietly(recompressor);
      closeQuietly(server);
      closeQuietly(topology);
      closeQuietly(broker);
      deleteQuietly(work);
      finished.countDown();
    }
  }

  private static void failIfDead(OnlineTrainer trainer, RecompressorService recompressor, SyntheticTraffic traffic) {
    if (trainer.failure() != null) {
      throw new IllegalStateException("trainer stopped: " + trainer.failure(), trainer.failure());
    }
    if (recompressor.failure() != null) {
      throw new IllegalStateException("recompressor stopped: " + recompressor.failure(), recompressor.failure());
    }
    if (traffic.failure() != null) {
      throw new IllegalStateException("traffic generator stopped: " + traffic.failure(), traffic.failure());
    }
  }

  private EmbeddedKafkaBroker startBroker() {
    try {
      return EmbeddedKafkaBroker.builder().port(options.brokerPort()).build().start();
    } catch (BrokerException e) {
      if (options.brokerPort() == 0) {
        throw e;
      }
      out.println("ctr demo: cannot use port " + options.brokerPort() + " (" + e.getMessage()
          + "); starting the embedded broker on a free port instead");
      return EmbeddedKafkaBroker.builder().port(0).build().start();
    }
  }

  private Map<String, Object> client() {
    Map<String, Object> c = new HashMap<>();
    c.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return c;
  }

  private Map<String, Object> topologyProps(Path work) {
    Map<String, Object> p = new HashMap<>();
    p.put(TopologyConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(TopologyConfig.APPLICATION_ID_CONFIG, "ctr-demo-topology");
    p.put(TopologyConfig.MODEL_NAME_CONFIG, LIVE_MODEL);
    p.put(TopologyConfig.SHADOW_MODEL_NAME_CONFIG, FULL_MODEL);
    p.put(TopologyConfig.TOPICS_PARTITIONS_CONFIG, "1");
    p.put(TopologyConfig.INPUT_FORMAT_CONFIG, "auto");
    p.put(TopologyConfig.METRICS_PORT_CONFIG, Integer.toString(freeOr(options.metricsPort())));
    // the first compressed model appears ~25 s in: wait for it rather than dead-lettering the start
    p.put(TopologyConfig.MODEL_WAIT_MS_CONFIG, "120000");
    // a stream thread may wait that long inside a transaction: keep the transaction alive longer
    // (the broker's transaction.max.timeout.ms default is 15 min)
    p.put("producer.transaction.timeout.ms", "180000");
    p.put(TopologyConfig.ATTRIBUTION_WINDOW_MS_CONFIG, Long.toString(options.attributionWindow().toMillis()));
    p.put(TopologyConfig.METRICS_WINDOW_MS_CONFIG, "60000");
    p.put("state.dir", work.resolve("streams").toString());
    p.put("num.stream.threads", "1");
    p.put(TopologyConfig.DELTA_ENABLED_CONFIG, Boolean.toString(deltas));
    return p;
  }

  /**
   * The demo traffic's request/response path: an asynchronous {@code POST /v1/models/ctr/score} of
   * the impression's JSON, once the server has a model (until then the impression goes to the topic).
   */
  private static SyntheticTraffic.RpcRoute restRoute(ServeApp server) {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    java.net.URI uri = java.net.URI.create("http://127.0.0.1:" + server.port() + "/v1/models/" + LIVE_MODEL + "/score");
    return (json, failed) -> {
      if (!server.models().ready()) {
        return false;
      }
      http.sendAsync(java.net.http.HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
              .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(json)).build(),
          java.net.http.HttpResponse.BodyHandlers.discarding())
          .whenComplete((r, e) -> {
            if (e != null || r.statusCode() != 200) {
              failed.run();
            }
          });
      return true;
    };
  }

  /** ctr serve on the live model and shadow, logging to the topology's label-join input. */
  private Map<String, Object> serveProps() {
    Map<String, Object> p = new HashMap<>();
    p.put(ServeConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ServeConfig.MODEL_NAME_CONFIG, LIVE_MODEL);
    p.put(ServeConfig.SHADOW_MODEL_NAME_CONFIG, FULL_MODEL);
    p.put(ServeConfig.LOG_TOPIC_CONFIG, "ctr-demo-topology-" + io.ctrstreams.topology.ScoringTopology.LABEL_JOIN_REPARTITION
        + "-repartition");
    p.put(ServeConfig.PORT_CONFIG, Integer.toString(freeOr(servePort)));
    p.put(ServeConfig.GRPC_PORT_CONFIG, "0");
    p.put(ServeConfig.THREADS_CONFIG, "1");
    return p;
  }

  private Map<String, Object> trainerProps() {
    Map<String, Object> p = new HashMap<>();
    p.put(OnlineTrainerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(OnlineTrainerConfig.SOURCE_CONFIG, "synthetic");
    p.put(OnlineTrainerConfig.SYNTHETIC_SEED_CONFIG, Long.toString(options.seed()));
    p.put(OnlineTrainerConfig.MAX_EXAMPLES_PER_SECOND_CONFIG, Double.toString(options.trainerExamplesPerSecond()));
    p.put(OnlineTrainerConfig.MODEL_NAME_CONFIG, FULL_MODEL);
    p.put(OnlineTrainerConfig.SNAPSHOT_INTERVAL_MS_CONFIG, Long.toString(options.snapshotInterval().toMillis()));
    p.put(OnlineTrainerConfig.METRICS_PORT_CONFIG, "-1");
    // continuous refresh: a delta every second between snapshots (the chain's keyframes)
    p.put(OnlineTrainerConfig.DELTA_ENABLED_CONFIG, Boolean.toString(deltas));
    p.put(OnlineTrainerConfig.DELTA_INTERVAL_MS_CONFIG, "1000");
    // the demo's model is young and moves fast: 5% per delta keeps keyframes to the snapshot interval
    p.put(OnlineTrainerConfig.DELTA_TOPK_RATIO_CONFIG, "0.05");
    p.put(OnlineTrainerConfig.DELTA_KEYFRAME_RESIDUAL_RATIO_CONFIG, "0.2");
    return p;
  }

  private Map<String, Object> recompressorProps(Path work) {
    Map<String, Object> p = new HashMap<>();
    p.put(RecompressorConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(RecompressorConfig.GROUP_ID_CONFIG, "ctr-demo-recompressor");
    p.put(RecompressorConfig.STATE_DIR_CONFIG, work.resolve("recompressor").toString());
    p.put(RecompressorConfig.FULL_MODEL_NAME_CONFIG, FULL_MODEL);
    p.put(RecompressorConfig.MODEL_NAME_CONFIG, LIVE_MODEL);
    p.put(RecompressorConfig.SHADOW_MODEL_NAME_CONFIG, FULL_MODEL);
    p.put(RecompressorConfig.COMPRESSION_SEARCH_CONFIG, options.compressionSearch());
    p.put(RecompressorConfig.COMPRESSION_EMBEDDING_RANK_CONFIG, Integer.toString(options.embeddingRank()));
    p.put(RecompressorConfig.COMPRESSION_RATIO_CONFIG, Double.toString(options.compressionRatio()));
    p.put(RecompressorConfig.METRICS_PORT_CONFIG, "-1");
    p.put(RecompressorConfig.DELTA_ENABLED_CONFIG, Boolean.toString(deltas));
    return p;
  }

  /** {@code port} when it can be bound now, else 0 (a free one) with a message. */
  private int freeOr(int port) {
    if (port == 0) {
      return 0;
    }
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      out.println("ctr demo: port " + port + " is in use; using a free port instead");
      return 0;
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      System.err.println("ctr demo: closing " + c.getClass().getSimpleName() + " failed: " + e);
    }
  }

  private static void deleteQuietly(Path dir) {
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // temp dir; the OS cleans up eventually
    }
  }

  /** One synthetic impression (the traffic's features, two candidates) as the JSON /v1/models/{name}/score takes. */
  static String sampleRequest() {
    io.ctrstreams.trainer.data.SyntheticStream stream =
        new io.ctrstreams.trainer.data.SyntheticStream(1, System.currentTimeMillis(), 1, 1000);
    io.ctrstreams.trainer.data.SyntheticEvent ev = stream.next();
    while (!(ev instanceof io.ctrstreams.trainer.data.SyntheticEvent.Impression)) {
      ev = stream.next();
    }
    io.ctrstreams.trainer.data.SyntheticEvent.Impression imp = (io.ctrstreams.trainer.data.SyntheticEvent.Impression) ev;
    io.ctrstreams.schemas.Impression request = new io.ctrstreams.schemas.Impression("curl-1", imp.timestampMs(),
        new HashMap<>(imp.context()), List.of(new io.ctrstreams.schemas.Candidate("ad-1", new HashMap<>(imp.candidate())),
            new io.ctrstreams.schemas.Candidate("ad-2", new HashMap<>(imp.candidate()))));
    return new String(io.ctrstreams.schemas.ImpressionCodec.encodeJson(request), java.nio.charset.StandardCharsets.UTF_8);
  }

  static String auc(MetricsSnapshot s) {
    return s == null || s.count() == 0 || Double.isNaN(s.auc()) ? "  -   " : String.format(Locale.ROOT, "%.4f", s.auc());
  }
}
