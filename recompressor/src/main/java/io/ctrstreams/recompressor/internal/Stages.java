package io.ctrstreams.recompressor.internal;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Wall time per named stage, in order, for reports. Not thread-safe. */
public final class Stages {
  private final Map<String, Double> seconds = new LinkedHashMap<>();
  private long mark = System.nanoTime();

  /** Ends the current stage under {@code name} (times accumulate) and starts the next. */
  public void end(String name) {
    long now = System.nanoTime();
    seconds.merge(name, (now - mark) / 1e9, Double::sum);
    mark = now;
  }

  /** A copy of the stage times. */
  public Map<String, Double> seconds() {
    return new LinkedHashMap<>(seconds);
  }

  /** "a 1.2 s, b 0.3 s". */
  public static String format(Map<String, Double> s) {
    StringBuilder sb = new StringBuilder();
    s.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s %.2f s", k, v)));
    return sb.toString();
  }
}
