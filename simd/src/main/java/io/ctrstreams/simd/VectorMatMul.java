package io.ctrstreams.simd;

import io.ctrstreams.model.internal.Kernels;
import io.ctrstreams.model.internal.MatMul;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The scorer's block product with explicit SIMD register blocking (Vector API, incubator in Java
 * 17).
 *
 * <p>The auto-vectorized Java kernels keep the output rows in memory: every pass of six input
 * rows loads and stores each output vector, and a 64-float output row (a rank-64 factor) is only
 * four vector iterations, so loop overhead is not amortized (36-38 GFLOP/s there). Here a tile of
 * accumulators stays in registers for the whole input dimension, its shape chosen per host
 * ({@link #TILE}): with AVX-512, eight candidates x three vectors (48 floats) in 24 registers over
 * weights {@linkplain #pack packed} once at model load into column panels (per input row three
 * weight loads from one sequential stream, eight broadcasts and 24 FMAs, no stores); with AVX2's
 * sixteen registers, six candidates x two vectors (twelve accumulators) over weights packed the same
 * way in panels of two vectors and the six candidates' activations interleaved into one array.
 * {@link #affine} starts the tiles from the bias instead of a broadcast copy of it.
 * Remaining candidates use one-candidate tiles of up to four vectors (independent FMA chains);
 * remaining columns a scalar loop. One to three candidates against a large matrix go to the Java
 * kernels (see {@link #STREAM_FLOATS}).
 *
 * <p>The tile methods repeat one pattern with different register counts on purpose: C2 (JDK 17)
 * keeps vectors in registers only in straight-line code; a loop over an array of vectors, a
 * count parameter, a conditional vector value or an un-inlined helper boxes them (measured: 5-10
 * KB allocated per candidate). And a tile must leave C2 room for its schedule: C2 issues the
 * broadcasts of several candidates ahead of their FMAs, and when accumulators + weight vectors +
 * the broadcasts it keeps live exceed the register file, it spills accumulators to the stack; each
 * spilled one then goes load, FMA, store every input row (measured: a 6x2 tile at half speed in
 * some JVMs, see {@link #TILE}).
 *
 * <p>Every output element is accumulated over {@code i} in increasing order with one fused
 * multiply-add per term, exactly as {@link io.ctrstreams.model.internal.Kernels} does, so the
 * results are bitwise identical (tested).
 */
public final class VectorMatMul implements MatMul {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  private static final int T = 4 * L;

  /**
   * System property forcing a tile shape ({@code 8x3}, {@code 6x2i}, {@code 4x2}, {@code 4x4}, {@code 6x2});
   * default {@code auto}.
   */
  public static final String TILE_PROPERTY = "ctr.simd.tile";

  /**
   * The register-blocked tile, candidates x vectors, chosen per host from the preferred species:
   *
   * <ul>
   *   <li><b>8x3</b> for 512-bit vectors (AVX-512: 32 vector registers), over packed weights
   *       ({@link #affinePacked}): 24 accumulators, 3 weight vectors and a broadcast, 28
   *       registers; per input row 3 loads feed 24 FMAs. The tiles start from the bias vectors
   *       (three loads, not one per accumulator). A 6x4 tile of the same form made C2 box its
   *       vectors in two of three benchmark runs (BENCHMARKS.md 1e/1f); 8x3 did not in steady state.
   *       Products without packed weights (the context part, one to three candidates) use 4x4;
   *   <li><b>4x4</b> (forced only) over the rows: 16 accumulators, 4 weight vectors and a
   *       broadcast, 21 registers; the AVX-512 tile before packing;
   *   <li><b>6x2i</b> for narrower vectors (AVX2/FMA3: 16 registers) on JDK 17, over weights packed in
   *       panels of 2 vectors ({@link #pack}) and the activations of six candidates interleaved
   *       into one array per call: 12 accumulators, 2 weight vectors and 2 broadcasts, 16 registers;
   *       per input row 2 loads and 6 broadcasts feed 12 FMAs (12 independent chains, 1.5 times
   *       the 8 that FMA latency x pipes take on Zen 3; 4x2 has exactly 8). Over six row arrays the same tile spilled (below): C2 had
   *       no general registers left for six array pointers and parked them in vector registers and
   *       on the stack; through one interleaved array and one index it did not in the JVMs checked
   *       (BENCHMARKS.md 1k). Remaining candidates in 4x2 tiles ({@link #fourGroups}); products
   *       without packed weights run 4x2 over the rows;
   *   <li><b>4x2</b> (forced only) over the same packed weights and the rows of the activations: 8
   *       accumulators and 2 weight vectors, so even with all four broadcasts of an input row live
   *       at once it needs 14 registers and cannot spill; per input row 2 loads and 4 broadcasts
   *       feed 8 FMAs; the AVX2 default of 1j, and on other JDKs (see {@link #tile}). On an AVX2-only host (Zen 3, BENCHMARKS.md 1j) the packed
   *       form ran about twice as fast as the row form (a row-pointer load, a null and a bounds
   *       check per input row, and no sequential stream), and a packed 6x2 tile (12 accumulators:
   *       15 registers with one broadcast, up to 20 with C2's schedule) was compiled with two
   *       accumulators spilled to the stack in some JVMs and not in others: 38-45 against 70-92
   *       GFLOP/s on a 32x400x400 product, the same code otherwise;
   *   <li><b>6x2</b> (forced only) over the rows: the AVX2 tile before packing (12 accumulators,
   *       the classic AVX2 SGEMM micro-kernel shape, 6 rows x 16 floats), kept as the baseline.
   * </ul>
   *
   * The JDK offers no register count, so the species width stands for it: a JVM whose preferred
   * float vector is 512 bits runs with AVX-512 enabled (zmm0-31); with {@code -XX:UseAVX=2} or
   * {@code -XX:MaxVectorSize=32} (or on an AVX2 host) it is 256 bits and C2 allocates ymm0-15.
   * All shapes accumulate each output element over the input in the same order with one FMA per
   * term, so every shape returns the same bits as {@link Kernels} (tested in each shape).
   */
  static final String TILE = tile(System.getProperty(TILE_PROPERTY, "auto"), S.vectorBitSize(),
      Runtime.version().feature());

  /**
   * The tile for {@code property} with {@code bits}-wide preferred vectors on JDK {@code jdk}. 6x2i
   * only on JDK 17, where it was checked: its six broadcasts stay next to their FMAs because C2
   * keeps two bounds checks on the interleaved array in the loop (an index {@code i * 6} is not
   * a form its range-check elimination takes), and they split the loop body; JDK 25's C2 removes
   * them, issues four broadcasts ahead and spills two accumulators (BENCHMARKS.md 1k). Elsewhere
   * 4x2, which cannot spill.
   */
  static String tile(String property, int bits, int jdk) {
    switch (property) {
      case "auto":
        return bits >= 512 ? "8x3" : jdk == 17 ? "6x2i" : "4x2";
      case "8x3":
        if (bits < 512) {
          throw new IllegalArgumentException(TILE_PROPERTY + "=8x3 needs 512-bit vectors (32 registers), found " + bits);
        }
        return property;
      case "6x2i":
      case "4x2":
      case "4x4":
      case "6x2":
        return property;
      default:
        throw new IllegalArgumentException(TILE_PROPERTY + " must be auto, 8x3, 6x2i, 4x2, 4x4 or 6x2, found " + property);
    }
  }

  /** 6x2 over interleaved activations, packed weights: the default with 16 registers. */
  private static final boolean SIX_INTERLEAVED = TILE.equals("6x2i");
  /** The 16-register tiles over rows: 6x2 (forced) or, with the packed 6x2i and 4x2, 4x2 for unpacked products. */
  private static final boolean SIX_BY_TWO = TILE.equals("6x2");
  private static final boolean FOUR_BY_TWO = TILE.equals("4x2") || SIX_INTERLEAVED;
  /** 8x3, 6x2i or 4x2 tiles over weights packed at load ({@link #pack}); 4x4 and 6x2 read the rows. */
  private static final boolean PACKED = TILE.equals("8x3") || FOUR_BY_TWO;
  /**
   * Below four candidates, weight matrices wider than one tile and larger than this (floats; 128 KiB) go to the Java
   * kernels, which stream each weight row once for all candidates; the tiles re-read the matrix
   * once per candidate, column block by column block. Measured (thread CPU time, 2026-11-26):
   * 1x624x624 28 vs 32-36 GFLOP/s, 3x400x400 31 vs 43-47; for small matrices the tiles win
   * (1x400x64 44 vs 21, 1x64x400 46 vs 31).
   */
  private static final long STREAM_FLOATS = 32 * 1024;

  /**
   * Used by {@link java.util.ServiceLoader}.
   *
   * @throws UnsupportedOperationException when the preferred vector holds fewer than 8 floats
   *     (no AVX2-class SIMD: the Java kernels are as good there)
   */
  public VectorMatMul() {
    if (L < 8) {
      throw new UnsupportedOperationException("preferred float vector has " + L + " lanes; need >= 8");
    }
  }

  @Override
  public String describe() {
    return "vector-api " + S.vectorBitSize() + "-bit, tiles " + TILE + " (jdk.incubator.vector)";
  }

  @Override
  public void gemm(float[][] x, int xCol, int n, int in, float[][] wt, int wRow, int out, float[][] y) {
    check(x, xCol, n, in, wt, wRow, out, y);
    if (streams(n, in, out)) {
      Kernels.gemm(x, xCol, n, in, wt, wRow, out, y);
      return;
    }
    run(x, xCol, n, in, wt, wRow, out, null, false, y);
  }

  /** Fused: the tiles start from the bias instead of a broadcast copy of it in {@code y}. */
  @Override
  public void affine(float[][] x, int xCol, int n, int in, float[][] wt, int wRow, int out, float[] bias,
      boolean relu, boolean narrow, float[][] y) {
    check(x, xCol, n, in, wt, wRow, out, y);
    if (bias.length < out) {
      throw new IllegalArgumentException("bias has " + bias.length + " values for " + out + " outputs");
    }
    if (streams(n, in, out)) {
      MatMul.super.affine(x, xCol, n, in, wt, wRow, out, bias, relu, narrow, y);
      return;
    }
    run(x, xCol, n, in, wt, wRow, out, bias, relu, y);
  }

  private static boolean streams(int n, int in, int out) {
    return n < 4 && out > T && (long) in * out > STREAM_FLOATS;
  }

  /**
   * {@code y = act(init + x wt)} with init = {@code bias} (when not null) or {@code y} itself.
   * The ReLU is a separate pass: fused into the tiles' stores (a conditional vector value, or
   * helper methods C2 left un-inlined at those cold call sites) it made C2 (JDK 17) box the
   * vectors, 5-10 KB allocated per candidate (measured with CpuTimeBench).
   */
  private static void run(float[][] x, int xCol, int n, int in, float[][] wt, int wRow, int out, float[] bias,
      boolean relu, float[][] y) {
    tiles(x, xCol, n, in, wt, wRow, out, bias, y);
    if (relu) {
      Kernels.relu(y, n, out);
    }
  }

  private static void tiles(float[][] x, int xCol, int n, int in, float[][] wt, int wRow, int out, float[] bias,
      float[][] y) {
    if (SIX_BY_TWO || FOUR_BY_TWO) {
      tiles6x2(x, xCol, n, in, wt, wRow, out, bias, SIX_BY_TWO, y);
      return;
    }
    int c = 0;
    for (; c + 4 <= n; c += 4) {
      float[] x0 = x[c];
      float[] x1 = x[c + 1];
      float[] x2 = x[c + 2];
      float[] x3 = x[c + 3];
      float[] y0 = y[c];
      float[] y1 = y[c + 1];
      float[] y2 = y[c + 2];
      float[] y3 = y[c + 3];
      int j = 0;
      for (; j + T <= out; j += T) {
        tile4x4(x0, x1, x2, x3, xCol, in, wt, wRow, j, bias, y0, y1, y2, y3);
      }
      for (; j + L <= out; j += L) {
        tile4x1(x0, x1, x2, x3, xCol, in, wt, wRow, j, bias, y0, y1, y2, y3);
      }
      if (j < out) {
        scalarColumns(x, xCol, c, c + 4, in, wt, wRow, j, out, bias, y);
      }
    }
    singles(x, xCol, c, n, in, wt, wRow, out, bias, y);
  }

  /**
   * The 16-register form over rows: with {@code six}, blocks of six candidates in 6x2 tiles (then
   * 6x1 and scalar columns); blocks of four in 4x2 / 4x1 tiles; the rest one at a time.
   */
  private static void tiles6x2(float[][] x, int xCol, int n, int in, float[][] wt, int wRow, int out, float[] bias,
      boolean six, float[][] y) {
    int c = 0;
    final int t2 = 2 * L;
    for (; six && c + 6 <= n; c += 6) {
      int j = 0;
      for (; j + t2 <= out; j += t2) {
        tile6x2(x[c], x[c + 1], x[c + 2], x[c + 3], x[c + 4], x[c + 5], xCol, in, wt, wRow, j, bias, y[c],
            y[c + 1], y[c + 2], y[c + 3], y[c + 4], y[c + 5]);
      }
      for (; j + L <= out; j += L) {
        tile4x1(x[c], x[c + 1], x[c + 2], x[c + 3], xCol, in, wt, wRow, j, bias, y[c], y[c + 1], y[c + 2], y[c + 3]);
        tile2x1(x[c + 4], x[c + 5], xCol, in, wt, wRow, j, bias, y[c + 4], y[c + 5]);
      }
      if (j < out) {
        scalarColumns(x, xCol, c, c + 6, in, wt, wRow, j, out, bias, y);
      }
    }
    for (; c + 4 <= n; c += 4) {
      int j = 0;
      for (; j + t2 <= out; j += t2) {
        tile4x2(x[c], x[c + 1], x[c + 2], x[c + 3], xCol, in, wt, wRow, j, bias, y[c], y[c + 1], y[c + 2], y[c + 3]);
      }
      for (; j + L <= out; j += L) {
        tile4x1(x[c], x[c + 1], x[c + 2], x[c + 3], xCol, in, wt, wRow, j, bias, y[c], y[c + 1], y[c + 2], y[c + 3]);
      }
      if (j < out) {
        scalarColumns(x, xCol, c, c + 4, in, wt, wRow, j, out, bias, y);
      }
    }
    singles(x, xCol, c, n, in, wt, wRow, out, bias, y);
  }

  /** Candidates {@code [c, n)} one at a time. */
  private static void singles(float[][] x, int xCol, int c, int n, int in, float[][] wt, int wRow, int out,
      float[] bias, float[][] y) {
    for (; c < n; c++) {
      float[] x0 = x[c];
      float[] y0 = y[c];
      int j = 0;
      for (; j + T <= out; j += T) {
        tile1x4(x0, xCol, in, wt, wRow, j, bias, y0);
      }
      int rest = (out - j) / L;
      if (rest == 3) {
        tile1x3(x0, xCol, in, wt, wRow, j, bias, y0);
      } else if (rest == 2) {
        tile1x2(x0, xCol, in, wt, wRow, j, bias, y0);
      } else if (rest == 1) {
        tile1x1(x0, xCol, in, wt, wRow, j, bias, y0);
      }
      j += rest * L;
      if (j < out) {
        scalarColumns(x, xCol, c, c + 1, in, wt, wRow, j, out, bias, y);
      }
    }
  }

  private static void tile4x4(float[] x0, float[] x1, float[] x2, float[] x3, int xCol, int in, float[][] wt,
      int wRow, int j, float[] bias, float[] y0, float[] y1, float[] y2, float[] y3) {
    float[] s0 = bias == null ? y0 : bias;
    float[] s1 = bias == null ? y1 : bias;
    float[] s2 = bias == null ? y2 : bias;
    float[] s3 = bias == null ? y3 : bias;
    FloatVector a00 = FloatVector.fromArray(S, s0, j);
    FloatVector a01 = FloatVector.fromArray(S, s0, j + L);
    FloatVector a02 = FloatVector.fromArray(S, s0, j + 2 * L);
    FloatVector a03 = FloatVector.fromArray(S, s0, j + 3 * L);
    FloatVector a10 = FloatVector.fromArray(S, s1, j);
    FloatVector a11 = FloatVector.fromArray(S, s1, j + L);
    FloatVector a12 = FloatVector.fromArray(S, s1, j + 2 * L);
    FloatVector a13 = FloatVector.fromArray(S, s1, j + 3 * L);
    FloatVector a20 = FloatVector.fromArray(S, s2, j);
    FloatVector a21 = FloatVector.fromArray(S, s2, j + L);
    FloatVector a22 = FloatVector.fromArray(S, s2, j + 2 * L);
    FloatVector a23 = FloatVector.fromArray(S, s2, j + 3 * L);
    FloatVector a30 = FloatVector.fromArray(S, s3, j);
    FloatVector a31 = FloatVector.fromArray(S, s3, j + L);
    FloatVector a32 = FloatVector.fromArray(S, s3, j + 2 * L);
    FloatVector a33 = FloatVector.fromArray(S, s3, j + 3 * L);
    for (int i = 0; i < in; i++) {
      float[] w = wt[wRow + i];
      FloatVector w0 = FloatVector.fromArray(S, w, j);
      FloatVector w1 = FloatVector.fromArray(S, w, j + L);
      FloatVector w2 = FloatVector.fromArray(S, w, j + 2 * L);
      FloatVector w3 = FloatVector.fromArray(S, w, j + 3 * L);
      int k = xCol + i;
      FloatVector b = FloatVector.broadcast(S, x0[k]);
      a00 = w0.fma(b, a00);
      a01 = w1.fma(b, a01);
      a02 = w2.fma(b, a02);
      a03 = w3.fma(b, a03);
      b = FloatVector.broadcast(S, x1[k]);
      a10 = w0.fma(b, a10);
      a11 = w1.fma(b, a11);
      a12 = w2.fma(b, a12);
      a13 = w3.fma(b, a13);
      b = FloatVector.broadcast(S, x2[k]);
      a20 = w0.fma(b, a20);
      a21 = w1.fma(b, a21);
      a22 = w2.fma(b, a22);
      a23 = w3.fma(b, a23);
      b = FloatVector.broadcast(S, x3[k]);
      a30 = w0.fma(b, a30);
      a31 = w1.fma(b, a31);
      a32 = w2.fma(b, a32);
      a33 = w3.fma(b, a33);
    }
    a00.intoArray(y0, j);
    a01.intoArray(y0, j + L);
    a02.intoArray(y0, j + 2 * L);
    a03.intoArray(y0, j + 3 * L);
    a10.intoArray(y1, j);
    a11.intoArray(y1, j + L);
    a12.intoArray(y1, j + 2 * L);
    a13.intoArray(y1, j + 3 * L);
    a20.intoArray(y2, j);
    a21.intoArray(y2, j + L);
    a22.intoArray(y2, j + 2 * L);
    a23.intoArray(y2, j + 3 * L);
    a30.intoArray(y3, j);
    a31.intoArray(y3, j + L);
    a32.intoArray(y3, j + 2 * L);
    a33.intoArray(y3, j + 3 * L);
  }

  private static void tile6x2(float[] x0, float[] x1, float[] x2, float[] x3, float[] x4, float[] x5, int xCol,
      int in, float[][] wt, int wRow, int j, float[] bias, float[] y0, float[] y1, float[] y2, float[] y3,
      float[] y4, float[] y5) {
    float[] s0 = bias == null ? y0 : bias;
    float[] s1 = bias == null ? y1 : bias;
    float[] s2 = bias == null ? y2 : bias;
    float[] s3 = bias == null ? y3 : bias;
    float[] s4 = bias == null ? y4 : bias;
    float[] s5 = bias == null ? y5 : bias;
    FloatVector a00 = FloatVector.fromArray(S, s0, j);
    FloatVector a01 = FloatVector.fromArray(S, s0, j + L);
    FloatVector a10 = FloatVector.fromArray(S, s1, j);
    FloatVector a11 = FloatVector.fromArray(S, s1, j + L);
    FloatVector a20 = FloatVector.fromArray(S, s2, j);
    FloatVector a21 = FloatVector.fromArray(S, s2, j + L);
    FloatVector a30 = FloatVector.fromArray(S, s3, j);
    FloatVector a31 = FloatVector.fromArray(S, s3, j + L);
    FloatVector a40 = FloatVector.fromArray(S, s4, j);
    FloatVector a41 = FloatVector.fromArray(S, s4, j + L);
    FloatVector a50 = FloatVector.fromArray(S, s5, j);
    FloatVector a51 = FloatVector.fromArray(S, s5, j + L);
    for (int i = 0; i < in; i++) {
      float[] w = wt[wRow + i];
      FloatVector w0 = FloatVector.fromArray(S, w, j);
      FloatVector w1 = FloatVector.fromArray(S, w, j + L);
      int k = xCol + i;
      FloatVector b = FloatVector.broadcast(S, x0[k]);
      a00 = w0.fma(b, a00);
      a01 = w1.fma(b, a01);
      b = FloatVector.broadcast(S, x1[k]);
      a10 = w0.fma(b, a10);
      a11 = w1.fma(b, a11);
      b = FloatVector.broadcast(S, x2[k]);
      a20 = w0.fma(b, a20);
      a21 = w1.fma(b, a21);
      b = FloatVector.broadcast(S, x3[k]);
      a30 = w0.fma(b, a30);
      a31 = w1.fma(b, a31);
      b = FloatVector.broadcast(S, x4[k]);
      a40 = w0.fma(b, a40);
      a41 = w1.fma(b, a41);
      b = FloatVector.broadcast(S, x5[k]);
      a50 = w0.fma(b, a50);
      a51 = w1.fma(b, a51);
    }
    a00.intoArray(y0, j);
    a01.intoArray(y0, j + L);
    a10.intoArray(y1, j);
    a11.intoArray(y1, j + L);
    a20.intoArray(y2, j);
    a21.intoArray(y2, j + L);
    a30.intoArray(y3, j);
    a31.intoArray(y3, j + L);
    a40.intoArray(y4, j);
    a41.intoArray(y4, j + L);
    a50.intoArray(y5, j);
    a51.intoArray(y5, j + L);
  }

  private static void tile4x2(float[] x0, float[] x1, float[] x2, float[] x3, int xCol, int in, float[][] wt,
      int wRow, int j, float[] bias, float[] y0, float[] y1, float[] y2, float[] y3) {
    float[] s0 = bias == null ? y0 : bias;
    float[] s1 = bias == null ? y1 : bias;
    float[] s2 = bias == null ? y2 : bias;
    float[] s3 = bias == null ? y3 : bias;
    FloatVector a00 = FloatVector.fromArray(S, s0, j);
    FloatVector a01 = FloatVector.fromArray(S, s0, j + L);
    FloatVector a10 = FloatVector.fromArray(S, s1, j);
    FloatVector a11 = FloatVector.fromArray(S, s1, j + L);
    FloatVector a20 = FloatVector.fromArray(S, s2, j);
    FloatVector a21 = FloatVector.fromArray(S, s2, j + L);
    FloatVector a30 = FloatVector.fromArray(S, s3, j);
    FloatVector a31 = FloatVector.fromArray(S, s3, j + L);
    for (int i = 0; i < in; i++) {
      float[] w = wt[wRow + i];
      FloatVector w0 = FloatVector.fromArray(S, w, j);
      FloatVector w1 = FloatVector.fromArray(S, w, j + L);
      int k = xCol + i;
      FloatVector b = FloatVector.broadcast(S, x0[k]);
      a00 = w0.fma(b, a00);
      a01 = w1.fma(b, a01);
      b = FloatVector.broadcast(S, x1[k]);
      a10 = w0.fma(b, a10);
      a11 = w1.fma(b, a11);
      b = FloatVector.broadcast(S, x2[k]);
      a20 = w0.fma(b, a20);
      a21 = w1.fma(b, a21);
      b = FloatVector.broadcast(S, x3[k]);
      a30 = w0.fma(b, a30);
      a31 = w1.fma(b, a31);
    }
    a00.intoArray(y0, j);
    a01.intoArray(y0, j + L);
    a10.intoArray(y1, j);
    a11.intoArray(y1, j + L);
    a20.intoArray(y2, j);
    a21.intoArray(y2, j + L);
    a30.intoArray(y3, j);
    a31.intoArray(y3, j + L);
  }

  private static void tile2x1(float[] x0, float[] x1, int xCol, int in, float[][] wt, int wRow, int j,
      float[] bias, float[] y0, float[] y1) {
    float[] s0 = bias == null ? y0 : bias;
    float[] s1 = bias == null ? y1 : bias;
    FloatVector a0 = FloatVector.fromArray(S, s0, j);
    FloatVector a1 = FloatVector.fromArray(S, s1, j);
    for (int i = 0; i < in; i++) {
      FloatVector w = FloatVector.fromArray(S, wt[wRow + i], j);
      int k = xCol + i;
      a0 = w.fma(FloatVector.broadcast(S, x0[k]), a0);
      a1 = w.fma(FloatVector.broadcast(S, x1[k]), a1);
    }
    a0.intoArray(y0, j);
    a1.intoArray(y1, j);
  }

  private static void tile4x1(float[] x0, float[] x1, float[] x2, float[] x3, int xCol, int in, float[][] wt,
      int wRow, int j, float[] bias, float[] y0, float[] y1, float[] y2, float[] y3) {
    float[] s0 = bias == null ? y0 : bias;
    float[] s1 = bias == null ? y1 : bias;
    float[] s2 = bias == null ? y2 : bias;
    float[] s3 = bias == null ? y3 : bias;
    FloatVector a0 = FloatVector.fromArray(S, s0, j);
    FloatVector a1 = FloatVector.fromArray(S, s1, j);
    FloatVector a2 = FloatVector.fromArray(S, s2, j);
    FloatVector a3 = FloatVector.fromArray(S, s3, j);
    for (int i = 0; i < in; i++) {
      FloatVector w = FloatVector.fromArray(S, wt[wRow + i], j);
      int k = xCol + i;
      a0 = w.fma(FloatVector.broadcast(S, x0[k]), a0);
      a1 = w.fma(FloatVector.broadcast(S, x1[k]), a1);
      a2 = w.fma(FloatVector.broadcast(S, x2[k]), a2);
      a3 = w.fma(FloatVector.broadcast(S, x3[k]), a3);
    }
    a0.intoArray(y0, j);
    a1.intoArray(y1, j);
    a2.intoArray(y2, j);
    a3.intoArray(y3, j);
  }

  private static void tile1x4(float[] x0, int xCol, int in, float[][] wt, int wRow, int j, float[] bias,
      float[] y0) {
    float[] s0 = bias == null ? y0 : bias;
    FloatVector a0 = FloatVector.fromArray(S, s0, j);
    FloatVector a1 = FloatVector.fromArray(S, s0, j + L);
    FloatVector a2 = FloatVector.fromArray(S, s0, j + 2 * L);
    FloatVector a3 = FloatVector.fromArray(S, s0, j + 3 * L);
    for (int i = 0; i < in; i++) {
      float[] w = wt[wRow + i];
      FloatVector b = FloatVector.broadcast(S, x0[xCol + i]);
      a0 = FloatVector.fromArray(S, w, j).fma(b, a0);
      a1 = FloatVector.fromArray(S, w, j + L).fma(b, a1);
      a2 = FloatVector.fromArray(S, w, j + 2 * L).fma(b, a2);
      a3 = FloatVector.fromArray(S, w, j + 3 * L).fma(b, a3);
    }
    a0.intoArray(y0, j);
    a1.intoArray(y0, j + L);
    a2.intoArray(y0, j + 2 * L);
    a3.intoArray(y0, j + 3 * L);
  }

  private static void tile1x3(float[] x0, int xCol, int in, float[][] wt, int wRow, int j, float[] bias,
      float[] y0) {
    float[] s0 = bias == null ? y0 : bias;
    FloatVector a0 = FloatVector.fromArray(S, s0, j);
    FloatVector a1 = FloatVector.fromArray(S, s0, j + L);
    FloatVector a2 = FloatVector.fromArray(S, s0, j + 2 * L);
    for (int i = 0; i < in; i++) {
      float[] w = wt[wRow + i];
      FloatVector b = FloatVector.broadcast(S, x0[xCol + i]);
      a0 = FloatVector.fromArray(S, w, j).fma(b, a0);
      a1 = FloatVector.fromArray(S, w, j + L).fma(b, a1);
      a2 = FloatVector.fromArray(S, w, j + 2 * L).fma(b, a2);
    }
    a0.intoArray(y0, j);
    a1.intoArray(y0, j + L);
    a2.intoArray(y0, j + 2 * L);
  }

  private static void tile1x2(float[] x0, int xCol, int in, float[][] wt, int wRow, int j, float[] bias,
      float[] y0) {
    float[] s0 = bias == null ? y0 : bias;
    FloatVector a0 = FloatVector.fromArray(S, s0, j);
    FloatVector a1 = FloatVector.fromArray(S, s0, j + L);
    for (int i = 0; i < in; i++) {
      float[] w = wt[wRow + i];
      FloatVector b = FloatVector.broadcast(S, x0[xCol + i]);
      a0 = FloatVector.fromArray(S, w, j).fma(b, a0);
      a1 = FloatVector.fromArray(S, w, j + L).fma(b, a1);
    }
    a0.intoArray(y0, j);
    a1.intoArray(y0, j + L);
  }

  private static void tile1x1(float[] x0, int xCol, int in, float[][] wt, int wRow, int j, float[] bias,
      float[] y0) {
    float[] s0 = bias == null ? y0 : bias;
    FloatVector a0 = FloatVector.fromArray(S, s0, j);
    for (int i = 0; i < in; i++) {
      a0 = FloatVector.fromArray(S, wt[wRow + i], j).fma(FloatVector.broadcast(S, x0[xCol + i]), a0);
    }
    a0.intoArray(y0, j);
  }

  // ---- packed weights: column panels of PANEL vectors, k-major within a panel ----

  /** Vectors per column panel of the packed layout (the packed tile's width): 3 for 8x3, 2 for 6x2i and 4x2. */
  private static final int PANEL = TILE.equals("8x3") ? 3 : 2;

  /**
   * Packs for the 8x3, 6x2i and 4x2 tiles: the first {@code out / L * L} columns in panels of {@code PANEL * L}
   * columns (the last panel narrower when the vector count is not a multiple), each panel its
   * {@code in} rows one after the other; so the tile's inner loop reads one sequential stream
   * instead of a row pointer, its bounds and an offset per input row. Columns past the last full
   * vector are read from the rows. Null with the 4x4 / 6x2 tiles (they read rows).
   */
  @Override
  public float[] pack(float[][] wt, int wRow, int in, int out) {
    if (!PACKED || in <= 0 || out < L) {
      return null;
    }
    if (wRow < 0 || wRow + in > wt.length) {
      throw new IllegalArgumentException("pack rows out of range: wRow=" + wRow + " in=" + in + " wt.length=" + wt.length);
    }
    int vecCols = out / L * L;
    int pw = PANEL * L;
    int full = vecCols / pw;
    int rest = vecCols - full * pw;
    float[] packed = new float[in * vecCols];
    for (int p = 0; p < full; p++) {
      int off = in * p * pw;
      for (int i = 0; i < in; i++) {
        System.arraycopy(wt[wRow + i], p * pw, packed, off + i * pw, pw);
      }
    }
    int off = in * full * pw;
    for (int i = 0; rest > 0 && i < in; i++) {
      System.arraycopy(wt[wRow + i], full * pw, packed, off + i * rest, rest);
    }
    return packed;
  }

  @Override
  public void affinePacked(float[][] x, int xCol, int n, int in, float[][] wt, int wRow, float[] packed, int out,
      float[] bias, boolean relu, boolean narrow, float[][] y) {
    if (packed == null || n < 4) {
      affine(x, xCol, n, in, wt, wRow, out, bias, relu, narrow, y);
      return;
    }
    check(x, xCol, n, in, wt, wRow, out, y);
    int vecCols = out / L * L;
    if (bias.length < out || packed.length != in * vecCols) {
      throw new IllegalArgumentException("packed weights have " + packed.length + " values for " + in + "x" + vecCols
          + " (bias " + bias.length + " for " + out + " outputs)");
    }
    packedTiles(x, xCol, n, in, packed, out / L, bias, y);
    if (vecCols < out) {
      scalarColumns(x, xCol, 0, n, in, wt, wRow, vecCols, out, bias, y);
    }
    if (relu) {
      Kernels.relu(y, n, out);
    }
  }

  /**
   * Panel by panel (a panel is re-read from L1/L2 by each group of candidates): 8 candidates x 3
   * vectors (24 accumulators, 3 weight vectors, a broadcast: 28 of 32 registers; per input row 3
   * loads feed 24 FMAs), then 4 and single candidates; with 2-vector panels 6 x 2 tiles over
   * {@linkplain #interleave interleaved} groups of six (6x2i, products of at least {@link
   * #SIX_MIN_OUT} outputs), then 4 x 2 tiles (see {@link #fourGroups}) and single candidates. The
   * tiles start from the bias.
   */
  private static void packedTiles(float[][] x, int xCol, int n, int in, float[] pw, int vecs, float[] bias,
      float[][] y) {
    final int w = PANEL * L;
    int full = vecs / PANEL;
    int sixes = SIX_INTERLEAVED && vecs * L >= SIX_MIN_OUT && full > 0 ? (n - (n & 1) - 4 * fourGroups(n)) / 6 : 0;
    float[][] xt = sixes > 0 ? interleave(x, xCol, sixes, in) : null;
    for (int p = 0; PANEL == 2 && p < full; p++) {
      int off = in * p * w;
      int j = p * w;
      for (int g = 0; g < sixes; g++) {
        int c = 6 * g;
        ptile6x2(xt[g], in, pw, off, j, bias, y[c], y[c + 1], y[c + 2], y[c + 3], y[c + 4], y[c + 5]);
      }
      int c = 6 * sixes;
      for (; c + 4 <= n; c += 4) {
        ptile4x2(x[c], x[c + 1], x[c + 2], x[c + 3], xCol, in, pw, off, j, bias, y[c], y[c + 1], y[c + 2], y[c + 3]);
      }
      for (; c < n; c++) {
        ptile1x2(x[c], xCol, in, pw, off, j, bias, y[c]);
      }
    }
    for (int p = 0; PANEL == 3 && p < full; p++) {
      int off = in * p * w;
      int j = p * w;
      int c = 0;
      for (; c + 8 <= n; c += 8) {
        ptile8x3(x[c], x[c + 1], x[c + 2], x[c + 3], x[c + 4], x[c + 5], x[c + 6], x[c + 7], xCol, in, pw, off, w, j,
            bias, y[c], y[c + 1], y[c + 2], y[c + 3], y[c + 4], y[c + 5], y[c + 6], y[c + 7]);
      }
      for (; c + 4 <= n; c += 4) {
        ptile4x3(x[c], x[c + 1], x[c + 2], x[c + 3], xCol, in, pw, off, w, j, bias, y[c], y[c + 1], y[c + 2], y[c + 3]);
      }
      for (; c < n; c++) {
        ptile1x3(x[c], xCol, in, pw, off, w, j, bias, y[c]);
      }
    }
    int rest = vecs - full * PANEL;
    int stride = rest * L;
    for (int v = 0; v < rest; v++) {
      int off = in * full * w + v * L;
      int j = full * w + v * L;
      int c = 0;
      for (; PANEL == 3 && c + 8 <= n; c += 8) {
        ptile8x1(x[c], x[c + 1], x[c + 2], x[c + 3], x[c + 4], x[c + 5], x[c + 6], x[c + 7], xCol, in, pw, off, stride,
            j, bias, y[c], y[c + 1], y[c + 2], y[c + 3], y[c + 4], y[c + 5], y[c + 6], y[c + 7]);
      }
      for (; c + 4 <= n; c += 4) {
        ptile4x1(x[c], x[c + 1], x[c + 2], x[c + 3], xCol, in, pw, off, stride, j, bias, y[c], y[c + 1], y[c + 2],
            y[c + 3]);
      }
      for (; c < n; c++) {
        ptile1x1(x[c], xCol, in, pw, off, stride, j, bias, y[c]);
      }
    }
  }

  /**
   * Outputs from which 6x2i interleaves (narrower products run 4x2 over the rows): the interleave
   * copies each activation once per call, about one copy per {@code out / 8} vector FMAs, so 2%
   * of the work at 400 outputs but a quarter or more at 64 (a rank-64 factor).
   */
  private static final int SIX_MIN_OUT = 256;

  /** Per thread: the interleaved activations of up to {@code 32 / 6} groups of six candidates. */
  private static final ThreadLocal<float[][]> INTERLEAVED = ThreadLocal.withInitial(() -> new float[0][]);

  /**
   * How many candidates of {@code n >= 4} go to 4x2 tiles: the rest of an even count that 6x2
   * tiles cannot take (0, 1 or 2 groups of four; an odd last candidate runs alone), so that no
   * pair is left to the one-candidate tile (two FMA chains against four cycles of FMA latency).
   */
  static int fourGroups(int n) {
    int even = n & ~1;
    return even % 6 == 2 ? 2 : even % 6 == 4 ? 1 : 0;
  }

  /**
   * The activations of the first {@code sixes} groups of six candidates, each group interleaved
   * into one array of this thread's scratch ({@code xt[g][6 i + c] = x[6 g + c][xCol + i]}), so the
   * 6x2 tile's inner loop addresses all six through one array and one index: with six row arrays
   * C2 ran out of general registers, kept array pointers in vector registers and on the stack and
   * spilled accumulators (BENCHMARKS.md 1k); over one interleaved array the 12 accumulators, 2
   * weight vectors and 2 broadcasts fit the 16 vector registers.
   */
  private static float[][] interleave(float[][] x, int xCol, int sixes, int in) {
    float[][] xt = INTERLEAVED.get();
    if (xt.length < sixes || xt[0].length < 6 * in) {
      int len = Math.max(6 * in, xt.length == 0 ? 0 : xt[0].length);
      xt = new float[Math.max(sixes, xt.length)][len];
      INTERLEAVED.set(xt);
    }
    for (int g = 0; g < sixes; g++) {
      float[] t = xt[g];
      for (int c = 0; c < 6; c++) {
        float[] row = x[6 * g + c];
        for (int i = 0, k = c; i < in; i++, k += 6) {
          t[k] = row[xCol + i];
        }
      }
    }
    return xt;
  }

  /** Six candidates x two vectors over a 2-vector panel, the six candidates' activations interleaved in {@code xt}. */
  private static void ptile6x2(float[] xt, int in, float[] pw, int off, int j, float[] bias, float[] y0, float[] y1,
      float[] y2, float[] y3, float[] y4, float[] y5) {
    FloatVector c0 = FloatVector.fromArray(S, bias, j);
    FloatVector c1 = FloatVector.fromArray(S, bias, j + L);
    FloatVector a00 = c0;
    FloatVector a01 = c1;
    FloatVector a10 = c0;
    FloatVector a11 = c1;
    FloatVector a20 = c0;
    FloatVector a21 = c1;
    FloatVector a30 = c0;
    FloatVector a31 = c1;
    FloatVector a40 = c0;
    FloatVector a41 = c1;
    FloatVector a50 = c0;
    FloatVector a51 = c1;
    for (int i = 0; i < in; i++) {
      int o = off + i * (2 * L);
      FloatVector w0 = FloatVector.fromArray(S, pw, o);
      FloatVector w1 = FloatVector.fromArray(S, pw, o + L);
      int k = i * 6;
      FloatVector b = FloatVector.broadcast(S, xt[k]);
      a00 = w0.fma(b, a00);
      a01 = w1.fma(b, a01);
      b = FloatVector.broadcast(S, xt[k + 1]);
      a10 = w0.fma(b, a10);
      a11 = w1.fma(b, a11);
      b = FloatVector.broadcast(S, xt[k + 2]);
      a20 = w0.fma(b, a20);
      a21 = w1.fma(b, a21);
      b = FloatVector.broadcast(S, xt[k + 3]);
      a30 = w0.fma(b, a30);
      a31 = w1.fma(b, a31);
      b = FloatVector.broadcast(S, xt[k + 4]);
      a40 = w0.fma(b, a40);
      a41 = w1.fma(b, a41);
      b = FloatVector.broadcast(S, xt[k + 5]);
      a50 = w0.fma(b, a50);
      a51 = w1.fma(b, a51);
    }
    a00.intoArray(y0, j);
    a01.intoArray(y0, j + L);
    a10.intoArray(y1, j);
    a11.intoArray(y1, j + L);
    a20.intoArray(y2, j);
    a21.intoArray(y2, j + L);
    a30.intoArray(y3, j);
    a31.intoArray(y3, j + L);
    a40.intoArray(y4, j);
    a41.intoArray(y4, j + L);
    a50.intoArray(y5, j);
    a51.intoArray(y5, j + L);
  }

  private static void ptile8x3(float[] x0, float[] x1, float[] x2, float[] x3, float[] x4, float[] x5, float[] x6, float[] x7, int xCol, int in, float[] pw, int off, int stride, int j,
      float[] bias, float[] y0, float[] y1, float[] y2, float[] y3, float[] y4, float[] y5, float[] y6, float[] y7) {
    FloatVector c0 = FloatVector.fromArray(S, bias, j);
    FloatVector c1 = FloatVector.fromArray(S, bias, j + L);
    FloatVector c2 = FloatVector.fromArray(S, bias, j + 2 * L);
    FloatVector a00 = c0;
    FloatVector a01 = c1;
    FloatVector a02 = c2;
    FloatVector a10 = c0;
    FloatVector a11 = c1;
    FloatVector a12 = c2;
    FloatVector a20 = c0;
    FloatVector a21 = c1;
    FloatVector a22 = c2;
    FloatVector a30 = c0;
    FloatVector a31 = c1;
    FloatVector a32 = c2;
    FloatVector a40 = c0;
    FloatVector a41 = c1;
    FloatVector a42 = c2;
    FloatVector a50 = c0;
    FloatVector a51 = c1;
    FloatVector a52 = c2;
    FloatVector a60 = c0;
    FloatVector a61 = c1;
    FloatVector a62 = c2;
    FloatVector a70 = c0;
    FloatVector a71 = c1;
    FloatVector a72 = c2;
    for (int i = 0, o = off; i < in; i++, o += stride) {
      FloatVector w0 = FloatVector.fromArray(S, pw, o);
      FloatVector w1 = FloatVector.fromArray(S, pw, o + L);
      FloatVector w2 = FloatVector.fromArray(S, pw, o + 2 * L);
      int k = xCol + i;
      FloatVector b = FloatVector.broadcast(S, x0[k]);
      a00 = w0.fma(b, a00);
      a01 = w1.fma(b, a01);
      a02 = w2.fma(b, a02);
      b = FloatVector.broadcast(S, x1[k]);
      a10 = w0.fma(b, a10);
      a11 = w1.fma(b, a11);
      a12 = w2.fma(b, a12);
      b = FloatVector.broadcast(S, x2[k]);
      a20 = w0.fma(b, a20);
      a21 = w1.fma(b, a21);
      a22 = w2.fma(b, a22);
      b = FloatVector.broadcast(S, x3[k]);
      a30 = w0.fma(b, a30);
      a31 = w1.fma(b, a31);
      a32 = w2.fma(b, a32);
      b = FloatVector.broadcast(S, x4[k]);
      a40 = w0.fma(b, a40);
      a41 = w1.fma(b, a41);
      a42 = w2.fma(b, a42);
      b = FloatVector.broadcast(S, x5[k]);
      a50 = w0.fma(b, a50);
      a51 = w1.fma(b, a51);
      a52 = w2.fma(b, a52);
      b = FloatVector.broadcast(S, x6[k]);
      a60 = w0.fma(b, a60);
      a61 = w1.fma(b, a61);
      a62 = w2.fma(b, a62);
      b = FloatVector.broadcast(S, x7[k]);
      a70 = w0.fma(b, a70);
      a71 = w1.fma(b, a71);
      a72 = w2.fma(b, a72);
    }
    a00.intoArray(y0, j);
    a01.intoArray(y0, j + L);
    a02.intoArray(y0, j + 2 * L);
    a10.intoArray(y1, j);
    a11.intoArray(y1, j + L);
    a12.intoArray(y1, j + 2 * L);
    a20.intoArray(y2, j);
    a21.intoArray(y2, j + L);
    a22.intoArray(y2, j + 2 * L);
    a30.intoArray(y3, j);
    a31.intoArray(y3, j + L);
    a32.intoArray(y3, j + 2 * L);
    a40.intoArray(y4, j);
    a41.intoArray(y4, j + L);
    a42.intoArray(y4, j + 2 * L);
    a50.intoArray(y5, j);
    a51.intoArray(y5, j + L);
    a52.intoArray(y5, j + 2 * L);
    a60.intoArray(y6, j);
    a61.intoArray(y6, j + L);
    a62.intoArray(y6, j + 2 * L);
    a70.intoArray(y7, j);
    a71.intoArray(y7, j + L);
    a72.intoArray(y7, j + 2 * L);
  }

  private static void ptile4x3(float[] x0, float[] x1, float[] x2, float[] x3, int xCol, int in, float[] pw, int off, int stride, int j,
      float[] bias, float[] y0, float[] y1, float[] y2, float[] y3) {
    FloatVector c0 = FloatVector.fromArray(S, bias, j);
    FloatVector c1 = FloatVector.fromArray(S, bias, j + L);
    FloatVector c2 = FloatVector.fromArray(S, bias, j + 2 * L);
    FloatVector a00 = c0;
    FloatVector a01 = c1;
    FloatVector a02 = c2;
    FloatVector a10 = c0;
    FloatVector a11 = c1;
    FloatVector a12 = c2;
    FloatVector a20 = c0;
    FloatVector a21 = c1;
    FloatVector a22 = c2;
    FloatVector a30 = c0;
    FloatVector a31 = c1;
    FloatVector a32 = c2;
    for (int i = 0, o = off; i < in; i++, o += stride) {
      FloatVector w0 = FloatVector.fromArray(S, pw, o);
      FloatVector w1 = FloatVector.fromArray(S, pw, o + L);
      FloatVector w2 = FloatVector.fromArray(S, pw, o + 2 * L);
      int k = xCol + i;
      FloatVector b = FloatVector.broadcast(S, x0[k]);
      a00 = w0.fma(b, a00);
      a01 = w1.fma(b, a01);
      a02 = w2.fma(b, a02);
      b = FloatVector.broadcast(S, x1[k]);
      a10 = w0.fma(b, a10);
      a11 = w1.fma(b, a11);
      a12 = w2.fma(b, a12);
      b = FloatVector.broadcast(S, x2[k]);
      a20 = w0.fma(b, a20);
      a21 = w1.fma(b, a21);
      a22 = w2.fma(b, a22);
      b = FloatVector.broadcast(S, x3[k]);
      a30 = w0.fma(b, a30);
      a31 = w1.fma(b, a31);
      a32 = w2.fma(b, a32);
    }
    a00.intoArray(y0, j);
    a01.intoArray(y0, j + L);
    a02.intoArray(y0, j + 2 * L);
    a10.intoArray(y1, j);
    a11.intoArray(y1, j + L);
    a12.intoArray(y1, j + 2 * L);
    a20.intoArray(y2, j);
    a21.intoArray(y2, j + L);
    a22.intoArray(y2, j + 2 * L);
    a30.intoArray(y3, j);
    a31.intoArray(y3, j + L);
    a32.intoArray(y3, j + 2 * L);
  }

  private static void ptile1x3(float[] x0, int xCol, int in, float[] pw, int off, int stride, int j,
      float[] bias, float[] y0) {
    FloatVector c0 = FloatVector.fromArray(S, bias, j);
    FloatVector c1 = FloatVector.fromArray(S, bias, j + L);
    FloatVector c2 = FloatVector.fromArray(S, bias, j + 2 * L);
    FloatVector a00 = c0;
    FloatVector a01 = c1;
    FloatVector a02 = c2;
    for (int i = 0, o = off; i < in; i++, o += stride) {
      FloatVector w0 = FloatVector.fromArray(S, pw, o);
      FloatVector w1 = FloatVector.fromArray(S, pw, o + L);
      FloatVector w2 = FloatVector.fromArray(S, pw, o + 2 * L);
      int k = xCol + i;
      FloatVector b = FloatVector.broadcast(S, x0[k]);
      a00 = w0.fma(b, a00);
      a01 = w1.fma(b, a01);
      a02 = w2.fma(b, a02);
    }
    a00.intoArray(y0, j);
    a01.intoArray(y0, j + L);
    a02.intoArray(y0, j + 2 * L);
  }

  /**
   * The 16-register packed tile. The panel offset is {@code off + i * 2L}: with a constant scale
   * C2 hoists the bounds checks of the two weight loads out of the loop (with a second induction
   * variable {@code o += stride} it kept them in: 31 instructions per input row instead of 26).
   */
  private static void ptile4x2(float[] x0, float[] x1, float[] x2, float[] x3, int xCol, int in, float[] pw, int off,
      int j, float[] bias, float[] y0, float[] y1, float[] y2, float[] y3) {
    FloatVector c0 = FloatVector.fromArray(S, bias, j);
    FloatVector c1 = FloatVector.fromArray(S, bias, j + L);
    FloatVector a00 = c0;
    FloatVector a01 = c1;
    FloatVector a10 = c0;
    FloatVector a11 = c1;
    FloatVector a20 = c0;
    FloatVector a21 = c1;
    FloatVector a30 = c0;
    FloatVector a31 = c1;
    for (int i = 0; i < in; i++) {
      int o = off + i * (2 * L);
      FloatVector w0 = FloatVector.fromArray(S, pw, o);
      FloatVector w1 = FloatVector.fromArray(S, pw, o + L);
      int k = xCol + i;
      FloatVector b = FloatVector.broadcast(S, x0[k]);
      a00 = w0.fma(b, a00);
      a01 = w1.fma(b, a01);
      b = FloatVector.broadcast(S, x1[k]);
      a10 = w0.fma(b, a10);
      a11 = w1.fma(b, a11);
      b = FloatVector.broadcast(S, x2[k]);
      a20 = w0.fma(b, a20);
      a21 = w1.fma(b, a21);
      b = FloatVector.broadcast(S, x3[k]);
      a30 = w0.fma(b, a30);
      a31 = w1.fma(b, a31);
    }
    a00.intoArray(y0, j);
    a01.intoArray(y0, j + L);
    a10.intoArray(y1, j);
    a11.intoArray(y1, j + L);
    a20.intoArray(y2, j);
    a21.intoArray(y2, j + L);
    a30.intoArray(y3, j);
    a31.intoArray(y3, j + L);
  }

  private static void ptile1x2(float[] x0, int xCol, int in, float[] pw, int off, int j, float[] bias,
      float[] y0) {
    FloatVector a00 = FloatVector.fromArray(S, bias, j);
    FloatVector a01 = FloatVector.fromArray(S, bias, j + L);
    for (int i = 0; i < in; i++) {
      int o = off + i * (2 * L);
      FloatVector b = FloatVector.broadcast(S, x0[xCol + i]);
      a00 = FloatVector.fromArray(S, pw, o).fma(b, a00);
      a01 = FloatVector.fromArray(S, pw, o + L).fma(b, a01);
    }
    a00.intoArray(y0, j);
    a01.intoArray(y0, j + L);
  }

  private static void ptile8x1(float[] x0, float[] x1, float[] x2, float[] x3, float[] x4, float[] x5, float[] x6, float[] x7, int xCol, int in, float[] pw, int off, int stride, int j,
      float[] bias, float[] y0, float[] y1, float[] y2, float[] y3, float[] y4, float[] y5, float[] y6, float[] y7) {
    FloatVector c0 = FloatVector.fromArray(S, bias, j);
    FloatVector a00 = c0;
    FloatVector a10 = c0;
    FloatVector a20 = c0;
    FloatVector a30 = c0;
    FloatVector a40 = c0;
    FloatVector a50 = c0;
    FloatVector a60 = c0;
    FloatVector a70 = c0;
    for (int i = 0, o = off; i < in; i++, o += stride) {
      FloatVector w0 = FloatVector.fromArray(S, pw, o);
      int k = xCol + i;
      FloatVector b = FloatVector.broadcast(S, x0[k]);
      a00 = w0.fma(b, a00);
      b = FloatVector.broadcast(S, x1[k]);
      a10 = w0.fma(b, a10);
      b = FloatVector.broadcast(S, x2[k]);
      a20 = w0.fma(b, a20);
      b = FloatVector.broadcast(S, x3[k]);
      a30 = w0.fma(b, a30);
      b = FloatVector.broadcast(S, x4[k]);
      a40 = w0.fma(b, a40);
      b = FloatVector.broadcast(S, x5[k]);
      a50 = w0.fma(b, a50);
      b = FloatVector.broadcast(S, x6[k]);
      a60 = w0.fma(b, a60);
      b = FloatVector.broadcast(S, x7[k]);
      a70 = w0.fma(b, a70);
    }
    a00.intoArray(y0, j);
    a10.intoArray(y1, j);
    a20.intoArray(y2, j);
    a30.intoArray(y3, j);
    a40.intoArray(y4, j);
    a50.intoArray(y5, j);
    a60.intoArray(y6, j);
    a70.intoArray(y7, j);
  }

  private static void ptile4x1(float[] x0, float[] x1, float[] x2, float[] x3, int xCol, int in, float[] pw, int off, int stride, int j,
      float[] bias, float[] y0, float[] y1, float[] y2, float[] y3) {
    FloatVector c0 = FloatVector.fromArray(S, bias, j);
    FloatVector a00 = c0;
    FloatVector a10 = c0;
    FloatVector a20 = c0;
    FloatVector a30 = c0;
    for (int i = 0, o = off; i < in; i++, o += stride) {
      FloatVector w0 = FloatVector.fromArray(S, pw, o);
      int k = xCol + i;
      FloatVector b = FloatVector.broadcast(S, x0[k]);
      a00 = w0.fma(b, a00);
      b = FloatVector.broadcast(S, x1[k]);
      a10 = w0.fma(b, a10);
      b = FloatVector.broadcast(S, x2[k]);
      a20 = w0.fma(b, a20);
      b = FloatVector.broadcast(S, x3[k]);
      a30 = w0.fma(b, a30);
    }
    a00.intoArray(y0, j);
    a10.intoArray(y1, j);
    a20.intoArray(y2, j);
    a30.intoArray(y3, j);
  }

  private static void ptile1x1(float[] x0, int xCol, int in, float[] pw, int off, int stride, int j,
      float[] bias, float[] y0) {
    FloatVector c0 = FloatVector.fromArray(S, bias, j);
    FloatVector a00 = c0;
    for (int i = 0, o = off; i < in; i++, o += stride) {
      FloatVector w0 = FloatVector.fromArray(S, pw, o);
      int k = xCol + i;
      FloatVector b = FloatVector.broadcast(S, x0[k]);
      a00 = w0.fma(b, a00);
    }
    a00.intoArray(y0, j);
  }


  // ---- small products outside the layers: embedding projections, the output unit ----

  /** Vector FMAs over the row's column vectors, one accumulator each; the same order as {@link Kernels#rowAffine}. */
  @Override
  public void rowAffine(float[] x, int xOff, int in, float[] w, float[] bias, int out, float[] y, int yOff) {
    int j = 0;
    for (; j + L <= out; j += L) {
      FloatVector acc = FloatVector.fromArray(S, bias, j);
      for (int i = 0, p = j; i < in; i++, p += out) {
        acc = FloatVector.fromArray(S, w, p).fma(FloatVector.broadcast(S, x[xOff + i]), acc);
      }
      acc.intoArray(y, yOff + j);
    }
    for (; j < out; j++) {
      float a = bias[j];
      for (int i = 0; i < in; i++) {
        a = Math.fma(x[xOff + i], w[i * out + j], a);
      }
      y[yOff + j] = a;
    }
  }

  /** Rotations by 8, 4, 2 and 1 lanes (within the first 8 lanes when a vector holds 8). */
  private static final VectorShuffle<Float> ROT8 = VectorShuffle.iota(S, 8 % L, 1, true);
  private static final VectorShuffle<Float> ROT4 = VectorShuffle.iota(S, 4, 1, true);
  private static final VectorShuffle<Float> ROT2 = VectorShuffle.iota(S, 2, 1, true);
  private static final VectorShuffle<Float> ROT1 = VectorShuffle.iota(S, 1, 1, true);

  /**
   * The sixteen lane sums of {@link MatMul#dot16} in one 512-bit vector or two 256-bit ones, the
   * tree by lane rotations (lane 0 ends with {@code (v_0 + v_2) + (v_1 + v_3)}); a tail of fewer
   * than sixteen terms goes through {@link Kernels#dot16Tail} with the lanes as scalars.
   */
  @Override
  public float dot16(float[] w, int wOff, float[] x, int len, float acc, boolean relu) {
    if (L == 16) {
      FloatVector a = FloatVector.zero(S);
      int j = 0;
      if (relu) {
        for (; j + 16 <= len; j += 16) {
          a = FloatVector.fromArray(S, w, wOff + j).fma(FloatVector.fromArray(S, x, j).max(0f), a);
        }
      } else {
        for (; j + 16 <= len; j += 16) {
          a = FloatVector.fromArray(S, w, wOff + j).fma(FloatVector.fromArray(S, x, j), a);
        }
      }
      if (j < len) {
        return acc + Kernels.dot16Tail(w, wOff, x, j, len, relu, a.lane(0), a.lane(1), a.lane(2), a.lane(3),
            a.lane(4), a.lane(5), a.lane(6), a.lane(7), a.lane(8), a.lane(9), a.lane(10), a.lane(11), a.lane(12),
            a.lane(13), a.lane(14), a.lane(15));
      }
      FloatVector u = a.add(a.rearrange(ROT8));
      FloatVector v = u.add(u.rearrange(ROT4));
      FloatVector t = v.add(v.rearrange(ROT2));
      return acc + t.add(t.rearrange(ROT1)).lane(0);
    }
    if (L == 8) {
      FloatVector a = FloatVector.zero(S);
      FloatVector b = FloatVector.zero(S);
      int j = 0;
      if (relu) {
        for (; j + 16 <= len; j += 16) {
          a = FloatVector.fromArray(S, w, wOff + j).fma(FloatVector.fromArray(S, x, j).max(0f), a);
          b = FloatVector.fromArray(S, w, wOff + j + 8).fma(FloatVector.fromArray(S, x, j + 8).max(0f), b);
        }
      } else {
        for (; j + 16 <= len; j += 16) {
          a = FloatVector.fromArray(S, w, wOff + j).fma(FloatVector.fromArray(S, x, j), a);
          b = FloatVector.fromArray(S, w, wOff + j + 8).fma(FloatVector.fromArray(S, x, j + 8), b);
        }
      }
      if (j < len) {
        return acc + Kernels.dot16Tail(w, wOff, x, j, len, relu, a.lane(0), a.lane(1), a.lane(2), a.lane(3),
            a.lane(4), a.lane(5), a.lane(6), a.lane(7), b.lane(0), b.lane(1), b.lane(2), b.lane(3), b.lane(4),
            b.lane(5), b.lane(6), b.lane(7));
      }
      FloatVector u = a.add(b);
      FloatVector v = u.add(u.rearrange(ROT4));
      FloatVector t = v.add(v.rearrange(ROT2));
      return acc + t.add(t.rearrange(ROT1)).lane(0);
    }
    return Kernels.dot16(w, wOff, x, len, acc, relu);
  }

  /** Columns {@code [j0, out)} of rows {@code [c0, c1)}, one element at a time. */
  private static void scalarColumns(float[][] x, int xCol, int c0, int c1, int in, float[][] wt, int wRow, int j0,
      int out, float[] bias, float[][] y) {
    for (int c = c0; c < c1; c++) {
      float[] xr = x[c];
      float[] yr = y[c];
      for (int j = j0; j < out; j++) {
        float a = bias == null ? yr[j] : bias[j];
        for (int i = 0; i < in; i++) {
          a = Math.fma(xr[xCol + i], wt[wRow + i][j], a);
        }
        yr[j] = a;
      }
    }
  }




  /**
   * Cheap shape checks once per call (the loops' array accesses are still bounds-checked by the
   * JVM; this only turns a wrong call into a clear message instead of an index exception).
   */
  private static void check(float[][] x, int xCol, int n, int in, float[][] wt, int wRow, int out, float[][] y) {
    if (n < 0 || in < 0 || out < 0 || xCol < 0 || wRow < 0 || n > x.length || n > y.length
        || wRow + in > wt.length) {
      throw new IllegalArgumentException("gemm shape out of range: n=" + n + " in=" + in + " out=" + out + " xCol="
          + xCol + " wRow=" + wRow + " x.length=" + x.length + " y.length=" + y.length + " wt.length=" + wt.length);
    }
  }
}
