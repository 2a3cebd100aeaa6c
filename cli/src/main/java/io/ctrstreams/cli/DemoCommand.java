package io.ctrstreams.cli;

import io.ctrstreams.cli.demo.DemoOptions;
import io.ctrstreams.cli.demo.DemoRunner;
import io.ctrstreams.cli.demo.DemoSummary;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/**
 * {@code ctr demo}: the whole product on one machine — embedded Kafka, synthetic traffic,
 * continuous trainer, recompressor, scoring topology with hot swap — with a status line every few
 * seconds and a summary at the end ({@code --duration} or Ctrl-C).
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run everything on an embedded Kafka broker: synthetic impressions and clicks, the continuous trainer,",
      "the recompressor and the scoring topology (compressed model live, full model as shadow).",
      "Prints one status line every few seconds; --duration or Ctrl-C ends it with a summary."})
public final class DemoCommand implements Callable<Integer> {
  private static final DemoOptions D = DemoOptions.defaults();

  @Option(names = "--port", paramLabel = "PORT", description = "Embedded broker port (0 = free port; a free port is used when taken). Default: 9092.")
  int port = D.brokerPort();

  @Option(names = "--metrics-port", paramLabel = "PORT", description = "Port of /metrics (0 = free port). Default: 9400.")
  int metricsPort = D.metricsPort();

  @Option(names = "--rate", paramLabel = "N", description = "Synthetic impressions per second. Default: 300.")
  double rate = D.impressionsPerSecond();

  @Option(names = "--duration", paramLabel = "TIME", converter = DurationConverter.class,
      description = "Stop after this long, e.g. 90s, 2m (default: until Ctrl-C).")
  Duration duration;

  @Option(names = "--status-interval", paramLabel = "TIME", converter = DurationConverter.class,
      description = "Status line interval. Default: 5s.")
  Duration statusInterval = D.statusInterval();

  @Option(names = "--snapshot-interval", paramLabel = "TIME", converter = DurationConverter.class,
      description = "Trainer snapshot interval. Default: 20s.")
  Duration snapshotInterval = D.snapshotInterval();

  @Option(names = "--trainer-rate", paramLabel = "N", description = "Cap on training examples per second (0 = none). Default: 3000.")
  double trainerRate = D.trainerExamplesPerSecond();

  @Option(names = "--attribution-window", paramLabel = "TIME", converter = DurationConverter.class,
      description = "Click attribution window of the label join. Default: 15s.")
  Duration attributionWindow = D.attributionWindow();

  @Option(names = "--search", paramLabel = "fixed|ga", description = "Rank choice: fixed ranks (stable across versions) or the GA rank search. Default: fixed.")
  String search = D.compressionSearch();

  @Option(names = "--embedding-rank", paramLabel = "K", description = "Embedding rank of the fixed plan. Default: 2 (of dim 8).")
  int embeddingRank = D.embeddingRank();

  @Option(names = "--ratio", paramLabel = "R", description = "Target compression ratio of the GA search. Default: 3.")
  double ratio = D.compressionRatio();

  @Option(names = "--seed", paramLabel = "S", description = "Synthetic stream seed. Default: 42.")
  long seed = D.seed();

  @Option(names = "--json", description = "Send impressions and clicks as JSON instead of Avro.")
  boolean json;

  @Option(names = "--serve", description = "Also run ctr serve (REST port 8080, or a free one when taken) on the live model, logging its"
      + " requests to the label join; 20%% of the synthetic impressions are then scored over REST, and the summary"
      + " shows their online AUC beside the topology's. Prints a curl line that scores a request.")
  boolean serve;

  @Option(names = "--events", description = "Also print one line per snapshot and recompression as they happen.")
  boolean events;

  @Option(names = "--no-deltas", description = "Refresh the served model by snapshots only (default: compressed deltas"
      + " every second between snapshots, docs/model-deltas.md).")
  boolean noDeltas;

  @Option(names = "--log-level", paramLabel = "LEVEL", description = "Log level of Kafka and the services (stderr). Default: warn.")
  String logLevel = "warn";

  @Override
  public Integer call() throws Exception {
    // Before any Kafka class logs: the status line is the demo's output, INFO logs would bury it.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", logLevel);
    if ("warn".equalsIgnoreCase(logLevel)) {
      // Kafka's start-up warnings (leader not yet available, temp state dir) are expected here
      System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "error");
    }
    DemoOptions o;
    try {
      o = new DemoOptions(port, metricsPort, rate, duration, statusInterval, snapshotInterval, trainerRate,
          attributionWindow, D.clickDelayMeanMs(), search.toLowerCase(Locale.ROOT), embeddingRank, ratio, seed, json);
    } catch (IllegalArgumentException e) {
      System.err.println("ctr demo: " + e.getMessage());
      return 2;
    }
    DemoRunner runner = new DemoRunner(o, System.out).printEvents(events).deltas(!noDeltas).serve(serve ? 8080 : -1);
    Thread hook = new Thread(() -> {
      runner.stop();
      try {
        runner.awaitFinished(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "ctr-demo-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      DemoSummary s = runner.run();
      return s.swaps() >= 1 ? 0 : 1;
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // the JVM is already shutting down (Ctrl-C): the hook is running
      }
    }
  }

  /** Parses 90s, 2m, 1h30m, 500ms or an ISO-8601 duration (PT90S). */
  static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.trim().toLowerCase(Locale.ROOT);
      if (v.startsWith("pt") || v.startsWith("p")) {
        return Duration.parse(v.toUpperCase(Locale.ROOT));
      }
      Duration total = Duration.ZERO;
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h)").matcher(v);
      int pos = 0;
      while (m.find() && m.start() == pos) {
        long n = Long.parseLong(m.group(1));
        total = total.plus(switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          default -> Duration.ofHours(n);
        });
        pos = m.end();
      }
      if (pos != v.length() || pos == 0) {
        throw new IllegalArgumentException("duration must look like 90s, 2m, 1h30m or 500ms, found '" + value + "'");
      }
      return total;
    }
  }
}
