package io.ctrstreams.serving;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the threads that decode and prepare new models (the models-topic follower, the model-file
 * watcher) at the lowest CPU priority, so a hot swap takes only CPU time the scoring threads leave.
 *
 * <p>A swap's decode is a few milliseconds of CPU per model (BENCHMARKS.md section 7); on a server
 * whose cores are busy scoring, a decode thread of the same priority takes its time slices from
 * the scorers, and every request in flight meanwhile waits: 20 swaps in 10 s at 1,000 requests/s
 * put 3% of the requests behind a decode, which is the whole p99. At nice 19 the Linux scheduler
 * gives the decode about 1.5% of a busy core and lets a scoring thread preempt it as soon as a
 * request arrives; the swap itself is still one reference write, it just happens a little later
 * when the cores are saturated.
 *
 * <p>Java has no portable call for a thread's nice value (thread priorities are ignored on Linux
 * unless the JVM runs as root), so on Linux the thread renices itself by its kernel thread id
 * ({@code /proc/thread-self}) with the {@code renice} command (util-linux / bsdutils). Elsewhere,
 * without {@code renice} on the PATH (the distroless image of {@code image/}), or when it fails,
 * the thread stays at normal priority and says so once in the log.
 * {@code -Dctr.decode.nice=N} sets another value (0 = leave the priority as it is).
 */
public final class DecodePriority {
  private static final Logger LOG = LoggerFactory.getLogger(DecodePriority.class);
  /** System property: the nice value of decode threads (default 19; 0 = unchanged). */
  public static final String NICE_PROPERTY = "ctr.decode.nice";
  private static volatile boolean warned;

  private DecodePriority() {}

  /** The configured nice value, checked. */
  static int configuredNice() {
    String v = System.getProperty(NICE_PROPERTY, "19");
    int nice;
    try {
      nice = Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(NICE_PROPERTY + " must be an integer in [0, 19], found '" + v + "'");
    }
    if (nice < 0 || nice > 19) {
      throw new IllegalArgumentException(NICE_PROPERTY + " must be in [0, 19], found " + nice);
    }
    return nice;
  }

  /**
   * Lowers the calling thread to the configured nice value; true when its nice value is that now.
   * Call it first thing on a decode thread.
   */
  public static boolean lowerCurrentThread() {
    return lowerCurrentThread(configuredNice());
  }

  static boolean lowerCurrentThread(int nice) {
    if (nice == 0) {
      return false;
    }
    Path self = Path.of("/proc/thread-self");
    if (!Files.exists(self)) {
      warnOnce("no /proc/thread-self (not Linux)");
      return false;
    }
    Path renice = onPath("renice");
    if (renice == null) {
      warnOnce("no renice command on the PATH");
      return false;
    }
    try {
      String tid = self.toRealPath().getFileName().toString();
      Process p = new ProcessBuilder(renice.toString(), "-n", Integer.toString(nice), "-p", tid)
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        warnOnce("renice failed: " + out);
        return false;
      }
      int now = currentNice();
      if (now != nice) {
        warnOnce("renice left nice " + now + " instead of " + nice + ": " + out);
        return false;
      }
      return true;
    } catch (IOException e) {
      warnOnce("renice could not run: " + e.getMessage());
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The executable {@code command} in a directory of the PATH, or null (a minimal image may have none). */
  static Path onPath(String command) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty()) {
        Path p = Path.of(dir, command);
        if (Files.isExecutable(p)) {
          return p;
        }
      }
    }
    return null;
  }

  /** The calling thread's nice value (Linux), from field 19 of {@code /proc/thread-self/stat}. */
  static int currentNice() throws IOException {
    String stat = Files.readString(Path.of("/proc/thread-self/stat"), StandardCharsets.US_ASCII);
    // the command name (field 2) is in parentheses and may hold spaces: count from after it
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    return Integer.parseInt(f[19 - 3]);
  }

  private static void warnOnce(String why) {
    if (!warned) {
      warned = true;
      LOG.warn("model decode threads stay at normal CPU priority ({}); hot swaps then compete with scoring", why);
    }
  }
}
