package io.ctrstreams.loadtest.chaos;

import java.util.ArrayList;
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

  /**
   * The table: case, tried, lost, duplicated, crashed, time to recover, note (columns as wide as
   * their longest cell; numbers right-aligned); then a verdict line.
   */
  public String format() {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"case", "tried", "lost", "duplicated", "crashed", "time to recover", "note"});
    for (CaseResult c : cases) {
      rows.add(new String[] {c.name(), Integer.toString(c.tried()), Integer.toString(c.lost()),
          Long.toString(c.duplicated()), c.crashed().isEmpty() ? "no" : "YES: " + c.crashed(), recovery(c),
          (c.passed() ? "ok: " : "FAIL: ") + c.note()});
    }
    int[] width = new int[rows.get(0).length];
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String[] r : rows) {
      for (int i = 0; i < r.length - 1; i++) {
        boolean number = i >= 1 && i <= 3;
        sb.append(String.format(Locale.ROOT, "%" + (number ? "" : "-") + width[i] + "s  ", r[i]));
      }
      sb.append(r[r.length - 1]).append('\n');
    }
    long failed = cases.stream().filter(c -> !c.passed()).count();
    sb.append(String.format(Locale.ROOT, "%d case(s), %d failed, %.1f s%n", cases.size(), failed, elapsedMs / 1000.0));
    return sb.toString();
  }

  /**
   * "12.3 s (all 14.0 s)": to the first new score on every partition, to every input scored;
   * "never" when not every input was scored (scores that resumed and then stopped again, e.g.
   * before a crash, are no recovery).
   */
  static String recovery(CaseResult c) {
    if (c.allScoredMs() < 0) {
      return "never";
    }
    return seconds(c.recoverMs()) + " (all " + seconds(c.allScoredMs()) + ")";
  }

  private static String seconds(long ms) {
    return ms < 0 ? "never" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
  }
}
