package io.ctrstreams.loadtest.exchange;

import io.ctrstreams.loadtest.chaos.ChildJvm;
import io.ctrstreams.schemas.LabeledExample;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.serving.KafkaTopics;
import io.ctrstreams.trainer.data.RawField;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.SyntheticStream;
import io.ctrstreams.trainer.online.OnlineTrainerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Scaling of data-parallel training ({@code ctr trainer} with {@code exchange.enabled}, issue 15)
 * with the number of worker processes on this host: a broker in its own JVM, the labeled topic
 * filled with synthetic examples (8 partitions), then for each n a group of n {@code ctr trainer}
 * worker JVMs ({@link ChildJvm}, serial GC, the default model: DNN, embedding dim 8, 2,000 hashed
 * rows, MLP 128-64) on it. After a warm-up, the workers' Prometheus counters are read twice, a
 * measuring window apart: examples/s (rounds x {@code exchange.round.examples}, summed over
 * the workers), round time and its split by phase ({@code ctr_trainer_exchange_phase_seconds_total}:
 * read, gradient, send, wait, update) and bytes per round. A window in which the epoch changed
 * (a rebalance) is reported as such.
 *
 * <p>Run: {@code java -cp cli/target/ctr.jar io.ctrstreams.loadtest.exchange.DataParallelScalingBench
 * [workers=1,2] [warmup=20] [seconds=60] [examples=1500000] [set=NAME=VALUE,...]}; {@code set}
 * passes trainer settings to every worker (e.g. {@code exchange.shift=touched-rows}).
 */
