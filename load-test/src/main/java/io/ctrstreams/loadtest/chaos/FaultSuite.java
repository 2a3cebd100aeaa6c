package io.ctrstreams.loadtest.chaos;

import io.ctrstreams.loadtest.Clients;
import io.ctrstreams.serving.KafkaTopics;
import io.ctrstreams.loadtest.ImpressionFactory;
import io.ctrstreams.loadtest.LoadModels;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.serving.ModelPublisher;
import io.ctrstreams.topology.TopologyConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The fault suite (issue 13): every {@link Fault} against a real broker and real {@code ctr
 * topology} services in child JVMs ({@link Services}), with impressions produced at a steady rate
 * through the fault ({@link Feeder}) and every committed score counted ({@link Watcher},
 * {@link ScoreLedger}). One broker for the whole run; each case has its own topics, application
 * id and state dirs, and stops its instances when done. The compressed Criteo DNN of the load
 * test ({@link LoadModels}) is the served model, 2 candidates per impression.
 *
 * <p>A case first waits until a quarter of its impressions are scored (mid-stream), then
 * applies the fault, keeps producing until every partition has a score scored after the fault
 * (or its deadline passes, or a crash leaves scoring stalled for {@value #STALL_SECONDS} s),
 * waits for every sent candidate, and settles 3 s so late duplicates show.
 */
public final class FaultSuite {
  /** Main class of the child JVMs: the {@code ctr} launcher ({@code broker}, {@code topology}). */
  public static final String CTR_MAIN = "io.ctrstreams.cli.Ctr";

  static final int PARTITIONS = 3;
  static final int CANDIDATES = 2;
  /** Characters of the hostile record's event id (the issue's ~1 MB record). */
  static final int PILL_CHARS = 1_000_000;
  /** Nesting depth of the hostile JSON record. */
  static final int NESTING = 100_000;
  private static final long STALL_SECONDS = 20;
  private static final Duration FAULT_DEADLINE = Duration.ofSeconds(180);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);

  /** The cases, in the order they run. */
  public enum Fault {
    /** kill -9 of the only topology instance mid-stream, restarted at once. */
    TOPOLOGY_KILL("topology-kill9", "kill -9 of the only topology instance mid-stream; restarted at once"),
    /** kill -9 of the broker mid-stream, restarted on the same log dir. */
    BROKER_KILL("broker-kill9", "kill -9 of the broker mid-stream; restarted on its log dir"),
    /** kill -9 of one of two instances, no restart: the survivor must take its partitions. */
    FAILOVER("failover", "kill -9 of one of two topology instances, not restarted"),
    /** A valid JSON impression whose event id has 1,000,000 characters (~1 MB record). */
    POISON_1MB("poison-1mb", "a ~1 MB impression (1,000,000-char eventId)"),
    /** A truncated JSON impression. */
    MALFORMED_JSON("malformed-json", "a truncated JSON impression"),
    /** A JSON impression with a feature value nested {@value #NESTING} arrays deep. */
    DEEP_NESTING("deep-nesting", "JSON nested 100,000 arrays deep"),
    /** A corrupt model version (a flipped byte in its .ctrm) published on the models topic. */
    CORRUPT_MODEL("corrupt-model", "a corrupt model version on the models topic");

    private final String label;
    private final String description;

    Fault(String label, String description) {
      this.label = label;
      this.description = description;
    }

    /** The name on the command line and in the table. */
    public String label() {
      return label;
    }

    /** One line on what the case does. */
    public String description() {
      return description;
    }

    /** The fault named {@code label}. */
    public static Fault of(String label) {
      for (Fault f : values()) {
        if (f.label.equals(label)) {
          return f;
        }
      }
      throw new IllegalArgumentException("unknown case '" + label + "'; cases: "
          + String.join(", ", Arrays.stream(values()).map(Fault::label).toList()));
    }

    boolean hostileRecord() {
      return this == POISON_1MB || this == MALFORMED_JSON || this == DEEP_NESTING;
    }
  }

  /**
   * What to run.
   *
   * @param faults the cases, run in enum order
   * @param impressions impressions per case at least (production goes on until recovery)
   * @param perSecond production rate, impressions per second
   * @param mainClass main class of the child JVMs ({@link #CTR_MAIN})
   */
  public record Settings(List<Fault> faults, int impressions, double perSecond, String mainClass) {
    /** Validates. */
    public Settings {
      faults = faults.stream().distinct().sorted().toList();
      if (faults.isEmpty()) {
        throw new IllegalArgumentException("at least one case must run");
      }
      if (impressions < 8) {
        throw new IllegalArgumentException("impressions per case must be >= 8, found " + impressions);
      }
      if (!(perSecond > 0 && perSecond <= 10_000)) {
        throw new IllegalArgumentException("impressions per second must be in (0, 10000], found " + perSecond);
      }
    }

    /** Every case, 2,000 impressions each at 200/s, children running {@link #CTR_MAIN}. */
    public static Settings defaults() {
      return new Settings(List.of(Fault.values()), 2_000, 200, CTR_MAIN);
    }
  }

  private final Settings settings;
  private final PrintStream progress;
  private final Services services;
  private final String runId = "chaos-" + Long.toString(System.currentTimeMillis(), 36);
  private final CtrModel model = LoadModels.model(true, 1);
  private final byte[] modelBytes = LoadModels.ctrm(model);
  private String sharedModels;

  private FaultSuite(Settings settings, PrintStream progress, Path workDir) {
    this.settings = settings;
    this.progress = progress;
    this.services = new Services(settings.mainClass(), workDir);
  }

  /**
   * Runs the cases of {@code settings}, a progress line per step to {@code progress}; kills every
   * child JVM before returning. The work dir (logs, broker data, state) is deleted when every
   * case passed, kept and named otherwise.
   */
  public static ChaosReport run(Settings settings, PrintStream progress) throws InterruptedException {
    long t0 = System.nanoTime();
    Path work;
    try {
      work = Files.createTempDirectory("ctr-chaos-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the suite's work dir", e);
    }
    List<CaseResult> rows = new ArrayList<>();
    FaultSuite suite = new FaultSuite(settings, progress, work);
    try {
      suite.start();
      int i = 0;
      for (Fault f : settings.faults()) {
        i++;
        progress.printf(Locale.ROOT, "[%d/%d] %s: %s ...%n", i, settings.faults().size(), f.label(), f.description());
        CaseResult r = suite.runCase(f);
        rows.add(r);
        progress.printf(Locale.ROOT, "[%d/%d] %s: tried %d, lost %d, duplicated %d, crashed %s, recover %s: %s%n",
            i, settings.faults().size(), f.label(), r.tried(), r.lost(), r.duplicated(),
            r.crashed().isEmpty() ? "no" : r.crashed(), ChaosReport.recovery(r), r.note());
      }
    } finally {
      suite.services.close();
      ChildJvm.killAll();
    }
    ChaosReport report = new ChaosReport(rows, (System.nanoTime() - t0) / 1_000_000);
    if (report.failed()) {
      progress.println("logs and data kept in " + work);
    } else {
      deleteRecursively(work);
    }
    return report;
  }

  private void start() throws InterruptedException {
    progress.println("starting the broker (child JVM) in " + services.workDir() + " ...");
    services.startBroker();
    sharedModels = name("models");
    publishModel(sharedModels);
    progress.printf(Locale.ROOT, "broker %s up; model %s v1 (%,d bytes) on %s%n", services.bootstrap(), model.name(),
        modelBytes.length, sharedModels);
  }

  private String name(String what) {
    return runId + "-" + what;
  }

  private void publishModel(String topic) {
    services.createTopics(List.of(KafkaTopics.compacted(topic, 1)));
    try (ModelPublisher p = publisher(topic)) {
      p.publish(model.name(), 1, modelBytes, Map.of());
    }
  }

  private ModelPublisher publisher(String topic) {
    return new ModelPublisher(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, services.bootstrap()), topic);
  }

  /** One case; a failure of the suite itself becomes a failed row, never a missing one. */
  private CaseResult runCase(Fault f) throws InterruptedException {
    Case c = new Case(f);
    try {
      return c.run();
    } catch (RuntimeException e) {
      return new CaseResult(f.label(), c.tried(), 0, 0, c.crash(), -1, -1, false,
          "suite error: " + e.getMessage());
    } finally {
      c.close();
    }
  }

  /** The state of one case. */
  private final class Case {
    private volatile int stalledSeen;
    private volatile long stalledAfterMs;
    private final Fault fault;
    private final String prefix;
    private final Map<String, String> topics = new LinkedHashMap<>();
    private final ScoreLedger ledger = new ScoreLedger(PARTITIONS);
    private final List<Services.Topology> instances = new ArrayList<>();
    private Watcher watcher;
    private Feeder feeder;
    private String modelsTopic;
    private long faultMs;

    Case(Fault fault) {
      this.fault = fault;
      this.prefix = name(fault.label());
    }

    CaseResult run() throws InterruptedException {
      modelsTopic = sharedModels;
      if (fault == Fault.CORRUPT_MODEL) {
        modelsTopic = prefix + "-models";
        publishModel(modelsTopic);
      }
      topics.put(TopologyConfig.IMPRESSIONS_TOPIC_CONFIG, prefix + "-impressions");
      topics.put(TopologyConfig.SCORES_TOPIC_CONFIG, prefix + "-scores");
      topics.put(TopologyConfig.DLQ_TOPIC_CONFIG, prefix + "-dlq");
      topics.put(TopologyConfig.CLICKS_TOPIC_CONFIG, prefix + "-clicks");
      topics.put(TopologyConfig.LABELED_TOPIC_CONFIG, prefix + "-labeled");
      topics.put(TopologyConfig.MODELS_TOPIC_CONFIG, modelsTopic);
      List<NewTopic> create = new ArrayList<>();
      for (String k : List.of(TopologyConfig.IMPRESSIONS_TOPIC_CONFIG, TopologyConfig.SCORES_TOPIC_CONFIG,
          TopologyConfig.DLQ_TOPIC_CONFIG)) {
        create.add(KafkaTopics.plain(topics.get(k), PARTITIONS));
      }
      services.createTopics(create);
      if (fault == Fault.FAILOVER) {
        // the survivor reports the dead instance's partitions while they wait for the session timeout
        topics.put(TopologyConfig.HEALTH_STALL_THRESHOLD_MS_CONFIG, "3000");
        topics.put(TopologyConfig.HEALTH_PROGRESS_INTERVAL_MS_CONFIG, "500");
      }
      int n = fault == Fault.FAILOVER ? 2 : 1;
      for (int i = 0; i < n; i++) {
        instances.add(services.topology(fault.label() + "-" + (char) ('a' + i), prefix + "-app", model.name(), topics));
      }
      for (Services.Topology t : instances) {
        t.start();
      }
      for (Services.Topology t : instances) {
        t.awaitReady(READY_TIMEOUT);
      }
      watcher = new Watcher(services, ledger, topics.get(TopologyConfig.SCORES_TOPIC_CONFIG),
          topics.get(TopologyConfig.DLQ_TOPIC_CONFIG), 1);
      instances.forEach(watcher::watch);
      feeder = new Feeder(services.bootstrap(), topics.get(TopologyConfig.IMPRESSIONS_TOPIC_CONFIG),
          new ImpressionFactory(LoadModels.spec(true), CANDIDATES, prefix + "-e", fault.ordinal()), ledger,
          settings.perSecond());

      int quarter = settings.impressions() / 4 * CANDIDATES;
      if (!waitFor(FAULT_DEADLINE, () -> locked(() -> ledger.scoredCandidates() >= quarter) || !watcher.crash().isEmpty())) {
        throw new IllegalStateException("fewer than " + quarter + " candidates scored before the fault (see "
            + services.workDir() + ")");
      }
      String hostileKey = prefix + "-hostile";
      String faultNote = applyFault(hostileKey);

      // Keep producing until every partition resumed after the fault and enough was sent.
      long faultNanos = System.nanoTime();
      waitFor(FAULT_DEADLINE, () -> (feeder.sent() >= settings.impressions()
          && locked(() -> ledger.everyPartitionResumedAfterMs() >= 0)) || stalledAfterCrash());
      feeder.close();
      Duration left = FAULT_DEADLINE.minusNanos(System.nanoTime() - faultNanos);
      waitFor(left.isNegative() ? Duration.ofSeconds(10) : left, () -> locked(ledger::allScored) || stalledAfterCrash());
      Thread.sleep(3_000); // settle: a replayed transaction would add its duplicates now
      return result(hostileKey, faultNote);
    }

    /** Applies the fault; returns what the note should say about it. */
    private String applyFault(String hostileKey) throws InterruptedException {
      switch (fault) {
        case TOPOLOGY_KILL -> {
          instances.get(0).jvm().kill9();
          mark();
          instances.get(0).start();
          return "restart-to-first-score";
        }
        case BROKER_KILL -> {
          services.broker().kill9();
          mark();
          services.startBroker();
          return "broker back after " + (System.currentTimeMillis() - faultMs) + " ms";
        }
        case FAILOVER -> {
          instances.get(0).jvm().kill9();
          mark();
          Services.Topology survivor = instances.get(1);
          Thread t = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted() && stalledSeen == 0) {
              long n = survivor.body("/health/ready").lines().filter(l -> l.startsWith("stalled=")).count();
              if (n > 0) {
                stalledSeen = (int) n;
                stalledAfterMs = System.currentTimeMillis() - faultMs;
              }
              try {
                Thread.sleep(250);
              } catch (InterruptedException e) {
                return;
              }
            }
          }, "chaos-stall-probe");
          t.setDaemon(true);
          t.start();
          return "failover to the survivor";
        }
        case POISON_1MB -> {
          String v = "{\"eventId\":\"" + "x".repeat(PILL_CHARS) + "\",\"candidates\":[{\"adId\":\"a\"}]}";
          sendHostile(hostileKey, v);
          return "";
        }
        case MALFORMED_JSON -> {
          sendHostile(hostileKey, "{\"eventId\":\"" + hostileKey + "\",\"candidates\":[{\"adId\":");
          return "";
        }
        case DEEP_NESTING -> {
          sendHostile(hostileKey, "{\"eventId\":\"" + hostileKey + "\",\"candidates\":[{\"adId\":\"a\",\"features\":{\"C20\":"
              + "[".repeat(NESTING) + "]".repeat(NESTING) + "}}]}");
          return "";
        }
        case CORRUPT_MODEL -> {
          byte[] bad = LoadModels.ctrm(LoadModels.model(true, 2));
          bad[bad.length / 2] ^= 0x5A; // inside a tensor payload: the record CRC must catch it
          mark();
          try (ModelPublisher p = publisher(modelsTopic)) {
            p.publish(model.name(), 2, bad, Map.of(), true); // forced: the scorers must reject it
          }
          Services.Topology t = instances.get(0);
          waitFor(Duration.ofSeconds(60), () -> !rejections(t.metrics()).isEmpty());
          String r = rejections(t.metrics());
          return r.isEmpty() ? "v2 NOT rejected within 60 s" : "v2 rejected (" + r + ")";
        }
        default -> throw new IllegalStateException("unhandled fault " + fault);
      }
    }

    private void mark() {
      faultMs = System.currentTimeMillis();
      synchronized (ledger) {
        ledger.markFault(faultMs);
      }
    }

    /** Sends one hostile record with a producer allowed ~2 MB requests; the fault is its send. */
    private void sendHostile(String key, String json) {
      Map<String, Object> pc = Clients.idempotentProducer(services.bootstrap(), "ctr-chaos-hostile");
      pc.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Services.BROKER_MESSAGE_MAX_BYTES);
      try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(pc)) {
        mark();
        p.send(new ProducerRecord<>(topics.get(TopologyConfig.IMPRESSIONS_TOPIC_CONFIG),
            key.getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8))).get();
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException("the broker refused the hostile record: " + e.getCause(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }

    private CaseResult result(String hostileKey, String faultNote) {
      int lost;
      long dup;
      long recover;
      long all;
      synchronized (ledger) {
        lost = ledger.lost();
        dup = ledger.duplicated();
        recover = ledger.everyPartitionResumedAfterMs();
        all = ledger.allScoredAfterMs();
      }
      List<String> note = new ArrayList<>();
      if (!faultNote.isEmpty()) {
        note.add(faultNote);
      }
      boolean expectation = true;
      if (fault.hostileRecord()) {
        String reason = watcher.dlqReason(hostileKey);
        boolean scored = fault == Fault.POISON_1MB && watcher.hugeScores() > 0;
        if (reason != null) {
          note.add("hostile record -> DLQ (" + reason + ")");
        } else if (scored) {
          note.add("hostile record scored");
        } else {
          note.add("hostile record neither scored nor dead-lettered");
          lost++;
        }
      }
      if (fault == Fault.FAILOVER) {
        note.add(stalledSeen > 0
            ? String.format(Locale.ROOT, "survivor's /health/ready listed %d stalled partition(s) %.1f s after the kill",
                stalledSeen, stalledAfterMs / 1e3)
            : "survivor listed no stalled partition");
        expectation = stalledSeen > 0;
      }
      if (fault == Fault.CORRUPT_MODEL) {
        expectation = faultNote.startsWith("v2 rejected") && watcher.otherVersionScores() == 0;
        note.add(watcher.otherVersionScores() == 0 ? "v1 kept serving"
            : watcher.otherVersionScores() + " scores by another version");
      }
      List<Integer> notResumed;
      synchronized (ledger) {
        notResumed = ledger.partitionsNotResumed();
      }
      if (lost > 0 && !notResumed.isEmpty()) {
        note.add("partitions without a score after the fault " + notResumed);
      }
      if (feeder.failedSends() > 0) {
        note.add(feeder.failedSends() + " sends failed (not counted)");
      }
      int tried = tried();
      return new CaseResult(fault.label(), tried, lost, dup, watcher.crash(), recover, all, expectation,
          String.join("; ", note));
    }

    int tried() {
      synchronized (ledger) {
        return ledger.sentImpressions() + (fault.hostileRecord() ? 1 : 0);
      }
    }

    String crash() {
      return watcher == null ? "" : watcher.crash();
    }

    private boolean stalledAfterCrash() {
      return !watcher.crash().isEmpty() && watcher.nanosSinceLastScore() > STALL_SECONDS * 1_000_000_000L;
    }

    private boolean locked(BooleanSupplier s) {
      synchronized (ledger) {
        return s.getAsBoolean();
      }
    }

    void close() throws InterruptedException {
      try {
        if (feeder != null) {
          feeder.close();
        }
      } finally {
        if (watcher != null) {
          watcher.close();
        }
        for (Services.Topology t : instances) {
          if (t.jvm() != null) {
            t.jvm().close();
          }
        }
      }
    }
  }

  /** {@code ctr_model_swaps_rejected_total} samples above zero, "reason=n" joined, or "". */
  static String rejections(String metrics) {
    List<String> out = new ArrayList<>();
    for (String line : metrics.split("\n")) {
      if (line.startsWith("ctr_model_swaps_rejected_total{")) {
        int sp = line.lastIndexOf(' ');
        double v = Double.parseDouble(line.substring(sp + 1));
        int r = line.indexOf("reason=\"");
        if (v > 0 && r >= 0) {
          out.add(line.substring(r + 8, line.indexOf('"', r + 8)) + "=" + (long) v);
        }
      }
    }
    return String.join(",", out);
  }

  /** Polls {@code condition} every 100 ms until it holds (true) or {@code timeout} passes (false). */
  static boolean waitFor(Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(100);
    }
    return true;
  }

  private static void deleteRecursively(Path root) {
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a leftover temp dir is not worth failing the report for
    }
  }
}
