package io.ctrstreams.cli;

import io.ctrstreams.loadtest.LoadTest;
import io.ctrstreams.loadtest.LoadTestMain;
import io.ctrstreams.loadtest.LoadTestResult;
import io.ctrstreams.loadtest.LoadTestSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ctr load-test}: the end-to-end load benchmark on an embedded broker in this process
 * (throughput of pass-through vs dense vs compressed scoring, hot-swap visibility, latency
 * during swaps) with a table of figures and ratios.
 */
@Command(
    name = "load-test",
    mixinStandardHelpOptions = true,
    description = {
        "End-to-end load test on an embedded KRaft broker in this process: pre-produced Avro impressions "
            + "scored under exactly_once_v2 by a pass-through topology, the dense Criteo DNN and its "
            + "low-rank compressed version (records/s, candidates/s, ratios); then hot swaps while events "
            + "flow (manifest -> first score with the new version, p50/p99) and produce->score latency p99 "
            + "during swaps vs steady state.",
        "--quick takes about a minute; the default full run a few minutes."})
public final class LoadTestCommand implements Callable<Integer> {

  @Option(names = "--quick", description = "Quick run (about a minute): 2,000 impressions per run, 1 round, 5 swaps.")
  boolean quick;

  @Option(names = "--impressions", paramLabel = "N",
      description = "Impressions pre-produced per throughput run (default: 60000, quick: 2000).")
  Integer impressions;

  @Option(names = "--candidates", split = ",", paramLabel = "C",
      description = "Candidates per impression, comma-separated (default: 1,16).")
  List<Integer> candidates;

  @Option(names = "--swaps", paramLabel = "K",
      description = "Model versions published during the swap phase; 0 skips it (default: 20, quick: 5).")
  Integer swaps;

  @Option(names = "--rounds", paramLabel = "R",
      description = "Throughput rounds, best kept per variant (default: 3, quick: 1).")
  Integer rounds;

  @Option(names = "--rate", paramLabel = "IMPR_PER_S", defaultValue = "0",
      description = "Impressions/s offered during the swap phase; 0 = half the measured compressed throughput (default).")
  double rate;

  @Option(names = "--stream-threads", defaultValue = "1",
      description = "num.stream.threads of every scoring app (default: ${DEFAULT-VALUE}).")
  int streamThreads;

  @Option(names = "--streams-property", paramLabel = "NAME=VALUE",
      description = "Extra Kafka Streams / client property for every app, repeatable (e.g. commit.interval.ms=200).")
  Map<String, String> streamsProperties = Map.of();

  @Option(names = "--labels-off",
      description = "Run the scoring apps without the label join (labels.enabled=false), as BENCHMARKS.md section 4 did "
          + "before issue 12; default: labels on, the production default.")
  boolean labelsOff;

  @Option(names = "--scores-formats", split = ",", paramLabel = "FORMAT",
      description = "scores.format(s) the dense and compressed runs use, comma-separated, interleaved in every round "
          + "(per-candidate, per-impression; default: the topology's default). The first is the swap phase's and the "
          + "shadow runs' format.")
  List<String> scoresFormats;

  @Option(names = "--shadow-rates", split = ",", paramLabel = "RATE",
      description = "Also run the compressed model live with the dense model as shadow at these shadow.sample.rate "
          + "values (e.g. 0.05,1), interleaved with the live-only runs, and print what the shadow costs.")
  List<Double> shadowRates;

  @Option(names = "--latency-trace", paramLabel = "FILE",
      description = "Also write the swap phase's produce -> score latency over time to FILE (CSV, one row per 10 ms).")
  Path latencyTrace;

  @Override
  public Integer call() throws Exception {
    LoadTestSettings base = quick ? LoadTestSettings.quick() : LoadTestSettings.full();
    LoadTestSettings s;
    try {
      s = base.with(impressions == null ? base.impressions() : impressions,
              candidates == null ? base.candidateCounts() : candidates,
              swaps == null ? base.swaps() : swaps)
          .withRounds(rounds == null ? base.rounds() : rounds)
          .withRuntime(rate, streamThreads, streamsProperties, null);
      s = LoadTestMain.comparisons(s, scoresFormats, shadowRates);
      s = labelsOff ? s.withLabelsOff() : s;
    } catch (IllegalArgumentException e) {
      System.err.println("ctr load-test: " + e.getMessage());
      return 2;
    }
    LoadTestMain.quietLogs();
    LoadTestResult r = LoadTest.run(s, System.out, latencyTrace);
    System.out.println();
    System.out.print(r.format());
    return 0;
  }
}
