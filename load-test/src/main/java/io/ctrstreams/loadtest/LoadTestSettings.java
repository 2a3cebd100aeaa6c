package io.ctrstreams.loadtest;

import io.ctrstreams.topology.TopologyConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What one load test runs.
 *
 * @param impressions impressions pre-produced per throughput run (per candidate count)
 * @param candidateCounts candidates per impression of the throughput runs, e.g. [1, 16]
 * @param rounds throughput rounds (each runs every variant once, interleaved); the table keeps
 *     each variant's best round, which filters out interference from other processes
 * @param swaps model versions published during the swap phase (0 skips the phase)
 * @param swapCandidates candidates per impression during the swap phase
 * @param swapRate impressions per second offered during the swap phase; 0 = half the compressed
 *     model's measured throughput at {@code swapCandidates} (or 200/s when not measured)
 * @param warmupMs swap phase: load before the steady-state window (not measured)
 * @param steadyMs swap phase: steady-state block before the first swap, no publishing
 * @param swapGapMs swap phase: pause after each swap window, before the next publish (also
 *     counted as steady state)
 * @param swapWindowTailMs swap phase: how long after a swap its latency window lasts
 * @param partitions partitions of the impressions and scores topics
 * @param streamThreads {@code num.stream.threads} of the scoring app
 * @param seed seed of impressions
 * @param streamsOverrides extra Kafka Streams / client / topology properties for every app (e.g.
 *     {@code labels.enabled=false}: {@link #withLabelsOff})
 * @param bootstrapServers an existing cluster, or null to start an embedded broker
 * @param scoresFormats the {@code scores.format}s the model variants run in, interleaved within
 *     each round (the first is the one shadow runs use); default: the topology's default format
 * @param shadowRates {@code shadow.sample.rate}s of extra runs with the compressed model live and
 *     the dense model as shadow (empty: none); each is compared with the live-only compressed run
 *     of the same round
 */
public record LoadTestSettings(
    int impressions,
    List<Integer> candidateCounts,
    int rounds,
    int swaps,
    int swapCandidates,
    double swapRate,
    long warmupMs,
    long steadyMs,
    long swapGapMs,
    long swapWindowTailMs,
    int partitions,
    int streamThreads,
    long seed,
    Map<String, String> streamsOverrides,
    String bootstrapServers,
    List<String> scoresFormats,
    List<Double> shadowRates) {

  /** Validates every number (messages name the offending value). */
  public LoadTestSettings {
    positive("impressions", impressions);
    if (candidateCounts == null || candidateCounts.isEmpty()) {
      throw new IllegalArgumentException("at least one candidate count is required, found " + candidateCounts);
    }
    for (int c : candidateCounts) {
      if (c < 1 || c > 1000) {
        throw new IllegalArgumentException("candidates per impression must be in [1, 1000], found " + c);
      }
    }
    candidateCounts = List.copyOf(candidateCounts);
    positive("rounds", rounds);
    if (swaps < 0) {
      throw new IllegalArgumentException("swaps must be >= 0, found " + swaps);
    }
    if (swapCandidates < 1 || swapCandidates > 1000) {
      throw new IllegalArgumentException("swap-phase candidates must be in [1, 1000], found " + swapCandidates);
    }
    if (!(swapRate >= 0) || Double.isInfinite(swapRate)) {
      throw new IllegalArgumentException("swap rate must be >= 0 impressions/s (0 = auto), found " + swapRate);
    }
    positive("warmupMs", warmupMs);
    positive("steadyMs", steadyMs);
    positive("swapGapMs", swapGapMs);
    positive("swapWindowTailMs", swapWindowTailMs);
    positive("partitions", partitions);
    positive("streamThreads", streamThreads);
    streamsOverrides = Map.copyOf(streamsOverrides);
    if (scoresFormats == null || scoresFormats.isEmpty()) {
      throw new IllegalArgumentException("at least one scores format is required, found " + scoresFormats);
    }
    for (String f : scoresFormats) {
      if (!PER_CANDIDATE.equals(f) && !PER_IMPRESSION.equals(f)) {
        throw new IllegalArgumentException("scores format must be per-candidate or per-impression, found " + f);
      }
    }
    if (new java.util.HashSet<>(scoresFormats).size() != scoresFormats.size()) {
      throw new IllegalArgumentException("scores formats must be distinct, found " + scoresFormats);
    }
    scoresFormats = List.copyOf(scoresFormats);
    for (double r : shadowRates) {
      if (!(r > 0 && r <= 1)) {
        throw new IllegalArgumentException("shadow sample rate must be in (0, 1], found " + r);
      }
    }
    shadowRates = List.copyOf(shadowRates);
  }

  /** {@code scores.format=per-candidate}: one Score record per candidate. */
  public static final String PER_CANDIDATE = "per-candidate";
  /** {@code scores.format=per-impression}: one ImpressionScores record per impression and variant. */
  public static final String PER_IMPRESSION = "per-impression";

  /** The topology's default {@code scores.format}. */
  public static String defaultScoresFormat() {
    return String.valueOf(TopologyConfig.configDef().defaultValues().get(TopologyConfig.SCORES_FORMAT_CONFIG));
  }

  private static void positive(String name, long v) {
    if (v < 1) {
      throw new IllegalArgumentException(name + " must be >= 1, found " + v);
    }
  }

  /**
   * The full run: 60,000 impressions per throughput run, 1 and 16 candidates, 3 rounds, 20 swaps.
   * Runs of 20,000 impressions lasted 1-3 s per variant and their ratios moved by up to 20%
   * between identical runs (JIT state, commit timing); 60,000 x 3 rounds keeps them within ~5%.
   * The swap phase warms up for 30 s: after 5 s the fresh app's produce -> score latency was
   * still rising through the "steady" block (9 -> 77 ms max per second, {@code --latency-trace}),
   * after 30 s it was flat (p99 21-34 ms).
   */
  public static LoadTestSettings full() {
    return new LoadTestSettings(60_000, List.of(1, 16), 3, 20, 16, 0, 30_000, 5_000, 2_000, 500, 2, 1, 7L, Map.of(), null,
        List.of(defaultScoresFormat()), List.of());
  }

  /** The quick run (about a minute): 2,000 impressions per run, 1 round, 5 swaps, short windows. */
  public static LoadTestSettings quick() {
    return new LoadTestSettings(2_000, List.of(1, 16), 1, 5, 16, 0, 2_000, 2_000, 1_000, 500, 2, 1, 7L, Map.of(), null,
        List.of(defaultScoresFormat()), List.of());
  }

  /** A copy with other throughput sizes and swap count. */
  public LoadTestSettings with(int newImpressions, List<Integer> newCandidateCounts, int newSwaps) {
    int sc = newCandidateCounts.contains(swapCandidates) ? swapCandidates
        : newCandidateCounts.stream().mapToInt(Integer::intValue).max().orElse(swapCandidates);
    return new LoadTestSettings(newImpressions, newCandidateCounts, rounds, newSwaps, sc, swapRate, warmupMs,
        steadyMs, swapGapMs, swapWindowTailMs, partitions, streamThreads, seed, streamsOverrides,
        bootstrapServers, scoresFormats, shadowRates);
  }

  /** A copy with another swap-phase rate, stream thread count and extra Streams properties. */
  public LoadTestSettings withRuntime(double newSwapRate, int newStreamThreads, Map<String, String> newOverrides,
      String newBootstrapServers) {
    return new LoadTestSettings(impressions, candidateCounts, rounds, swaps, swapCandidates, newSwapRate, warmupMs,
        steadyMs, swapGapMs, swapWindowTailMs, partitions, newStreamThreads, seed, newOverrides,
        newBootstrapServers, scoresFormats, shadowRates);
  }

  /**
   * Whether the scoring apps run the label join, as production does by default; off only with
   * {@code labels.enabled=false} among the overrides.
   */
  public boolean labelsEnabled() {
    return !"false".equalsIgnoreCase(streamsOverrides.getOrDefault(TopologyConfig.LABELS_ENABLED_CONFIG, "true"));
  }

  /**
   * A copy whose scoring apps run without the label join: the configuration BENCHMARKS.md section
   * 4 measured before issue 12, kept for comparison.
   */
  public LoadTestSettings withLabelsOff() {
    Map<String, String> o = new HashMap<>(streamsOverrides);
    o.put(TopologyConfig.LABELS_ENABLED_CONFIG, "false");
    return withRuntime(swapRate, streamThreads, o, bootstrapServers);
  }

  /**
   * A copy whose model variants run in each of {@code formats} and that adds shadow runs at
   * {@code rates} ({@code --scores-formats}, {@code --shadow-rates}).
   */
  public LoadTestSettings withComparisons(List<String> formats, List<Double> rates) {
    return new LoadTestSettings(impressions, candidateCounts, rounds, swaps, swapCandidates, swapRate, warmupMs,
        steadyMs, swapGapMs, swapWindowTailMs, partitions, streamThreads, seed, streamsOverrides,
        bootstrapServers, formats, rates);
  }

  /** The format of the swap phase and of shadow runs: the first of {@link #scoresFormats}. */
  public String primaryScoresFormat() {
    return scoresFormats.get(0);
  }

  /** A copy with another number of throughput rounds. */
  public LoadTestSettings withRounds(int newRounds) {
    return new LoadTestSettings(impressions, candidateCounts, newRounds, swaps, swapCandidates, swapRate, warmupMs,
        steadyMs, swapGapMs, swapWindowTailMs, partitions, streamThreads, seed, streamsOverrides,
        bootstrapServers, scoresFormats, shadowRates);
  }

  /** A copy with other swap-phase timings (tests). */
  public LoadTestSettings withSwapTimings(long newWarmupMs, long newSteadyMs, long newSwapGapMs) {
    return new LoadTestSettings(impressions, candidateCounts, rounds, swaps, swapCandidates, swapRate, newWarmupMs,
        newSteadyMs, newSwapGapMs, swapWindowTailMs, partitions, streamThreads, seed, streamsOverrides,
        bootstrapServers, scoresFormats, shadowRates);
  }
}
