package io.ctrstreams.loadtest;

import io.ctrstreams.loadtest.LoadTestResult.Stats;
import io.ctrstreams.loadtest.LoadTestResult.SwapResult;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.schemas.ScoreFields;
import io.ctrstreams.serving.KafkaTopics;
import io.ctrstreams.serving.ModelPublisher;
import io.ctrstreams.serving.RegistryListener;
import io.ctrstreams.serving.ServedModel;
import io.ctrstreams.topology.TopologyApp;
import io.ctrstreams.topology.TopologyConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;

/**
 * Hot swap under load. The compressed model's app scores impressions offered at a fixed rate
 * (open loop, a producer thread; event time = creation time); after a warm-up and a steady-state
 * window, K new versions are published one after another with {@link ModelPublisher}.
 *
 * <ul>
 *   <li><b>Visibility</b> of version v: from the timestamp of its {@code <model>/manifest}
 *       record (producer CreateTime, set when the publisher sent the manifest, which it does
 *       last) to the {@code scoredAtMs} of the first committed Score stamped v; also to the
 *       registry swap (listener on the global thread) and to the moment a read_committed
 *       consumer read that score. All clocks are this JVM's wall clock.
 *   <li><b>Latency</b>: end-to-end produce -> score ({@code scoredAtMs - timestampMs}) of every
 *       committed score, swap windows (publish start -> swap + tail) vs steady state (a block
 *       before the first swap plus the gaps between swap windows, so both samples span the same
 *       minutes); and the topology's own scoring-latency histogram diffed over the same windows.
 * </ul>
 */
final class SwapPhase {
  private final LoadTest t;
  private final double rate;
  private final int candidates;
  private final ConcurrentHashMap<Long, Long> swapWallMs = new ConcurrentHashMap<>();

  SwapPhase(LoadTest t, double rate) {
    this.t = t;
    this.rate = rate;
    this.candidates = t.settings().swapCandidates();
  }

  /**
   * Scores the phase should produce, with a margin: the reader's arrays are sized once, before
   * the measurement (growing them later meant copying tens of MB while the app is measured).
   */
  private long expectedScores(LoadTestSettings s) {
    double seconds = (s.warmupMs() + s.steadyMs() + (double) s.swaps() * (s.swapGapMs() + s.swapWindowTailMs() + 1_000)
        + 10_000) / 1000.0;
    return (long) (1.25 * rate * candidates * seconds);
  }

