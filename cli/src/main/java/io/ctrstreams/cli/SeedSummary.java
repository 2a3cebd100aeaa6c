package io.ctrstreams.cli;

import io.ctrstreams.trainer.TrainerException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The across-seed summary of {@code ctr exchange-experiment --seeds}: per configuration the mean
 * held-out figures and the mean gap to {@code uncompressed} of the same seed, worker count and
 * partitioning (a paired difference: both runs see the same data and initial weights), with its
 * standard error {@code sd / sqrt(k)} ({@code sd} the sample standard deviation over the {@code
 * k} seeds) and how many seeds fall within the target by themselves.
 *
 * <p>Why seeds: a single run's final figure moves by about as much as issue 15's target (0.001)
 * under a perturbation that costs nothing in expectation (QUALITY.md 5.7: econtrol sending every
 * value as fp16, so only rounding differs from uncompressed, lands 0.0007 logloss / 0.0010 AUC
 * from it, one standard deviation over ten seeds), so a target of that size is a statement about
 * the expected gap, which only a mean over seeds estimates.
 */
final class SeedSummary {
  /** One run's final held-out figures. */
  record Run(int workers, String partitioning, String algorithm, String eta, long seed, double logloss, double auc) {
    String key() {
      return workers + "|" + partitioning + "|" + algorithm + "|" + eta;
    }
  }

  /** Mean and standard error of a sample ({@code se} NaN for fewer than two values). */
  record Stat(double mean, double se) {
    static Stat of(List<Double> x) {
      double m = 0;
      for (double v : x) {
        m += v;
      }
      m /= x.size();
      if (x.size() < 2) {
        return new Stat(m, Double.NaN);
      }
      double ss = 0;
      for (double v : x) {
        ss += (v - m) * (v - m);
      }
      return new Stat(m, Math.sqrt(ss / (x.size() - 1) / x.size()));
    }

    String text() {
      return Double.isNaN(se) ? String.format(Locale.ROOT, "%+.5f", mean)
          : String.format(Locale.ROOT, "%+.5f ± %.5f", mean, se);
    }
  }

  private SeedSummary() {}

  static final String BASELINE = "uncompressed";

  /**
   * The summary table's lines (header included), one row per configuration in first-seen order;
   * gap columns are {@code -} for the baseline itself and for configurations without a baseline
   * run of the same seed.
   *
   * @param target the allowed gap (logloss may be at most {@code +target} above the baseline, AUC
   *     at most {@code target} below)
   */
  static List<String> table(List<Run> runs, double target) {
    Map<String, List<Run>> byConfig = new LinkedHashMap<>();
    Map<String, Run> baseline = new LinkedHashMap<>();
    for (Run r : runs) {
      byConfig.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r);
      if (r.algorithm().equals(BASELINE)) {
        baseline.put(r.workers() + "|" + r.partitioning() + "|" + r.seed(), r);
      }
    }
    List<String> lines = new ArrayList<>();
    lines.add("| workers | partitioning | algorithm | eta | seeds | logloss (mean) | AUC (mean) | logloss gap"
        + " (mean ± se) | AUC gap (mean ± se) | seeds within target | mean within target |");
    lines.add("|---|---|---|---|---|---|---|---|---|---|---|");
    for (List<Run> rs : byConfig.values()) {
      Run first = rs.get(0);
      List<Double> ll = new ArrayList<>();
      List<Double> auc = new ArrayList<>();
      List<Double> dl = new ArrayList<>();
      List<Double> da = new ArrayList<>();
      int within = 0;
      for (Run r : rs) {
        ll.add(r.logloss());
        auc.add(r.auc());
        Run b = first.algorithm().equals(BASELINE) ? null
            : baseline.get(r.workers() + "|" + r.partitioning() + "|" + r.seed());
        if (b != null) {
          double gl = r.logloss() - b.logloss();
          double ga = r.auc() - b.auc();
          dl.add(gl);
          da.add(ga);
          if (within(gl, ga, target)) {
            within++;
          }
        }
      }
      String gaps;
      if (dl.isEmpty()) {
        gaps = "- | - | - | -";
      } else {
        Stat gl = Stat.of(dl);
        Stat ga = Stat.of(da);
        boolean met = within(gl.mean(), ga.mean(), target);
        gaps = gl.text() + " | " + ga.text() + " | " + within + " of " + dl.size() + " | " + (met ? "yes" : "no");
      }
      lines.add(String.format(Locale.ROOT, "| %d | %s | %s | %s | %d | %.5f | %.5f | %s |", first.workers(),
          first.partitioning(), first.algorithm(), first.eta(), rs.size(), Stat.of(ll).mean(), Stat.of(auc).mean(), gaps));
    }
    return lines;
  }

  /** Whether a gap is within the target, up to float rounding (1e-9) of differences of figures like 0.441 - 0.440. */
  static boolean within(double loglossGap, double aucGap, double target) {
    return loglossGap <= target + 1e-9 && aucGap >= -target - 1e-9;
  }

  /**
   * Parses {@code --seeds}: comma-separated seeds and inclusive ranges {@code a-b}, e.g. {@code
   * 1-10} or {@code 1,3,5-7}; at most 1,000 seeds, no repeats.
   *
   * @throws TrainerException naming the offending entry
   */
  static long[] parseSeeds(String text) {
    List<Long> seeds = new ArrayList<>();
    for (String part : text.split(",")) {
      String p = part.trim();
      try {
        int dash = p.indexOf('-', 1);
        long a = Long.parseLong(dash < 0 ? p : p.substring(0, dash).trim());
        long b = dash < 0 ? a : Long.parseLong(p.substring(dash + 1).trim());
        if (b < a || b - a >= 1000) {
          throw new TrainerException("--seeds range '" + p + "' must run upwards over at most"
              + " 1000 seeds");
        }
        for (long s = a; s <= b; s++) {
          if (seeds.contains(s)) {
            throw new TrainerException("--seeds names seed " + s + " twice (in '" + p + "')");
          }
          seeds.add(s);
        }
      } catch (NumberFormatException e) {
        throw new TrainerException("--seeds must be seeds or ranges like 1-10, found '" + p + "'");
      }
      if (seeds.size() > 1000) {
        throw new TrainerException("--seeds names more than 1000 seeds");
      }
    }
    return seeds.stream().mapToLong(Long::longValue).toArray();
  }
}