public final class DataParallelScalingBench {
  private static final String MAIN = "io.ctrstreams.cli.Ctr";
  private static final String[] PHASES = {"read", "gradient", "send", "wait", "update"};
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private DataParallelScalingBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (String s : args) {
      int eq = s.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("arguments are name=value, found " + s);
      }
      a.put(s.substring(0, eq), s.substring(eq + 1));
    }
    List<Integer> ns = new ArrayList<>();
    for (String s : a.getOrDefault("workers", "1,2").split(",")) {
      ns.add(Integer.parseInt(s.trim()));
    }
    int warmup = Integer.parseInt(a.getOrDefault("warmup", "20"));
    int seconds = Integer.parseInt(a.getOrDefault("seconds", "60"));
    int examples = Integer.parseInt(a.getOrDefault("examples", "1500000"));
    Map<String, String> sets = new LinkedHashMap<>();
    if (a.containsKey("set")) {
      for (String kv : a.get("set").split(",")) {
        sets.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
      }
    }
    int roundExamples = Integer.parseInt(sets.getOrDefault(OnlineTrainerConfig.EXCHANGE_ROUND_EXAMPLES_CONFIG, "256"));
    Path work = Files.createTempDirectory("ctr-dp-scaling");
    int port = freePort();
    int controller = freePort();
    String bootstrap = "127.0.0.1:" + port;
    System.out.printf(Locale.ROOT, "work dir %s, %d processors, load average %.2f%n", work,
        Runtime.getRuntime().availableProcessors(),
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    try (ChildJvm broker = ChildJvm.start("broker", "1g", work.resolve("broker.log"), MAIN, List.of("broker",
        "--port", Integer.toString(port), "--controller-port", Integer.toString(controller), "--log-dir",
        work.resolve("kafka").toString(), "--broker-property", "message.max.bytes=" + (32 << 20)))) {
      await("broker (log: " + broker.log() + ")", 120, () -> brokerAnswers(bootstrap));
      String labeled = "labeled-scaling";
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        KafkaTopics.ensure(admin, List.of(KafkaTopics.plain(labeled, 8)));
      }
      long p0 = System.nanoTime();
      produce(bootstrap, labeled, examples);
      System.out.printf(Locale.ROOT, "produced %,d labeled examples in %.1f s%n", examples, (System.nanoTime() - p0) / 1e9);
      System.out.println("| workers | examples/s (all) | per worker | round ms | read | gradient | send | wait | update "
          + "| sent bytes/round/worker | epoch stable |");
      System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
      for (int n : ns) {
        runGroup(work, bootstrap, labeled, n, warmup, seconds, roundExamples, sets);
      }
    } finally {
      ChildJvm.killAll();
      deleteTree(work.resolve("kafka")); // the broker's data (GBs with uncompressed); the logs stay
      System.out.println("logs in " + work);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static void runGroup(Path work, String bootstrap, String labeled, int n, int warmup, int seconds,
      int roundExamples, Map<String, String> sets) throws Exception {
    String tag = "n" + n + "-" + System.nanoTime() % 100_000;
    List<ChildJvm> jvms = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        int mp = freePort();
        ports.add(mp);
        List<String> args = new ArrayList<>(List.of("trainer", "--bootstrap-servers", bootstrap, "--create-topics",
            "--metrics-port", Integer.toString(mp)));
        Map<String, String> s = new LinkedHashMap<>();
        s.put(OnlineTrainerConfig.EXCHANGE_ENABLED_CONFIG, "true");
        s.put(OnlineTrainerConfig.EXCHANGE_WORKER_ID_CONFIG, "worker-" + i);
        s.put(OnlineTrainerConfig.GROUP_ID_CONFIG, "dp-" + tag);
        s.put(OnlineTrainerConfig.LABELED_TOPIC_CONFIG, labeled);
        s.put(OnlineTrainerConfig.EXCHANGE_TOPIC_CONFIG, "exchange-" + tag);
        s.put(OnlineTrainerConfig.MODEL_UPDATES_TOPIC_CONFIG, "updates-" + tag);
        s.put("consumer.session.timeout.ms", "10000");
        s.putAll(sets);
        for (Map.Entry<String, String> e : s.entrySet()) {
          args.add("--set");
          args.add(e.getKey() + "=" + e.getValue());
        }
        jvms.add(ChildJvm.start("worker-" + i, "1500m", work.resolve(tag + "-worker-" + i + ".log"), MAIN, args));
      }
      await(n + " workers in one epoch", 300, () -> {
        for (int i = 0; i < n; i++) {
          Map<String, Double> m = scrape(ports.get(i));
          if (m.getOrDefault("ctr_trainer_exchange_workers", 0.0) != n
              || m.getOrDefault("ctr_trainer_exchange_rounds_total", 0.0) < 1) {
            return false;
          }
        }
        return true;
      });
      Thread.sleep(warmup * 1000L);
      List<Map<String, Double>> before = new ArrayList<>();
      long t0 = System.nanoTime();
      for (int p : ports) {
        before.add(scrape(p));
      }
      Thread.sleep(seconds * 1000L);
      List<Map<String, Double>> after = new ArrayList<>();
      for (int p : ports) {
        after.add(scrape(p));
      }
      double dt = (System.nanoTime() - t0) / 1e9;
      double rounds = 0;
      double roundSeconds = 0;
      double sent = 0;
      double[] phase = new double[PHASES.length];
      boolean stable = true;
      for (int i = 0; i < n; i++) {
        Map<String, Double> b = before.get(i);
        Map<String, Double> e = after.get(i);
        rounds += d(e, b, "ctr_trainer_exchange_rounds_total");
        roundSeconds += d(e, b, "ctr_trainer_exchange_round_seconds_total");
        sent += d(e, b, "ctr_trainer_exchange_sent_bytes_total");
        for (int k = 0; k < PHASES.length; k++) {
          phase[k] += d(e, b, "ctr_trainer_exchange_phase_seconds_total{phase=\"" + PHASES[k] + "\"}");
        }
        stable &= d(e, b, "ctr_trainer_exchange_epochs_total") == 0;
      }
      StringBuilder row = new StringBuilder();
      double perRound = rounds == 0 ? Double.NaN : 1000 * roundSeconds / rounds;
      row.append(String.format(Locale.ROOT, "| %d | %,.0f | %,.0f | %.1f |", n, rounds * roundExamples / dt,
          rounds * roundExamples / dt / n, perRound));
      for (double p : phase) {
        row.append(String.format(Locale.ROOT, " %.1f |", rounds == 0 ? Double.NaN : 1000 * p / rounds));
      }
      row.append(String.format(Locale.ROOT, " %,.0f | %s |", rounds == 0 ? Double.NaN : sent / rounds,
          stable ? "yes" : "NO (rebalance in the window)"));
      System.out.println(row);
    } finally {
      for (ChildJvm j : jvms) {
        j.close();
      }
    }
  }

  private static double d(Map<String, Double> after, Map<String, Double> before, String name) {
    return after.getOrDefault(name, 0.0) - before.getOrDefault(name, 0.0);
  }

  /** The unlabelled and labelled samples of a worker's /metrics (name with labels as written). */
  private static Map<String, Double> scrape(int port) {
    Map<String, Double> out = new HashMap<>();
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
          .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
      for (String line : r.body().split("\n")) {
        if (line.startsWith("ctr_trainer_exchange_")) {
          int sp = line.lastIndexOf(' ');
          out.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)));
        }
      }
    } catch (IOException e) {
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return out;
  }

  private static void produce(String bootstrap, String topic, int n) {
    SyntheticStream s = new SyntheticStream(42);
    s.seek(1L << 40);
    RawRecord r = s.schema().newRecord();
    Map<String, Object> pc = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.LINGER_MS_CONFIG,
        20, ProducerConfig.BATCH_SIZE_CONFIG, 512 << 10, ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(pc, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < n; i++) {
        s.nextInto(r);
        Map<String, Object> ctx = new HashMap<>();
        Map<String, Object> feats = new HashMap<>();
        for (int f = 0; f < s.schema().size(); f++) {
          RawField field = s.schema().field(f);
          Object v = field.numeric() ? (Object) r.number[f] : r.category[f];
          if (v != null && !(v instanceof Double x && x.isNaN())) {
            (field.context() ? ctx : feats).put(field.name(), v);
          }
        }
        LabeledExample ex = LabeledExample.newBuilder().setEventId("e" + i).setAdId("ad").setContext(ctx)
            .setFeatures(feats).setLabel(r.label > 0.5f ? 1 : 0).setServedPctr(0.5).setShadowPctr(null)
            .setModelName("ctr").setModelVersion(1L).setShadowModelVersion(null).setImpressionTimestampMs(r.timestampMs)
            .setClickTimestampMs(null).setLabeledAtMs(r.timestampMs).build();
        p.send(new ProducerRecord<>(topic, ("e" + i).getBytes(StandardCharsets.UTF_8), Schemas.LABELED_EXAMPLE.encode(ex)));
      }
    }
  }

  private static boolean brokerAnswers(String bootstrap) {
    try (Admin a = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000))) {
      return !a.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty();
    } catch (Exception e) {
      return false;
    }
  }

  private static void await(String what, int seconds, java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(what + ": not reached within " + seconds + " s");
      }
      Thread.sleep(500);
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
