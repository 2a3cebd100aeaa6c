package io.ctrstreams.bench;

import com.sun.management.ThreadMXBean;
import io.ctrstreams.model.internal.MatMuls;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The scorer and peak benchmarks timed by <b>thread CPU time</b> instead of wall time, for a
 * shared machine: when other processes keep the cores busy, JMH's wall-clock scores include time
 * the benchmark thread was descheduled, while CPU time only counts time it ran (cache and memory
 * bandwidth sharing still show). Same models, inputs and checks as {@link ScorerBenchmark} and
 * {@link PeakFlopsBenchmark}; one JVM, configurations run in sequence, each warmed up for
 * {@code warmupMs}, then the median of {@code rounds} rounds of {@code roundMs}.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar
 * io.ctrstreams.bench.CpuTimeBench [roundMs rounds warmupMs]} (add {@code -Dctr.kernels=java} for
 * the auto-vectorized Java kernels).
 */
public final class CpuTimeBench {
  private static final ThreadMXBean MX = (ThreadMXBean) ManagementFactory.getThreadMXBean();

  private CpuTimeBench() {}

  /** Runs every configuration and prints the report table. */
  public static void main(String[] args) {
    long roundMs = args.length > 0 ? Long.parseLong(args[0]) : 1000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    long warmupMs = args.length > 2 ? Long.parseLong(args[2]) : 3000;
    PeakFlopsBenchmark peak = new PeakFlopsBenchmark();
    peak.setup();
    double peakNs = measure(() -> peak.fmaPeak(), roundMs, rounds, warmupMs)[0];
    boolean vectorModule = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    double vectorPeakNs = vectorModule ? measure(() -> peak.vectorPeak(), roundMs, rounds, warmupMs)[0] : Double.NaN;
    List<ScoreBench.Row> rows = new ArrayList<>();
    for (String arch : List.of("DNN", "DCNV2")) {
      for (int batch : List.of(1, 16, 256)) {
        for (String variant : List.of("dense", "lowrank")) {
          ScorerBenchmark b = new ScorerBenchmark();
          b.arch = arch;
          b.variant = variant;
          b.batch = batch;
          b.scorer = "optimized";
          b.setup();
          double before = vectorModule ? peak.vectorGflops(MX, roundMs) : Double.NaN;
          double[] r = measure(b::scoreOnce, roundMs, rounds, warmupMs);
          double after = vectorModule ? peak.vectorGflops(MX, roundMs) : Double.NaN;
          rows.add(ScoreBench.Row.of(arch, variant, batch, r[0], r[1]).withAdjacentPeak((before + after) / 2));
        }
      }
    }
    System.out.print(ScoreBench.format(new ScoreBench.Result(rows, PeakFlopsBenchmark.FLOPS_PER_OP / peakNs,
        PeakFlopsBenchmark.VECTOR_FLOPS_PER_OP / vectorPeakNs, MatMuls.describe())));
    System.out.printf(Locale.ROOT, "(thread CPU time, median of %d x %d ms after %d ms warmup; alloc = thread "
        + "allocated bytes / op)%n", rounds, roundMs, warmupMs);
  }

  /** Returns {median CPU ns per op, allocated bytes per op}. */
  private static double[] measure(Runnable op, long roundMs, int rounds, long warmupMs) {
    long tid = Thread.currentThread().getId();
    long end = System.nanoTime() + warmupMs * 1_000_000;
    while (System.nanoTime() < end) {
      op.run();
    }
    double[] ns = new double[rounds];
    long allocBytes = 0;
    long ops = 0;
    for (int r = 0; r < rounds; r++) {
      long n = 0;
      long a0 = MX.getThreadAllocatedBytes(tid);
      long c0 = MX.getCurrentThreadCpuTime();
      long wallEnd = System.nanoTime() + roundMs * 1_000_000;
      while (System.nanoTime() < wallEnd) {
        op.run();
        n++;
      }
      ns[r] = (MX.getCurrentThreadCpuTime() - c0) / (double) n;
      allocBytes += MX.getThreadAllocatedBytes(tid) - a0;
      ops += n;
    }
    Arrays.sort(ns);
    return new double[] {ns[rounds / 2], allocBytes / (double) ops};
  }
}
