package io.ctrstreams.bench;

import com.sun.management.ThreadMXBean;
import io.ctrstreams.model.internal.MatMul;
import io.ctrstreams.model.internal.MatMuls;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Random;

/**
 * The scorer's block product alone ({@link MatMul#affinePacked} with ReLU, over weights packed by
 * {@link MatMul#pack} when the selected kernel packs) on the benchmark models' layer shapes, by
 * thread CPU time: which shapes hold the kernel below the FMA peak (BENCHMARKS.md 1f).
 *
 * <p>Each shape's window sits between two windows of the register-only FMA peak ({@link
 * PeakFlopsBenchmark#vectorPeak}, half as long each), and its share of the peak is taken against
 * their mean: on a host whose clock moves minute to minute (BENCHMARKS.md 1j: the peak measured
 * 47-84 GFLOP/s on one core in one hour) a peak from another minute says little.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar
 * io.ctrstreams.bench.KernelShapeBench [roundMs]}; prints the CPU model and its vector flags, then
 * per shape n x in x out, ns per call, GFLOP/s, the adjacent peak, the share of it and bytes
 * allocated per call.
 */
public final class KernelShapeBench {
  private KernelShapeBench() {}

  /** "cpu: <model name> | vector flags: ..." from /proc/cpuinfo (what a speed figure must name). */
  static String hostLine() {
    String model = "unknown";
    String flags = "";
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name") && model.equals("unknown")) {
          model = line.substring(line.indexOf(':') + 1).trim();
        } else if (line.startsWith("flags") && flags.isEmpty()) {
          StringBuilder b = new StringBuilder();
          for (String f : line.substring(line.indexOf(':') + 1).trim().split(" ")) {
            if (f.equals("fma") || f.equals("avx2") || f.startsWith("avx512")) {
              b.append(b.length() == 0 ? "" : " ").append(f);
            }
          }
          flags = b.toString();
        }
      }
    } catch (java.io.IOException e) {
      model = "unknown (" + e.getMessage() + ")";
    }
    return "cpu: " + model + " | vector flags: " + (flags.isEmpty() ? "none of fma avx2 avx512*" : flags);
  }

  /** Runs each shape twice (the first pass warms up) and prints the second. */
  public static void main(String[] args) {
    long roundMs = args.length > 0 ? Long.parseLong(args[0]) : 700;
    MatMul mm = MatMuls.get();
    ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    System.out.println(hostLine());
    System.out.println("kernels: " + MatMuls.describe());
    PeakFlopsBenchmark peak = new PeakFlopsBenchmark();
    peak.setup();
    int[][] shapes = {{32, 400, 400}, {32, 400, 64}, {32, 64, 400}, {32, 624, 64}, {32, 64, 624}, {32, 624, 624},
        {32, 52, 400}, {32, 208, 624}, {16, 400, 64}, {16, 64, 400}};
    Random rnd = new Random(1);
    for (int pass = 0; pass < 2; pass++) {
      for (int[] s : shapes) {
        int n = s[0];
        int in = s[1];
        int out = s[2];
        float[][] x = new float[n][in];
        float[][] wt = new float[in][out];
        float[][] y = new float[n][out];
        float[] bias = new float[out];
        for (float[] row : x) {
          for (int i = 0; i < in; i++) {
            row[i] = rnd.nextFloat() - 0.5f;
          }
        }
        for (float[] row : wt) {
          for (int i = 0; i < out; i++) {
            row[i] = rnd.nextFloat() - 0.5f;
          }
        }
        float[] packed = mm.pack(wt, 0, in, out);
        long end = System.nanoTime() + roundMs * 1_000_000L;
        while (System.nanoTime() < end) {
          mm.affinePacked(x, 0, n, in, wt, 0, packed, out, bias, true, false, y);
        }
        double peakBefore = peak.vectorGflops(mx, roundMs / 2);
        long c0 = mx.getCurrentThreadCpuTime();
        long a0 = mx.getThreadAllocatedBytes(tid);
        long calls = 0;
        end = System.nanoTime() + roundMs * 1_000_000L;
        while (System.nanoTime() < end) {
          mm.affinePacked(x, 0, n, in, wt, 0, packed, out, bias, true, false, y);
          calls++;
        }
        double ns = (mx.getCurrentThreadCpuTime() - c0) / (double) calls;
        long alloc = (mx.getThreadAllocatedBytes(tid) - a0) / calls;
        double peakGflops = (peakBefore + peak.vectorGflops(mx, roundMs / 2)) / 2;
        if (pass == 1) {
          double gflops = 2.0 * n * in * out / ns;
          System.out.printf(Locale.ROOT, "%3d x %3d x %3d  %9.0f ns  %6.1f GFLOP/s  peak %6.1f  %5.1f%%  alloc/call %d B%n",
              n, in, out, ns, gflops, peakGflops, 100 * gflops / peakGflops, alloc);
        }
      }
    }
  }
}
