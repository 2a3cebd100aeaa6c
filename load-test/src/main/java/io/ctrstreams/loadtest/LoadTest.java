package io.ctrstreams.loadtest;

import io.ctrstreams.broker.EmbeddedKafkaBroker;
import io.ctrstreams.loadtest.LoadTestResult.SwapResult;
import io.ctrstreams.loadtest.LoadTestResult.ThroughputRow;
import io.ctrstreams.loadtest.LoadTestResult.Variant;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.Scorer;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ModelManifest;
import io.ctrstreams.serving.KafkaTopics;
import io.ctrstreams.serving.ModelPublisher;
import io.ctrstreams.serving.ModelRecords;
import io.ctrstreams.serving.ModelRegistry;
import io.ctrstreams.serving.ShadowSampling;
import io.ctrstreams.topology.TopologyApp;
import io.ctrstreams.topology.TopologyConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The end-to-end load harness (issue 5 §11): one broker, everything in this process.
 *
 * <ol>
 *   <li><b>Throughput.</b> Per candidate count, N impressions are produced first (Avro
 *       single-object); then each variant (pass-through baseline, dense model, compressed model)
 *       runs as a fresh application over that same input under {@code exactly_once_v2} until a
 *       {@code read_committed} consumer has counted all N x candidates scores. Rate = scores
 *       committed between the first and the last arrival. Each run also checks that every event
 *       got exactly one score per candidate.
 *   <li><b>Swap visibility and latency.</b> {@link SwapPhase}.
 * </ol>
 *
 * The scoring apps run in the default configuration, label join included (its repartition topic
 * and state stores are part of what production pays per impression; the pass-through baseline
 * has neither); {@link LoadTestSettings#withLabelsOff} ({@code --labels-off}) runs them without
 * it, as section 4 of BENCHMARKS.md did before issue 12.
 */
public final class LoadTest implements AutoCloseable {
  private final LoadTestSettings settings;
  private final PrintStream progress;
  private final EmbeddedKafkaBroker broker;
  private final String bootstrap;
  private final Path stateDir;
  private final String runId = "load-" + UUID.randomUUID().toString().substring(0, 8);
  private final java.util.concurrent.atomic.AtomicInteger names = new java.util.concurrent.atomic.AtomicInteger();
  private final Path latencyTrace;

  private LoadTest(LoadTestSettings settings, PrintStream progress, Path latencyTrace) {
    this.settings = settings;
    this.progress = progress;
    this.latencyTrace = latencyTrace;
    if (settings.bootstrapServers() == null) {
      progress.println("starting embedded KRaft broker ...");
      this.broker = EmbeddedKafkaBroker.builder().port(0).build().start();
      this.bootstrap = broker.bootstrapServers();
    } else {
      this.broker = null;
      this.bootstrap = settings.bootstrapServers();
    }
    try {
      this.stateDir = Files.createTempDirectory("ctr-load-state");
    } catch (IOException e) {
      close();
      throw new UncheckedIOException("cannot create a Kafka Streams state dir", e);
    }
  }

  /** Runs every phase of {@code settings}; progress lines go to {@code progress}. */
  public static LoadTestResult run(LoadTestSettings settings, PrintStream progress) throws InterruptedException {
    return run(settings, progress, null);
  }

  /**
   * As {@link #run(LoadTestSettings, PrintStream)}, also writing the swap phase's latency over
   * time to {@code latencyTrace} (CSV; null: none).
   */
  public static LoadTestResult run(LoadTestSettings settings, PrintStream progress, Path latencyTrace)
      throws InterruptedException {
    String before = loadAverage();
    try (LoadTest t = new LoadTest(settings, progress, latencyTrace)) {
      return t.runAll(before);
    }
  }

  /** Where the swap phase writes its latency trace, or null. */
  Path latencyTrace() {
    return latencyTrace;
  }

  private LoadTestResult runAll(String loadBefore) throws InterruptedException {
    progress.println("building models (Criteo DNN, dense and low-rank) ...");
    CtrModel dense = LoadModels.model(false, 1);
    CtrModel compressed = LoadModels.model(true, 1);
    byte[] denseBytes = LoadModels.ctrm(dense);
    byte[] compressedBytes = LoadModels.ctrm(compressed);
    progress.printf(Locale.ROOT, "dense: %,d params, %,d bytes; compressed: %,d params, %,d bytes%n",
        dense.parameterCount(), denseBytes.length, compressed.parameterCount(), compressedBytes.length);
    warmUpScorers(dense, compressed);
    if (settings.swaps() > 0) {
      warmUpSwapPath(compressed.name(), compressedBytes);
    }

    String denseTopic = name("models-dense");
    String compressedTopic = name("models-compressed");
    createTopics(List.of(KafkaTopics.compacted(denseTopic, 1), KafkaTopics.compacted(compressedTopic, 1)));
    try (ModelPublisher pd = publisher(denseTopic); ModelPublisher pc = publisher(compressedTopic)) {
      pd.publish(dense.name(), 1, denseBytes, Map.of());
      pc.publish(compressed.name(), 1, compressedBytes, Map.of());
    }

    String bothTopic = null;
    if (!settings.shadowRates().isEmpty()) {
      // shadow runs: the compressed model live, the dense one as shadow, both on one models topic
      bothTopic = name("models-both");
      createTopics(List.of(KafkaTopics.compacted(bothTopic, 1)));
      try (ModelPublisher pb = publisher(bothTopic)) {
        pb.publish(dense.name(), 1, denseBytes, Map.of());
        pb.publish(compressed.name(), 1, compressedBytes, Map.of());
      }
    }

    List<ThroughputRow> rows = new ArrayList<>();
    boolean warm = false;
    String primary = settings.primaryScoresFormat();
    for (int c : settings.candidateCounts()) {
      String input = name("impressions-c" + c);
      createTopics(List.of(KafkaTopics.plain(input, settings.partitions())));
      progress.printf(Locale.ROOT, "producing %,d impressions with %d candidate(s) to %s ...%n", settings.impressions(), c, input);
      ImpressionFactory factory = new ImpressionFactory(LoadModels.spec(false), c, "t", settings.seed() + c);
      produce(input, factory, settings.impressions());
      if (!warm) {
        // JIT and client warm-up on the same path; not reported
        progress.println("warm-up run (pass-through, not reported) ...");
        throughputRun(new Run(Variant.PASS_THROUGH, c, primary, 0), factory, input, null, null);
        warm = true;
      }
      Map<String, ThroughputRow> best = new java.util.LinkedHashMap<>();
      for (int round = 1; round <= settings.rounds(); round++) {
        if (settings.rounds() > 1) {
          progress.printf(Locale.ROOT, "round %d of %d%n", round, settings.rounds());
        }
        for (String f : settings.scoresFormats()) {
          keepBest(best, throughputRun(new Run(Variant.PASS_THROUGH, c, f, 0), factory, input, null, null));
          keepBest(best, throughputRun(new Run(Variant.DENSE, c, f, 0), factory, input, denseTopic, dense.name()));
          keepBest(best, throughputRun(new Run(Variant.COMPRESSED, c, f, 0), factory, input, compressedTopic,
              compressed.name()));
        }
        for (double rate : settings.shadowRates()) {
          keepBest(best, throughputRun(new Run(Variant.SHADOW, c, primary, rate), factory, input, bothTopic,
              compressed.name()));
        }
      }
      rows.addAll(best.values());
    }

    SwapResult swap = null;
    if (settings.swaps() > 0) {
      double rate = settings.swapRate();
      if (rate == 0) {
        ThroughputRow r = null;
        for (ThroughputRow t : rows) {
          if (t.variant() == Variant.COMPRESSED && t.candidates() == settings.swapCandidates()) {
            r = t;
          }
        }
        rate = r == null ? 200 : Math.max(10, Math.floor(r.impressionsPerSecond() / 2));
      }
      swap = new SwapPhase(this, rate).run();
    }
    return new LoadTestResult(settings, rows, swap, loadBefore, loadAverage());
  }

  /**
   * Keeps the faster row per variant, format and shadow rate; a row that lost or repeated scores
   * always stays visible.
   */
  private static void keepBest(Map<String, ThroughputRow> best, ThroughputRow r) {
    String key = r.variant() + "/" + r.format() + "/" + r.shadowRate();
    ThroughputRow b = best.get(key);
    if (b == null || (b.exactlyOnce() && (!r.exactlyOnce() || r.impressionsPerSecond() > b.impressionsPerSecond()))) {
      best.put(key, r);
    }
  }

  /**
   * One throughput run's shape.
   *
   * @param variant topology variant
   * @param candidates candidates per impression
   * @param format {@code scores.format}
   * @param shadowRate {@code shadow.sample.rate} of a {@link Variant#SHADOW} run (0 otherwise)
   */
  record Run(Variant variant, int candidates, String format, double shadowRate) {
    boolean perImpression() {
      return LoadTestSettings.PER_IMPRESSION.equals(format);
    }

    String label() {
      return variant.label().replace('+', '-') + (variant == Variant.SHADOW ? "-" + LoadTestResult.rateLabel(shadowRate) : "")
          + (perImpression() ? "-pi" : "") + "-c" + candidates;
    }
  }

  /**
   * Score records each event of {@code factory} must get in {@code run}: 1 per candidate or 1
   * per impression, twice for events the shadow samples (the topology's own choice,
   * {@link ShadowSampling}, on the event id the factory wrote).
   */
  private int[] expectedPerEvent(Run run, ImpressionFactory factory) {
    int[] e = new int[settings.impressions()];
    int live = run.perImpression() ? 1 : run.candidates();
    for (int i = 0; i < e.length; i++) {
      boolean shadowed = run.variant() == Variant.SHADOW
          && ShadowSampling.sampled(factory.eventId(i).getBytes(java.nio.charset.StandardCharsets.UTF_8), run.shadowRate());
      e[i] = shadowed ? 2 * live : live;
    }
    return e;
  }

  /** One application over {@code input} until every score is committed. */
  private ThroughputRow throughputRun(Run run, ImpressionFactory factory, String input, String modelsTopic,
      String modelName) throws InterruptedException {
    Variant v = run.variant();
    int candidates = run.candidates();
    String scores = name("scores-" + run.label());
    createTopics(List.of(KafkaTopics.plain(scores, settings.partitions())));
    Map<String, Object> props = appProps(run.label(), input, scores,
        modelsTopic == null ? name("models-unused") : modelsTopic, modelName == null ? "unused" : modelName);
    props.put(TopologyConfig.SCORES_FORMAT_CONFIG, run.format());
    if (v == Variant.SHADOW) {
      props.put(TopologyConfig.SHADOW_MODEL_NAME_CONFIG, LoadModels.spec(false).name());
      props.put(TopologyConfig.SHADOW_SAMPLE_RATE_CONFIG, String.valueOf(run.shadowRate()));
    }
    TopologyConfig config = new TopologyConfig(props);
    int[] perEvent = expectedPerEvent(run, factory);
    long expected = 0;
    for (int e : perEvent) {
      expected += e;
    }
    String applicationId = (String) config.streamsProperties().get(StreamsConfig.APPLICATION_ID_CONFIG);
    ScoreCounter.Count count;
    long cpu0 = CpuMeter.processCpuNanos();
    long cpu1;
    long streamCpu;
    try (ScoreCounter counter = new ScoreCounter(bootstrap, scores, settings.impressions())) {
      if (v == Variant.PASS_THROUGH) {
        KafkaStreams ks = new KafkaStreams(PassThroughTopology.build(config), config.streamsProperties());
        ks.start();
        try {
          awaitRunning(ks);
          count = counter.await(System.nanoTime(), expected, perEvent, Duration.ofSeconds(60), 300);
          cpu1 = CpuMeter.processCpuNanos();
          streamCpu = CpuMeter.streamThreadCpuNanos(applicationId);
        } finally {
          ks.close(CloseOptions.timeout(Duration.ofSeconds(30))
              .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        }
      } else {
        TopologyApp app = startApp(config);
        try {
          count = counter.await(System.nanoTime(), expected, perEvent, Duration.ofSeconds(60), 300);
          cpu1 = CpuMeter.processCpuNanos();
          streamCpu = CpuMeter.streamThreadCpuNanos(applicationId);
        } finally {
          app.close();
        }
      }
    }
    double seconds = count.seconds();
    // score records per second -> impressions per second: every impression stands for
    // expected / impressions records on average
    double ips = count.scoresPerSecond() * settings.impressions() / expected;
    ThroughputRow row = new ThroughputRow(v, candidates, run.format(), run.shadowRate(), settings.impressions(),
        expected, count.total(), seconds, ips, ips * candidates, count.eventsMissing(), count.eventsDuplicated(),
        CpuMeter.microsPer(streamCpu, settings.impressions()),
        CpuMeter.microsPer(cpu0 < 0 || cpu1 < 0 ? -1 : cpu1 - cpu0, settings.impressions()));
    progress.printf(Locale.ROOT,
        "  %-18s %-14s c=%-3d %,10.0f impr/s %,10.0f cand/s  (%,d score records in %.2f s, exactly once: %s; CPU per"
            + " impression: stream thread %.1f us, process %.1f us)%n",
        row.label(), run.format(), candidates, row.impressionsPerSecond(), row.candidatesPerSecond(), count.total(),
        seconds, row.exactlyOnce(), row.streamCpuMicros(), row.processCpuMicros());
    return row;
  }

  /** Waits (polling every millisecond: the wait ends the untimed start-up) until RUNNING. */
  private static void awaitRunning(KafkaStreams ks) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (ks.state() != KafkaStreams.State.RUNNING) {
      if (System.nanoTime() > deadline || ks.state() == KafkaStreams.State.ERROR) {
        throw new IllegalStateException("pass-through app did not reach RUNNING within 60 s (state " + ks.state() + ")");
      }
      Thread.sleep(1);
    }
  }

  /** Starts the real scoring app; closes it when it fails to start. */
  TopologyApp startApp(TopologyConfig config) throws InterruptedException {
    TopologyApp app;
    try {
      app = TopologyApp.start(config);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the scoring app", e);
    }
    if (!app.awaitRunning(Duration.ofSeconds(60))) {
      app.close();
      throw new IllegalStateException("scoring app " + config.streamsProperties().get(StreamsConfig.APPLICATION_ID_CONFIG)
          + " did not reach RUNNING within 60 s (state " + app.streams().state() + ")");
    }
    return app;
  }

  /** Topology properties of one app: unique id, topics (clicks and labeled with labels on), metrics endpoint off. */
  Map<String, Object> appProps(String label, String input, String scores, String modelsTopic, String modelName) {
    Map<String, Object> p = new HashMap<>();
    p.put(TopologyConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(TopologyConfig.APPLICATION_ID_CONFIG, name("app-" + label));
    p.put(TopologyConfig.IMPRESSIONS_TOPIC_CONFIG, input);
    p.put(TopologyConfig.SCORES_TOPIC_CONFIG, scores);
    p.put(TopologyConfig.MODELS_TOPIC_CONFIG, modelsTopic);
    p.put(TopologyConfig.MODEL_NAME_CONFIG, modelName);
    String dlq = name("dlq-" + label);
    createTopics(List.of(KafkaTopics.plain(dlq, 1)));
    p.put(TopologyConfig.DLQ_TOPIC_CONFIG, dlq);
    String clicks = name("clicks-" + label);
    String labeled = name("labeled-" + label);
    if (settings.labelsEnabled()) {
      // no clicks are produced: every impression is joined, kept in the join's state and waits
      // for its window, as in production
      createTopics(List.of(KafkaTopics.plain(clicks, settings.partitions()), KafkaTopics.plain(labeled, 1)));
    }
    p.put(TopologyConfig.CLICKS_TOPIC_CONFIG, clicks);
    p.put(TopologyConfig.LABELED_TOPIC_CONFIG, labeled);
    p.put(TopologyConfig.METRICS_ENABLED_CONFIG, "false");
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, String.valueOf(settings.streamThreads()));
    p.putAll(settings.streamsOverrides());
    p.put(TopologyConfig.SCORES_FORMAT_CONFIG, settings.primaryScoresFormat()); // the settings' formats win
    return p;
  }

  /** Produces {@code n} impressions as fast as the producer goes and flushes. */
  void produce(String topic, ImpressionFactory f, int n) {
    try (KafkaProducer<byte[], byte[]> p = producer()) {
      p.partitionsFor(topic); // metadata first: the topic was just created
      long now = System.currentTimeMillis();
      for (int i = 0; i < n; i++) {
        Impression imp = f.impression(i, now);
        p.send(new ProducerRecord<>(topic, ImpressionFactory.key(imp), f.encode(imp)));
      }
      p.flush();
    }
  }

  /**
   * The load producer: acks=all, one request in flight, not idempotent. With the idempotent
   * producer the embedded broker answered OUT_OF_ORDER_SEQUENCE_NUMBER on freshly created
   * partitions and a few records were lost; one in-flight request keeps order without it, and
   * the per-event score counts would reveal any duplicate.
   */
  KafkaProducer<byte[], byte[]> producer() {
    Map<String, Object> pc = new HashMap<>();
    pc.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    pc.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    pc.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    pc.put(ProducerConfig.ACKS_CONFIG, "all");
    pc.put(ProducerConfig.CLIENT_ID_CONFIG, name("load-producer"));
    pc.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
    pc.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    return new KafkaProducer<>(pc);
  }

  /** A byte[] consumer of committed scores, without a group (the readers assign partitions). */
  static Map<String, Object> scoreReaderConfig(String bootstrap) {
    return Clients.committedReader(bootstrap, null);
  }

  ModelPublisher publisher(String modelsTopic) {
    return new ModelPublisher(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), modelsTopic);
  }

  void createTopics(List<NewTopic> topics) {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      KafkaTopics.ensure(admin, topics);
    }
  }

  /**
   * A topic / application id unique to this call: rounds of the same variant must neither
   * resume the previous round's committed offsets nor count its scores.
   */
  String name(String what) {
    return runId + "-" + what + "-" + names.incrementAndGet();
  }

  LoadTestSettings settings() {
    return settings;
  }

  PrintStream progress() {
    return progress;
  }

  String bootstrap() {
    return bootstrap;
  }

  /**
   * Decodes and swaps the compressed model in a throwaway registry for about a second (.ctrm
   * decode and checks, scorer preparation, SHA-256), so C2 has compiled the swap path before the
   * swap phase, as in a server that has swapped before. Without it the first swaps of a run
   * measured the JIT compiling that path on the 2 cores the scoring thread runs on.
   */
  private void warmUpSwapPath(String modelName, byte[] ctrm) {
    ModelRegistry registry = new ModelRegistry(modelName);
    long deadline = System.nanoTime() + 1_000_000_000L;
    for (long v = 1; v <= 3 || System.nanoTime() < deadline; v++) {
      ModelManifest manifest = ModelManifest.newBuilder()
          .setModel(modelName).setVersion(v).setChunkCount(1).setTotalBytes(ctrm.length)
          .setSha256(ModelRecords.sha256Hex(ctrm)).setCreatedAtEpochMs(System.currentTimeMillis())
          .setMetadata(new HashMap<>())
          .build();
      if (registry.offer(manifest, ctrm) != ModelRegistry.Outcome.SWAPPED) {
        throw new IllegalStateException("warm-up swap to v" + v + " of " + modelName + " was not served");
      }
    }
  }

  /**
   * Runs both scorers in this process first so the first measured app does not pay for C2
   * compiling the kernels (the apps' stream threads then run already compiled code).
   */
  private void warmUpScorers(CtrModel... models) {
    int batch = settings.candidateCounts().stream().mapToInt(Integer::intValue).max().orElse(1);
    Random rnd = new Random(settings.seed());
    for (CtrModel m : models) {
      ModelSpec spec = m.spec();
      Scorer s = m.scorer();
      FeatureVector ctx = io.ctrstreams.bench.BenchModels.vector(spec, rnd);
      FeatureVector[] cands = new FeatureVector[batch];
      for (int i = 0; i < batch; i++) {
        cands[i] = io.ctrstreams.bench.BenchModels.vector(spec, rnd);
      }
      float[] out = new float[batch];
      long deadline = System.nanoTime() + 1_000_000_000L;
      while (System.nanoTime() < deadline) {
        s.scoreLogitsBatch(ctx, cands, batch, out);
      }
    }
  }

  /** {@code /proc/loadavg} (first three fields), or "n/a". */
  public static String loadAverage() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/loadavg"))) {
      String l = lines.findFirst().orElse("");
      String[] f = l.split(" ");
      return f.length >= 3 ? f[0] + " " + f[1] + " " + f[2] : "n/a";
    } catch (IOException | RuntimeException e) {
      return "n/a";
    }
  }

  @Override
  public void close() {
    if (broker != null) {
      broker.close();
    }
    if (stateDir != null) {
      try (Stream<Path> walk = Files.walk(stateDir)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        progress.println("could not delete state dir " + stateDir + ": " + e);
      }
    }
  }
}
