package io.ctrstreams.loadtest.chaos;

import java.util.List;
import java.util.Locale;

/** The fault suite's outcome: one {@link CaseResult} per case, printed as a table. */
public record ChaosReport(List<CaseResult> cases, long elapsedMs) {

  /** Copies the list. */
  public ChaosReport {
    cases = List.copyOf(cases);
  }

  /** Whether any case lost, duplicated or crashed, or missed its own check. */
  public boolean failed() {
    return cases.stream().anyMatch(c -> !c.passed());
  }

  /** The table: case, tried, lost, duplicated, crashed, time to recover, note; then a verdict. */
  public String format() {
    StringBuilder sb = new StringBuilder();
    String fmt = "%-16s %6s %6s %10s %-22s %-22s %s%n";
    sb.append(String.format(Locale.ROOT, fmt, "case", "tried", "lost", "duplicated", "crashed", "time to recover",
        "note"));
    for (CaseResult c : cases) {
      sb.append(String.format(Locale.ROOT, fmt, c.name(), c.tried(), c.lost(), c.duplicated(),
          c.crashed().isEmpty() ? "no" : "YES: " + c.crashed(), recovery(c), (c.passed() ? "ok: " : "FAIL: ") + c.note()));
    }
    long failed = cases.stream().filter(c -> !c.passed()).count();
    sb.append(String.format(Locale.ROOT, "%d case(s), %d failed, %.1f s%n", cases.size(), failed, elapsedMs / 1000.0));
    return sb.toString();
  }

  /** "12.3 s (all 14.0 s)": to the first new score on every partition, to every input scored. */
  static String recovery(CaseResult c) {
    if (c.recoverMs() < 0 && c.allScoredMs() < 0) {
      return "never";
    }
    return seconds(c.recoverMs()) + " (all " + seconds(c.allScoredMs()) + ")";
  }

  private static String seconds(long ms) {
    return ms < 0 ? "never" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
  }
}
