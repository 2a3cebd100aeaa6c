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
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar
 * io.ctrstreams.bench.KernelShapeBench [roundMs]}; prints n x in x out, ns per call, GFLOP/s and
 * bytes allocated per call.
 */
public final class KernelShapeBench {
  private KernelShapeBench() {}

  /** Runs each shape twice (the first pass warms up) and prints the second. */
  public static void main(String[] args) {
    long roundMs = args.length > 0 ? Long.parseLong(args[0]) : 700;
    MatMul mm = MatMuls.get();
    ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    System.out.println("kernels: " + MatMuls.describe());
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
        if (pass == 1) {
          System.out.printf(Locale.ROOT, "%3d x %3d x %3d  %9.0f ns  %6.1f GFLOP/s  alloc/call %d B%n", n, in, out, ns,
              2.0 * n * in * out / ns, alloc);
        }
      }
    }
  }
}
