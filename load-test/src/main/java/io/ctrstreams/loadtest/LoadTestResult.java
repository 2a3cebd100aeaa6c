package io.ctrstreams.loadtest;

import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * Figures of one load test, all measured in the same process and run.
 *
 * @param settings what ran
 * @param throughput one row per (candidate count, variant)
 * @param swap the swap phase, or null when skipped
 * @param loadBefore {@code /proc/loadavg} when the run started ("n/a" elsewhere)
 * @param loadAfter {@code /proc/loadavg} when it ended
 */
public record LoadTestResult(
    LoadTestSettings settings,
    List<ThroughputRow> throughput,
    SwapResult swap,
    String loadBefore,
    String loadAfter) {

  /** Copies the rows. */
  public LoadTestResult {
    throughput = List.copyOf(throughput);
  }

  /** The topology under test. */
  public enum Variant {
    /** Same decode + Score encode and guarantee, no model math: the baseline. */
    PASS_THROUGH("pass-through"),
    /** The real scoring topology with the dense model. */
    DENSE("dense"),
    /** The real scoring topology with the low-rank compressed model. */
    COMPRESSED("compressed"),
    /** The compressed model live and the dense model as shadow on a sample of the impressions. */
    SHADOW("compr+shadow");

    private final String label;

    Variant(String label) {
      this.label = label;
    }

    /** Short name for tables. */
    public String label() {
      return label;
    }
  }

  /**
   * One throughput run: N pre-produced impressions scored until all scores were committed.
   *
   * @param variant topology variant
   * @param candidates candidates per impression
   * @param format {@code scores.format} of the run
   * @param shadowRate {@code shadow.sample.rate} of a {@link Variant#SHADOW} run, else 0
   * @param impressions impressions in the run
   * @param expectedScores score records the run must produce (per candidate or per impression,
   *     live plus the sampled shadow's)
   * @param scores committed score records read
   * @param seconds first to last committed score arrival
   * @param impressionsPerSecond input records per second over {@code seconds}
   * @param candidatesPerSecond live candidates scored per second over {@code seconds}
   * @param eventsMissing events with fewer score records than expected
   * @param eventsDuplicated events with more score records than expected
   * @param streamCpuMicros CPU time of the app's stream threads per impression (microseconds,
   *     start-up included; NaN when not measured)
   * @param processCpuMicros CPU time of the whole process per impression during the run
   *     (broker, producers, counter and app; NaN when not measured)
   */
  public record ThroughputRow(
      Variant variant,
      int candidates,
      String format,
      double shadowRate,
      int impressions,
      long expectedScores,
      long scores,
      double seconds,
      double impressionsPerSecond,
      double candidatesPerSecond,
      int eventsMissing,
      int eventsDuplicated,
      double streamCpuMicros,
      double processCpuMicros) {
    /** Every event scored exactly once (every expected score record, none lost, none repeated). */
    public boolean exactlyOnce() {
      return eventsMissing == 0 && eventsDuplicated == 0 && scores == expectedScores;
    }

    /** The variant's label, with the shadow rate for shadow runs. */
    public String label() {
      return variant == Variant.SHADOW
          ? String.format(Locale.ROOT, "%s %s", variant.label(), rateLabel(shadowRate)) : variant.label();
    }
  }

  /**
   * Percentiles of one distribution (milliseconds).
   *
   * @param count samples
   * @param p50 median
   * @param p99 99th percentile
   * @param max maximum
   */
  public record Stats(long count, double p50, double p99, double max) {
    /** Summarizes an HdrHistogram (values in ms). */
    public static Stats of(Histogram h) {
      if (h.getTotalCount() == 0) {
        return new Stats(0, Double.NaN, Double.NaN, Double.NaN);
      }
      return new Stats(h.getTotalCount(), h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getMaxValue());
    }
  }

  /**
   * The swap phase: compressed model, events offered at a fixed rate, K new versions published.
   *
   * @param candidates candidates per impression
   * @param rate impressions per second offered
   * @param swapsPublished versions published
   * @param swapsObserved published versions that appeared on a committed score
   * @param manifestToSwap manifest record timestamp -> the registry swapped (global thread)
   * @param manifestToFirstScore manifest record timestamp -> scoredAtMs of the first score with the version
   * @param manifestToCommittedRead manifest record timestamp -> a read_committed consumer got that score
   * @param steadyLatency produce -> score latency (scoredAtMs - timestampMs) outside swap windows
 *     (the steady block before the first swap and the gaps between swaps)
   * @param swapLatency the same within swap windows (publish start -> swap + tail)
   * @param steadyScoringP99Ms p99 of the topology's own scoring latency histogram in the steady
   *     window (upper bound of the classic bucket holding it, ms)
   * @param swapScoringP99Ms the same within the swap windows
   * @param eventsProduced impressions produced during the phase
   * @param eventsMissing events with fewer scores than candidates at the end
   * @param eventsDuplicated events with more scores than candidates
   * @param versionsSeen distinct model versions on committed scores
   */
  public record SwapResult(
      int candidates,
      double rate,
      int swapsPublished,
      int swapsObserved,
      Stats manifestToSwap,
      Stats manifestToFirstScore,
      Stats manifestToCommittedRead,
      Stats steadyLatency,
      Stats swapLatency,
      double steadyScoringP99Ms,
      double swapScoringP99Ms,
      long eventsProduced,
      int eventsMissing,
      int eventsDuplicated,
      int versionsSeen) {
    /** Every produced event scored exactly once. */
    public boolean exactlyOnce() {
      return eventsMissing == 0 && eventsDuplicated == 0;
    }
  }

  /**
   * The throughput row of {@code variant} at {@code candidates} in the primary scores format (for
   * {@link Variant#SHADOW}: the first shadow rate), or null.
   */
  public ThroughputRow row(Variant variant, int candidates) {
    for (ThroughputRow r : throughput) {
      if (r.variant() == variant && r.candidates() == candidates && r.format().equals(settings.primaryScoresFormat())) {
        return r;
      }
    }
    return null;
  }

  /** The row of {@code variant} at {@code candidates} in {@code format} (shadow rate 0 unless a shadow run), or null. */
  public ThroughputRow row(Variant variant, int candidates, String format, double shadowRate) {
    for (ThroughputRow r : throughput) {
      if (r.variant() == variant && r.candidates() == candidates && r.format().equals(format)
          && r.shadowRate() == shadowRate) {
        return r;
      }
    }
    return null;
  }

  /** compressed / dense impressions per second at {@code candidates}, primary format (NaN when not measured). */
  public double compressedOverDense(int candidates) {
    return compressedOverDense(candidates, settings.primaryScoresFormat());
  }

  /** compressed / dense impressions per second at {@code candidates} in {@code format} (NaN when not measured). */
  public double compressedOverDense(int candidates, String format) {
    ThroughputRow c = row(Variant.COMPRESSED, candidates, format, 0);
    ThroughputRow d = row(Variant.DENSE, candidates, format, 0);
    return c == null || d == null ? Double.NaN : c.impressionsPerSecond() / d.impressionsPerSecond();
  }

  /**
   * What a dense shadow at {@code rate} costs: 1 - (compressed live with shadow) / (compressed live
   * only) impressions per second, primary format (NaN when not measured).
   */
  public double shadowCost(int candidates, double rate) {
    ThroughputRow s = row(Variant.SHADOW, candidates, settings.primaryScoresFormat(), rate);
    ThroughputRow c = row(Variant.COMPRESSED, candidates, settings.primaryScoresFormat(), 0);
    return s == null || c == null ? Double.NaN : 1 - s.impressionsPerSecond() / c.impressionsPerSecond();
  }

  static String rateLabel(double rate) {
    return String.format(Locale.ROOT, "%.3g", rate).replaceAll("0+$", "").replaceAll("\\.$", "");
  }

  /** The result as plain-text tables with ratios and the targets. */
  public String format() {
    StringBuilder sb = new StringBuilder();
    LoadTestSettings s = settings;
    sb.append(String.format(Locale.ROOT,
        "End-to-end throughput: %,d impressions per run, best of %d round(s), exactly_once_v2, %d partitions, %d stream thread(s), Avro input, labels %s%n",
        s.impressions(), s.rounds(), s.partitions(), s.streamThreads(), s.labelsEnabled() ? "on" : "off"));
    if (!s.shadowRates().isEmpty()) {
      sb.append(String.format(Locale.ROOT, "shadow runs: compressed live, dense shadow, scores.format %s%n",
          s.primaryScoresFormat()));
    }
    sb.append(String.format(Locale.ROOT, "%-6s %-15s %-20s %12s %12s %10s %13s %16s %16s%n",
        "cands", "scores.format", "variant", "impr/s", "cand/s", "x pass", "exactly-once", "stream CPU us/i",
        "process CPU us/i"));
    for (int c : s.candidateCounts()) {
      for (String f : s.scoresFormats()) {
        ThroughputRow base = row(Variant.PASS_THROUGH, c, f, 0);
        for (ThroughputRow r : throughput) {
          if (r.candidates() != c || !r.format().equals(f)) {
            continue;
          }
          sb.append(String.format(Locale.ROOT, "%-6d %-15s %-20s %,12.0f %,12.0f %10.2f %13s %16.1f %16.1f%n",
              c, f, r.label(), r.impressionsPerSecond(), r.candidatesPerSecond(),
              base == null ? Double.NaN : r.impressionsPerSecond() / base.impressionsPerSecond(),
              r.exactlyOnce() ? "yes" : "NO (" + r.eventsMissing() + " missing, " + r.eventsDuplicated() + " dup)",
              r.streamCpuMicros(), r.processCpuMicros()));
        }
        double ratio = compressedOverDense(c, f);
        sb.append(String.format(Locale.ROOT, "%-6s %-15s compressed/dense = %.2fx%s%n", "", f, ratio,
            c == 16 ? "   (target >= 3.0x: " + (ratio >= 3.0 ? "met" : "MISSED") + ")" : ""));
      }
      for (double rate : s.shadowRates()) {
        double cost = shadowCost(c, rate);
        sb.append(String.format(Locale.ROOT, "%-6s %-15s dense shadow at %s costs %.1f%% of live throughput%s%n", "",
            s.primaryScoresFormat(), rateLabel(rate), 100 * cost,
            rate == 0.05 ? "   (target <= 10%: " + (cost <= 0.10 ? "met" : "MISSED") + ")" : ""));
      }
    }
    if (swap != null) {
      SwapResult w = swap;
      sb.append(String.format(Locale.ROOT,
          "%nHot swap: compressed model, %d candidates, %.0f impressions/s offered, %d versions published, %d observed%n",
          w.candidates(), w.rate(), w.swapsPublished(), w.swapsObserved()));
      sb.append(String.format(Locale.ROOT, "%-44s %6s %9s %9s %9s%n", "ms", "n", "p50", "p99", "max"));
      stats(sb, "manifest written -> registry swapped", w.manifestToSwap());
      stats(sb, "manifest written -> first score (scoredAt)", w.manifestToFirstScore());
      stats(sb, "manifest written -> first score read committed", w.manifestToCommittedRead());
      sb.append(String.format(Locale.ROOT, "%-44s   target p99 <= 500 ms: %s%n", "",
          w.manifestToFirstScore().p99() <= 500 ? "met" : "MISSED"));
      stats(sb, "produce -> score latency, steady state", w.steadyLatency());
      stats(sb, "produce -> score latency, during swaps", w.swapLatency());
      double ratio = w.swapLatency().p99() / w.steadyLatency().p99();
      sb.append(String.format(Locale.ROOT, "%-44s   p99 swaps/steady = %.2fx (target <= 1.5x: %s)%n", "",
          ratio, ratio <= 1.5 ? "met" : "MISSED"));
      sb.append(String.format(Locale.ROOT,
          "%-44s   topology scoring-latency histogram p99 (bucket bound): steady %s ms, swaps %s ms%n", "",
          fmt(w.steadyScoringP99Ms()), fmt(w.swapScoringP99Ms())));
      sb.append(String.format(Locale.ROOT, "%-44s   %,d events, exactly once: %s, %d versions on scores%n", "",
          w.eventsProduced(), w.exactlyOnce() ? "yes" : "NO (" + w.eventsMissing() + " missing, "
              + w.eventsDuplicated() + " dup)", w.versionsSeen()));
    }
    sb.append(String.format(Locale.ROOT, "%nload average before: %s   after: %s%n", loadBefore, loadAfter));
    return sb.toString();
  }

  private static String fmt(double v) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.3f", v);
  }

  private static void stats(StringBuilder sb, String name, Stats st) {
    sb.append(String.format(Locale.ROOT, "%-44s %6d %9.0f %9.0f %9.0f%n", name, st.count(), st.p50(), st.p99(), st.max()));
  }
}
