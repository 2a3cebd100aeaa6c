package io.ctrstreams.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The single-core float FMA peak with explicit vectors: {@link #CHAINS} independent register
 * accumulators (enough to cover the FMA latency on two FMA pipes), each advanced by one fused
 * multiply-add per step. The benchmark module reports the scorer's GFLOP/s against this and
 * the auto-vectorized Java peak, whichever is higher.
 */
public final class VectorPeak {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  /** Independent accumulator chains. */
  public static final int CHAINS = 12;

  private VectorPeak() {}

  /** Flops one {@link #run} call executes for {@code steps}. */
  public static long flops(int steps) {
    return 2L * CHAINS * S.length() * steps;
  }

  /**
   * {@code steps} rounds of {@link #CHAINS} vector FMAs ({@code v = v * a + b}, bounded for
   * {@code 0 < a < 1}); returns a lane sum so the work cannot be eliminated.
   */
  public static float run(float a, float b, int steps) {
    FloatVector va = FloatVector.broadcast(S, a);
    FloatVector vb = FloatVector.broadcast(S, b);
    FloatVector v0 = FloatVector.broadcast(S, 0.10f);
    FloatVector v1 = FloatVector.broadcast(S, 0.11f);
    FloatVector v2 = FloatVector.broadcast(S, 0.12f);
    FloatVector v3 = FloatVector.broadcast(S, 0.13f);
    FloatVector v4 = FloatVector.broadcast(S, 0.14f);
    FloatVector v5 = FloatVector.broadcast(S, 0.15f);
    FloatVector v6 = FloatVector.broadcast(S, 0.16f);
    FloatVector v7 = FloatVector.broadcast(S, 0.17f);
    FloatVector v8 = FloatVector.broadcast(S, 0.18f);
    FloatVector v9 = FloatVector.broadcast(S, 0.19f);
    FloatVector v10 = FloatVector.broadcast(S, 0.20f);
    FloatVector v11 = FloatVector.broadcast(S, 0.21f);
    for (int s = 0; s < steps; s++) {
      v0 = v0.fma(va, vb);
      v1 = v1.fma(va, vb);
      v2 = v2.fma(va, vb);
      v3 = v3.fma(va, vb);
      v4 = v4.fma(va, vb);
      v5 = v5.fma(va, vb);
      v6 = v6.fma(va, vb);
      v7 = v7.fma(va, vb);
      v8 = v8.fma(va, vb);
      v9 = v9.fma(va, vb);
      v10 = v10.fma(va, vb);
      v11 = v11.fma(va, vb);
    }
    FloatVector t = v0.add(v1).add(v2).add(v3).add(v4).add(v5).add(v6).add(v7).add(v8).add(v9).add(v10).add(v11);
    return t.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
  }
}