  SwapResult run() throws InterruptedException {
    LoadTestSettings s = t.settings();
    String input = t.name("swap-impressions");
    String scores = t.name("swap-scores");
    String models = t.name("swap-models");
    // LogAppendTime on the input: the broker stamps each impression record when it appends it and
    // the scores carry the input record's timestamp, so the trace splits produce -> score into
    // producer side (event time -> append) and broker -> app (append -> score). Event time stays
    // in the record body.
    NewTopic inputTopic = KafkaTopics.plain(input, s.partitions())
        .configs(Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"));
    t.createTopics(List.of(inputTopic, KafkaTopics.plain(scores, s.partitions()),
        KafkaTopics.compacted(models, 1)));
    int k = s.swaps();
    CtrModel base = LoadModels.model(true, 1);
    String modelName = base.name();
    TopologyConfig config = new TopologyConfig(t.appProps("swap", input, scores, models, modelName));

    try (ModelPublisher publisher = t.publisher(models)) {
      byte[] file = LoadModels.ctrm(base);
      publisher.publish(modelName, 1, file, Map.of());
      try (TopologyApp app = t.startApp(config);
          Reader reader = new Reader(t.bootstrap(), scores, candidates, expectedScores(s))) {
        app.live().addListener(new RegistryListener() {
          @Override
          public void onSwap(ServedModel previous, ServedModel current) {
            swapWallMs.putIfAbsent(current.version(), System.currentTimeMillis());
          }
        });
        reader.start();
        OpenLoopProducer producer = new OpenLoopProducer(t, input, candidates, rate, s.seed() + 1000);
        producer.start();
        t.progress().printf(Locale.ROOT, "swap phase: %.0f impressions/s with %d candidates; warm-up %d ms, steady %d ms, %d swaps%n",
            rate, candidates, s.warmupMs(), s.steadyMs(), k);
        try {
          Thread.sleep(s.warmupMs());
          long steadyStart = System.currentTimeMillis();
          ScoringLatencySnapshot h0 = ScoringLatencySnapshot.take(app.registry());
          Thread.sleep(s.steadyMs());
          long steadyEnd = System.currentTimeMillis();
          ScoringLatencySnapshot h1 = ScoringLatencySnapshot.take(app.registry());
          long[] steadyBuckets = ScoringLatencySnapshot.accumulate(null, h0, h1);
          ScoringLatencySnapshot lastWindowEnd = h1;
          long[] swapBuckets = null;

          Histogram toSwap = new Histogram(3_600_000L, 3);
          Histogram toScore = new Histogram(3_600_000L, 3);
          Histogram toRead = new Histogram(3_600_000L, 3);
          List<long[]> windows = new ArrayList<>();
          int observed = 0;
          for (int v = 2; v <= k + 1; v++) {
            // every version publishes the same file (the weights do not change the cost): the
            // registry serves it as the manifest's version. Serializing a new file per swap
            // allocated two multi-MB arrays in this JVM (humongous for G1: a concurrent GC cycle
            // in every swap window, charged to the app); holding one file per version grew the
            // old generation until a full GC (450 ms under ParallelGC) landed in a window.
            long pubStart = System.currentTimeMillis();
            ScoringLatencySnapshot w0 = ScoringLatencySnapshot.take(app.registry());
            steadyBuckets = ScoringLatencySnapshot.accumulate(steadyBuckets, lastWindowEnd, w0); // the gap before
            // the manifest record's own timestamp, as the publisher set it (reading it back from
            // the topic meant a third consumer fetching every chunk in this JVM)
            long manifestTs = publisher.publish(modelName, v, file, Map.of()).manifestTimestampMs();
            long[] first = reader.awaitVersion(v, Duration.ofSeconds(30));
            Long swapped = swapWallMs.get((long) v);
            if (first == null) {
              t.progress().printf(Locale.ROOT, "  v%d: no score with this version within 30 s%n", v);
              continue;
            }
            observed++;
            long swapAt = swapped == null ? first[0] : swapped;
            record(toSwap, swapAt - manifestTs);
            record(toScore, first[0] - manifestTs);
            record(toRead, first[1] - manifestTs);
            long windowEnd = Math.max(swapAt, first[0]) + s.swapWindowTailMs();
            sleepUntil(windowEnd);
            ScoringLatencySnapshot w1 = ScoringLatencySnapshot.take(app.registry());
            swapBuckets = ScoringLatencySnapshot.accumulate(swapBuckets, w0, w1);
            lastWindowEnd = w1;
            windows.add(new long[] {pubStart, windowEnd});
            t.progress().printf(Locale.ROOT,
                "  v%d at %s: manifest->swap %d ms, ->first score %d ms, ->read committed %d ms (publish call %d ms)%n",
                v, java.time.Instant.ofEpochMilli(manifestTs), swapAt - manifestTs, first[0] - manifestTs, first[1] - manifestTs, manifestTs - pubStart);
            Thread.sleep(s.swapGapMs());
          }
          producer.stop();
          long produced = producer.produced();
          reader.awaitEvents(produced, Duration.ofSeconds(60));
          reader.stop();

          Histogram steady = new Histogram(3_600_000L, 3);
          Histogram during = new Histogram(3_600_000L, 3);
          long lastEnd = windows.isEmpty() ? steadyEnd : windows.get(windows.size() - 1)[1];
          reader.classify(steadyStart, lastEnd, windows, steady, during);
          if (t.latencyTrace() != null) {
            reader.writeTrace(t.latencyTrace(), steadyStart, lastEnd, windows);
            t.progress().printf(Locale.ROOT, "latency trace (10 ms buckets) written to %s%n", t.latencyTrace());
          }
          int[] eo = reader.exactlyOnce(produced);
          double[] ub = h1.upperBounds;
          return new SwapResult(candidates, rate, k, observed, Stats.of(toSwap), Stats.of(toScore), Stats.of(toRead),
              Stats.of(steady), Stats.of(during),
              ScoringLatencySnapshot.quantileUpperBoundMs(ub, steadyBuckets, 0.99),
              swapBuckets == null ? Double.NaN : ScoringLatencySnapshot.quantileUpperBoundMs(ub, swapBuckets, 0.99),
              produced, eo[0], eo[1], reader.versionsSeen());
        } finally {
          producer.stop();
          reader.stop();
        }
      }
    }
  }

  private static void record(Histogram h, long ms) {
    h.recordValue(Math.max(0, Math.min(ms, h.getHighestTrackableValue())));
  }

  private static void sleepUntil(long wallMs) throws InterruptedException {
    long d = wallMs - System.currentTimeMillis();
    if (d > 0) {
      Thread.sleep(d);
    }
  }

  /** A daemon thread that runs until {@link #stop()}; {@code run} loops while {@code running}. */
  private abstract static class Worker implements Runnable {
    private final Thread thread;
    volatile boolean running = true;

    Worker(String name) {
      thread = new Thread(this, name);
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join(TimeUnit.SECONDS.toMillis(30));
    }
  }

  /**
   * Produces impressions at a fixed rate on its own thread; event time = creation time. Pooled
   * encoding ({@link ImpressionFactory#encodePooled}) keeps this thread's CPU, which the app under
   * test shares, at a few us per impression.
   */
  private static final class OpenLoopProducer extends Worker {
    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final ImpressionFactory factory;
    private final double rate;
    private final AtomicLong produced = new AtomicLong();

    OpenLoopProducer(LoadTest t, String topic, int candidates, double rate, long seed) {
      super("load-open-loop-producer");
      this.producer = t.producer();
      this.topic = topic;
      this.factory = new ImpressionFactory(LoadModels.spec(true), candidates, "s", seed);
      this.rate = rate;
    }

    @Override
    public void run() {
      long start = System.nanoTime();
      double intervalNs = 1e9 / rate;
      long i = 0;
      try {
        while (running) {
          long due = start + (long) (i * intervalNs);
          long wait = due - System.nanoTime();
          if (wait > 0) {
            LockSupport.parkNanos(wait);
            continue;
          }
          byte[] key = factory.eventId(i).getBytes(StandardCharsets.US_ASCII);
          producer.send(new ProducerRecord<>(topic, key, factory.encodePooled(i, System.currentTimeMillis())));
          i++;
          produced.set(i);
        }
        producer.flush();
      } finally {
        producer.close(Duration.ofSeconds(10));
      }
    }

    long produced() {
      return produced.get();
    }
  }

  /**
   * Reads committed scores on its own thread: per score (scoredAtMs, latency) into growable
   * primitive arrays, per event the score count, per version the first score.
   */
  private static final class Reader extends Worker implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final int candidates;
    private final ConcurrentHashMap<Long, long[]> firstByVersion = new ConcurrentHashMap<>();
    // written by the reader thread only; read after stop() (join gives happens-before)
    private long[] scoredAt;
    private int[] latency;
    /** scoredAtMs - the input record's broker append time (the score record's timestamp). */
    private int[] appendLatency;
    private int n;
    private int[] perEvent = new int[1 << 14];
    private final AtomicLong eventsComplete = new AtomicLong();

    Reader(String bootstrap, String topic, int candidates, long expectedScores) {
      super("load-score-reader");
      int capacity = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(1 << 16, expectedScores));
      scoredAt = new long[capacity];
      latency = new int[capacity];
      appendLatency = new int[capacity];
      Map<String, Object> cc = LoadTest.scoreReaderConfig(bootstrap);
      consumer = new KafkaConsumer<>(cc);
      List<TopicPartition> tps = new ArrayList<>();
      consumer.partitionsFor(topic).forEach(pi -> tps.add(new TopicPartition(topic, pi.partition())));
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      this.candidates = candidates;
    }

