package io.ctrstreams.loadtest;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;

/**
 * CPU time of one throughput run: the whole process (broker, producers, apps, the counter: all
 * share the machine's cores) and the run's stream threads alone. Per impression, these say where
 * a throughput difference comes from: the scoring work on the stream thread, or contention with
 * the threads around it. Reads {@code com.sun.management.OperatingSystemMXBean} and {@link
 * ThreadMXBean}; NaN where the JVM does not offer them.
 */
final class CpuMeter {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private CpuMeter() {}

  /** CPU nanoseconds used by this process so far, or -1 when not available. */
  static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /**
   * CPU nanoseconds used so far by the live stream threads of {@code applicationId} (Kafka
   * Streams names them {@code <client id>-StreamThread-<n>}, the client id starting with the
   * application id), or -1 when thread CPU time is not measured.
   */
  static long streamThreadCpuNanos(String applicationId) {
    if (!THREADS.isThreadCpuTimeSupported() || !THREADS.isThreadCpuTimeEnabled()) {
      return -1;
    }
    long sum = 0;
    for (ThreadInfo t : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
      if (t != null && t.getThreadName().startsWith(applicationId) && t.getThreadName().contains("-StreamThread-")) {
        long ns = THREADS.getThreadCpuTime(t.getThreadId());
        if (ns > 0) {
          sum += ns;
        }
      }
    }
    return sum;
  }

  /** {@code nanos} per impression in microseconds; NaN for an unmeasured (-1) value. */
  static double microsPer(long nanos, long impressions) {
    return nanos < 0 || impressions <= 0 ? Double.NaN : nanos / 1e3 / impressions;
  }
}
