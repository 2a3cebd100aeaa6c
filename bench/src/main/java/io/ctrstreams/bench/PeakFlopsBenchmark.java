package io.ctrstreams.bench;

import io.ctrstreams.simd.VectorPeak;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/**
 * The single-core float FMA peak, two ways. {@link #fmaPeak}: reachable from Java 17 without the
 * Vector API: a loop over an
 * L1-resident array ({@link #N} floats = 4 KB) applying {@link #CHAIN} dependent {@code Math.fma}
 * per element. C2 vectorizes the loop over elements and unrolls it, so several independent vector
 * chains are in flight and the loop is bound by FMA throughput, not by loads, stores or latency.
 * One op = {@code N * CHAIN} fused multiply-adds = {@link #FLOPS_PER_OP} flops. {@link #vectorPeak}:
 * {@link VectorPeak}, twelve independent register chains of Vector API FMAs ({@link
 * #VECTOR_FLOPS_PER_OP} flops per op), what the scorer's Vector API kernels could reach. Reports
 * take the higher of the two as the peak.
 */
public class PeakFlopsBenchmark extends NsBenchmark {
  /** Elements per op. */
  public static final int N = 1024;
  /** Dependent FMAs per element. */
  public static final int CHAIN = 16;
  /** Flops (2 per FMA) per op. */
  public static final long FLOPS_PER_OP = 2L * N * CHAIN;

  /** Vector FMA steps per {@link #vectorPeak} op. */
  public static final int VECTOR_STEPS = 4096;
  /** Flops per {@link #vectorPeak} op. */
  public static final long VECTOR_FLOPS_PER_OP = VectorPeak.flops(VECTOR_STEPS);

  private final float[] x = new float[N];
  private final float[] y = new float[N];
  private float a;
  private float b;

  /** Seeds inputs that stay bounded under repeated v*a + b. */
  @Setup
  public void setup() {
    for (int i = 0; i < N; i++) {
      x[i] = (i % 17) * 0.01f;
    }
    a = 0.999f;
    b = 0.001f;
  }

  /** N * CHAIN fused multiply-adds. */
  @Benchmark
  public float[] fmaPeak() {
    final float a = this.a;
    final float b = this.b;
    final float[] x = this.x;
    final float[] y = this.y;
    for (int j = 0; j < N; j++) {
      float v = x[j];
      v = Math.fma(v, a, b);
      v = Math.fma(v, a, b);
      v = Math.fma(v, a, b);
      v = Math.fma(v, a, b);
      v = Math.fma(v, a, b);
      v = Math.fma(v, a, b);
      v = Math.fma(v, a, b);
      v = Math.fma(v, a, b);
      v = Math.fma(v, a, b);
      v = Math.fma(v, a, b);
      v = Math.fma(v, a, b);
      v = Math.fma(v, a, b);
      v = Math.fma(v, a, b);
      v = Math.fma(v, a, b);
      v = Math.fma(v, a, b);
      v = Math.fma(v, a, b);
      y[j] = v;
    }
    return y;
  }

  /** {@link #VECTOR_STEPS} x {@link VectorPeak#CHAINS} vector FMAs in registers. */
  @Benchmark
  public float vectorPeak() {
    return VectorPeak.run(a, b, VECTOR_STEPS);
  }

  /**
   * GFLOP/s of {@link #vectorPeak} over about {@code ms} of wall time, by thread CPU time: the peak
   * beside a measured row or shape ({@code CpuTimeBench}, {@link KernelShapeBench}).
   */
  double vectorGflops(com.sun.management.ThreadMXBean mx, long ms) {
    long c0 = mx.getCurrentThreadCpuTime();
    long ops = 0;
    long end = System.nanoTime() + ms * 1_000_000L;
    float sink = 0;
    while (System.nanoTime() < end) {
      sink += vectorPeak();
      ops++;
    }
    long cpu = mx.getCurrentThreadCpuTime() - c0;
    return sink == Float.MIN_VALUE ? 0 : VECTOR_FLOPS_PER_OP * ops / (double) cpu;
  }
}