    @Override
    public void run() {
      // the numeric fields only (no strings, no Avro reader): this thread shares the cores with
      // the app under test, and full Score decoding was most of its CPU
      ScoreFields sc = new ScoreFields();
      long lastVersion = Long.MIN_VALUE;
      while (running) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
          sc.read(r.value());
          if (sc.modelVersion() != lastVersion) { // a version seen for the first time always differs from the last
            lastVersion = sc.modelVersion();
            firstByVersion.putIfAbsent(lastVersion, new long[] {sc.scoredAtMs(), System.currentTimeMillis()});
          }
          if (n == scoredAt.length) {
            scoredAt = Arrays.copyOf(scoredAt, n * 2);
            latency = Arrays.copyOf(latency, n * 2);
            appendLatency = Arrays.copyOf(appendLatency, n * 2);
          }
          scoredAt[n] = sc.scoredAtMs();
          latency[n] = (int) Math.max(0, sc.scoredAtMs() - sc.timestampMs());
          appendLatency[n] = (int) Math.max(0, sc.scoredAtMs() - r.timestamp());
          n++;
          long e = ImpressionFactory.indexOf(r.key());
          if (e >= 0) {
            if (e >= perEvent.length) {
              perEvent = Arrays.copyOf(perEvent, (int) Math.max(e + 1, perEvent.length * 2L));
            }
            int before = perEvent[(int) e];
            perEvent[(int) e] = before + sc.candidates(); // 1 per Score, all of them per ImpressionScores
            if (before < candidates && before + sc.candidates() >= candidates) {
              eventsComplete.incrementAndGet();
            }
          }
        }
      }
    }

    /** {scoredAtMs, readAtMs} of the first score with {@code version}, or null on timeout. */
    long[] awaitVersion(long version, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      long[] f;
      while ((f = firstByVersion.get(version)) == null && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      return f;
    }

    void awaitEvents(long events, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (eventsComplete.get() < events && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      Thread.sleep(300); // would reveal duplicates
    }

    int versionsSeen() {
      return firstByVersion.size();
    }

    /**
     * Latencies of scores in [from, to]: within a swap window -> during, otherwise (the steady
     * block and the gaps between swaps) -> steady. Interleaving both over the same span means
     * load from outside the process hits both samples alike.
     */
    void classify(long from, long to, List<long[]> windows, Histogram steady, Histogram during) {
      for (int i = 0; i < n; i++) {
        long at = scoredAt[i];
        if (at < from || at > to) {
          continue;
        }
        record(inWindow(at, windows) ? during : steady, latency[i]);
      }
    }

    /**
     * Writes the produce -> score latency over time as CSV, one row per 10 ms of scoredAtMs:
     * {@code bucket_start_ms,scores,max_latency_ms,mean_latency_ms,phase,max_append_to_score_ms}
     * with phase {@code swap} (a swap window), {@code steady} (measured, outside windows) or
     * {@code unmeasured} (warm-up, drain); the last column is the part after the broker appended
     * the impression (max_latency_ms minus it is the producer side). Shows when a percentile's
     * slow scores happened and on which side, e.g. a backlog after a swap.
     */
    void writeTrace(Path file, long from, long to, List<long[]> windows) {
      java.util.TreeMap<Long, long[]> buckets = new java.util.TreeMap<>(); // {count, max, sum, max append}
      for (int i = 0; i < n; i++) {
        long[] b = buckets.computeIfAbsent(scoredAt[i] / 10 * 10, k -> new long[4]);
        b[0]++;
        b[1] = Math.max(b[1], latency[i]);
        b[3] = Math.max(b[3], appendLatency[i]);
        b[2] += latency[i];
      }
      StringBuilder sb = new StringBuilder(
          "bucket_start_ms,scores,max_latency_ms,mean_latency_ms,phase,max_append_to_score_ms\n");
      for (Map.Entry<Long, long[]> e : buckets.entrySet()) {
        long at = e.getKey();
        String phase = at < from || at > to ? "unmeasured" : inWindow(at, windows) ? "swap" : "steady";
        long[] b = e.getValue();
        sb.append(at).append(',').append(b[0]).append(',').append(b[1]).append(',')
            .append(String.format(Locale.ROOT, "%.1f", (double) b[2] / b[0])).append(',').append(phase).append(',').append(b[3]).append('\n');
      }
      try {
        Files.writeString(file, sb);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the latency trace " + file, e);
      }
    }

    /** Whether {@code at} lies in one of the swap {@code windows} ([start, end], inclusive). */
    private static boolean inWindow(long at, List<long[]> windows) {
      for (long[] w : windows) {
        if (at >= w[0] && at <= w[1]) {
          return true;
        }
      }
      return false;
    }

    /** {missing, duplicated} over events [0, produced). */
    int[] exactlyOnce(long produced) {
      int missing = 0;
      int dup = 0;
      for (int e = 0; e < produced; e++) {
        int c = e < perEvent.length ? perEvent[e] : 0;
        if (c < candidates) {
          missing++;
        } else if (c > candidates) {
          dup++;
        }
      }
      return new int[] {missing, dup};
    }

    @Override
    public void close() {
      try {
        stop();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      consumer.close();
    }
  }
}
