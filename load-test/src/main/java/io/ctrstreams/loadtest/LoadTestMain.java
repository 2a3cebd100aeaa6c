package io.ctrstreams.loadtest;

import io.ctrstreams.topology.TopologyConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Plain entry point of the harness (no CLI framework): {@code java -cp ... LoadTestMain
 * [--quick] [--impressions N] [--candidates 1,16] [--swaps K] [--rounds R] [--rate R] [--stream-threads T]
 * [--streams-property k=v]... [--labels-off] [--scores-formats F,..] [--shadow-rates R,..] [--latency-trace FILE]}. {@code ctr load-test} is the same with
 * picocli.
 */
public final class LoadTestMain {
  private LoadTestMain() {}

  /** Parses the arguments, runs, prints the table; exit code 2 on bad arguments. */
  public static void main(String[] args) throws InterruptedException {
    LoadTestSettings s;
    Path trace = null;
    List<String> rest = new ArrayList<>(List.of(args));
    int t = rest.indexOf("--latency-trace");
    try {
      if (t >= 0) {
        if (t + 1 >= rest.size()) {
          throw new IllegalArgumentException("option --latency-trace needs a value");
        }
        trace = Path.of(rest.get(t + 1));
        rest.subList(t, t + 2).clear();
      }
      s = parse(rest.toArray(new String[0]));
    } catch (IllegalArgumentException e) {
      System.err.println("load-test: " + e.getMessage());
      System.exit(2);
      return;
    }
    quietLogs();
    LoadTestResult r = LoadTest.run(s, System.out, trace);
    System.out.println();
    System.out.print(r.format());
  }

  /**
   * Sets slf4j-simple to ERROR unless the caller chose a level: Kafka logs a lot at INFO and
   * repeats configuration advice at WARN for every app the harness starts.
   */
  public static void quietLogs() {
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
    }
  }

  static LoadTestSettings parse(String[] args) {
    boolean quick = false;
    boolean labelsOff = false;
    Integer impressions = null;
    List<Integer> candidates = null;
    Integer swaps = null;
    Integer rounds = null;
    double rate = 0;
    int threads = 1;
    Map<String, String> overrides = new HashMap<>();
    List<String> formats = null;
    List<Double> shadowRates = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--quick") || a.equals("--labels-off")) {
        quick |= a.equals("--quick");
        labelsOff |= a.equals("--labels-off");
        continue;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("option " + a + " needs a value");
      }
      String v = args[++i];
      switch (a) {
        case "--impressions" -> impressions = Integer.parseInt(v);
        case "--candidates" -> {
          candidates = new ArrayList<>();
          for (String c : v.split(",")) {
            candidates.add(Integer.parseInt(c.trim()));
          }
        }
        case "--swaps" -> swaps = Integer.parseInt(v);
        case "--rounds" -> rounds = Integer.parseInt(v);
        case "--rate" -> rate = Double.parseDouble(v);
        case "--stream-threads" -> threads = Integer.parseInt(v);
        case "--scores-formats" -> formats = List.of(v.split(","));
        case "--shadow-rates" -> {
          shadowRates = new ArrayList<>();
          for (String r : v.split(",")) {
            shadowRates.add(Double.parseDouble(r.trim()));
          }
        }
        case "--streams-property" -> {
          int eq = v.indexOf('=');
          if (eq <= 0) {
            throw new IllegalArgumentException("--streams-property must be name=value, found " + v);
          }
          overrides.put(v.substring(0, eq), v.substring(eq + 1));
        }
        default -> throw new IllegalArgumentException("unknown option " + a);
      }
    }
    LoadTestSettings base = quick ? LoadTestSettings.quick() : LoadTestSettings.full();
    LoadTestSettings s = base
        .with(impressions == null ? base.impressions() : impressions,
            candidates == null ? base.candidateCounts() : candidates,
            swaps == null ? base.swaps() : swaps)
        .withRuntime(rate, threads, overrides, null)
        .withRounds(rounds == null ? base.rounds() : rounds);
    s = comparisons(s, formats, shadowRates);
    return labelsOff ? s.withLabelsOff() : s;
  }

  /**
   * {@code s} with the scores formats and shadow rates asked for: without {@code formats}, the
   * {@code scores.format} among the streams properties, else the topology's default; null rates
   * = none.
   */
  public static LoadTestSettings comparisons(LoadTestSettings s, List<String> formats, List<Double> shadowRates) {
    List<String> f = formats != null ? formats
        : List.of(s.streamsOverrides().getOrDefault(TopologyConfig.SCORES_FORMAT_CONFIG, LoadTestSettings.defaultScoresFormat()));
    return s.withComparisons(f.stream().map(String::trim).toList(), shadowRates == null ? List.of() : shadowRates);
  }
}
