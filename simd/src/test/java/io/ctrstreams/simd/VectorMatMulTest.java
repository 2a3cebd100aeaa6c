package io.ctrstreams.simd;

import static io.ctrstreams.model.internal.KernelsTest.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.model.internal.Kernels;
import io.ctrstreams.model.internal.MatMuls;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The Vector API kernels return bitwise the same floats as the Java kernels (same order of fused
 * multiply-adds per element) for every shape, including odd tails; and they are what the scorer
 * uses in a JVM started with the incubator module.
 */
class VectorMatMulTest {
  private final VectorMatMul vector = new VectorMatMul();

  @Test
  void scorerShouldSelectTheVectorKernelsWhenTheModuleIsPresent() {
    assertThat(ModuleLayer.boot().findModule("jdk.incubator.vector")).as("surefire argLine adds the module").isPresent();
    assertThat(MatMuls.get()).isInstanceOf(VectorMatMul.class);
    assertThat(MatMuls.describe()).startsWith("vector-api ");
  }

  @Test
  void shouldChooseTheTileShapeFromTheVectorWidth() {
    assertThat(VectorMatMul.tile("auto", 512, 17)).isEqualTo("8x3");
    assertThat(VectorMatMul.tile("4x4", 512, 17)).isEqualTo("4x4");
    assertThatThrownBy(() -> VectorMatMul.tile("8x3", 256, 17)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("8x3").hasMessageContaining("256");
    assertThat(VectorMatMul.tile("auto", 256, 17)).isEqualTo("6x2i");
    assertThat(VectorMatMul.tile("auto", 256, 25)).isEqualTo("4x2"); // JDK 25's C2 spills the 6x2i tile
    assertThat(VectorMatMul.tile("auto", 512, 25)).isEqualTo("8x3");
    assertThat(VectorMatMul.tile("6x2i", 512, 17)).isEqualTo("6x2i");
    assertThat(VectorMatMul.tile("6x2", 512, 17)).isEqualTo("6x2");
    assertThat(VectorMatMul.tile("4x2", 256, 17)).isEqualTo("4x2");
    assertThatThrownBy(() -> VectorMatMul.tile("8x8", 512, 17)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ctr.simd.tile").hasMessageContaining("8x8");
    // this JVM: 8x3 with AVX-512, 6x2i (JDK 17) in the avx2-tiles run (-XX:UseAVX=2 -XX:MaxVectorSize=32) or on AVX2 hosts
    int bits = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
    assertThat(VectorMatMul.TILE).isEqualTo(System.getProperty(VectorMatMul.TILE_PROPERTY) != null
        ? System.getProperty(VectorMatMul.TILE_PROPERTY) : bits >= 512 ? "8x3" : Runtime.version().feature() == 17 ? "6x2i" : "4x2");
    assertThat(MatMuls.describe()).contains(bits + "-bit, tiles " + VectorMatMul.TILE);
  }

  @Test
  void shouldMatchJavaKernelsBitwiseOnTheScorerShapes() {
    Random rnd = new Random(3);
    int[][] shapes = {{16, 400, 64}, {16, 64, 400}, {16, 400, 400}, {1, 400, 64}, {1, 416, 400}, {32, 52, 400},
        {3, 624, 624}, {5, 156, 400}, {6, 156, 400}, {10, 400, 64}, {11, 64, 400}, {17, 400, 72}};
    for (int[] s : shapes) {
      assertSame(rnd, s[0], s[1], s[2], 0, 0);
    }
  }

  @Property(tries = 300)
  void shouldMatchJavaKernelsBitwiseForAnyShape(
      @ForAll @IntRange(min = 0, max = 37) int n,
      @ForAll @IntRange(min = 0, max = 90) int in,
      @ForAll @IntRange(min = 0, max = 150) int out,
      @ForAll @IntRange(min = 0, max = 5) int xCol,
      @ForAll @IntRange(min = 0, max = 5) int wRow,
      @ForAll long seed) {
    assertSame(new Random(seed), n, in, out, xCol, wRow);
  }

  @Property(tries = 300)
  void fusedAffineShouldMatchBroadcastGemmRelu(
      @ForAll @IntRange(min = 0, max = 37) int n,
      @ForAll @IntRange(min = 0, max = 90) int in,
      @ForAll @IntRange(min = 0, max = 150) int out,
      @ForAll @IntRange(min = 0, max = 5) int xCol,
      @ForAll boolean relu,
      @ForAll boolean narrow,
      @ForAll long seed) {
    Random rnd = new Random(seed);
    float[][] x = random(rnd, n, xCol + in);
    float[][] wt = random(rnd, in, out);
    float[] bias = random(rnd, 1, out + 3)[0];
    float[][] expected = random(rnd, n, out);
    float[][] y = new float[n][];
    for (int c = 0; c < n; c++) {
      y[c] = expected[c].clone();
    }
    MatMuls.java().affine(x, xCol, n, in, wt, 0, out, bias, relu, narrow, expected);
    vector.affine(x, xCol, n, in, wt, 0, out, bias, relu, narrow, y);
    for (int c = 0; c < n; c++) {
      for (int j = 0; j < out; j++) {
        // == (not equals): Math.max and the vector max may differ only in the sign of a zero
        assertThat(y[c][j] == expected[c][j]).as("[%d][%d] of %dx%dx%d relu=%s: %s vs %s", c, j, n, in, out, relu,
            y[c][j], expected[c][j]).isTrue();
      }
    }
  }

  @Test
  void packedAffineShouldMatchJavaKernelsBitwiseOnTheScorerShapes() {
    Random rnd = new Random(5);
    // n, in, out, xCol, wRow: the benchmark models' layers (split first layers read rows from the context width)
    int[][] shapes = {{16, 208, 400, 416, 416}, {16, 400, 400, 0, 0}, {32, 400, 64, 0, 0}, {32, 64, 400, 0, 0},
        {16, 208, 624, 416, 416}, {16, 624, 624, 0, 0}, {256 % 32 + 32, 624, 400, 0, 0}, {5, 52, 400, 104, 104},
        {13, 64, 624, 0, 0}, {7, 400, 72, 0, 0}, {4, 16, 40, 0, 0}, {3, 400, 400, 0, 0},
        // remainders of the 4- and 8-candidate tiles
        {9, 64, 400, 0, 0}, {21, 400, 72, 0, 0}, {8, 52, 400, 104, 104}};
    for (int[] s : shapes) {
      assertPackedSame(rnd, s[0], s[1], s[2], s[3], s[4], true);
      assertPackedSame(rnd, s[0], s[1], s[2], s[3], s[4], false);
    }
  }

  @Property(tries = 300)
  void packedAffineShouldMatchJavaKernelsBitwiseForAnyShape(
      @ForAll @IntRange(min = 0, max = 37) int n,
      @ForAll @IntRange(min = 1, max = 90) int in,
      @ForAll @IntRange(min = 0, max = 300) int out,
      @ForAll @IntRange(min = 0, max = 5) int xCol,
      @ForAll @IntRange(min = 0, max = 5) int wRow,
      @ForAll boolean relu,
      @ForAll long seed) {
    assertPackedSame(new Random(seed), n, in, out, xCol, wRow, relu);
  }

  @Test
  void shouldSplitCandidatesIntoSixesFoursAndAtMostOneSingle() {
    for (int n = 4; n <= 64; n++) {
      int fours = VectorMatMul.fourGroups(n);
      int rest = n - 4 * fours;
      assertThat(fours).as("n=%d", n).isBetween(0, 2);
      assertThat(rest % 6).as("n=%d: %d fours leave %d", n, fours, rest).isIn(0, 1);
    }
    assertThat(VectorMatMul.fourGroups(16)).isEqualTo(1); // 6 + 6 + 4
    assertThat(VectorMatMul.fourGroups(32)).isEqualTo(2); // 4 x 6 + 2 x 4
    assertThat(VectorMatMul.fourGroups(13)).isZero(); // 2 x 6 + 1
  }

  @Test
  void packedTilesShouldMatchJavaKernelsBitwiseForEveryBlockSize() {
    // every candidate count a scorer block can have, through each tile mix (6x2i: sixes, fours, a single)
    Random rnd = new Random(9);
    for (int n = 4; n <= 33; n++) {
      assertPackedSame(rnd, n, 37, 40, 3, 1, n % 2 == 0);
      // wide enough for 6x2i (>= 256 outputs), with a last narrower panel and scalar columns
      assertPackedSame(rnd, n, 29, 283, 3, 1, n % 2 == 1);
    }
  }

  @Test
  void packShouldBeNullOnlyWhenTheTilesReadRows() {
    float[][] wt = random(new Random(1), 20, 100);
    float[] packed = vector.pack(wt, 2, 18, 100);
    if (VectorMatMul.TILE.equals("8x3") || VectorMatMul.TILE.equals("4x2") || VectorMatMul.TILE.equals("6x2i")) {
      int l = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
      int panel = (VectorMatMul.TILE.equals("8x3") ? 3 : 2) * l;
      assertThat(packed).hasSize(18 * (100 / l * l));
      // panel 0, row 1 starts with wt[3][0..]; panel 1 starts with wt[2][panel..]
      assertThat(packed[panel]).isEqualTo(wt[3][0]);
      assertThat(packed[panel - 1]).isEqualTo(wt[2][panel - 1]);
      assertThat(packed[18 * panel]).isEqualTo(wt[2][panel]);
    } else {
      assertThat(packed).isNull();
    }
    assertThat(MatMuls.java().pack(wt, 0, 20, 100)).isNull();
  }

  private void assertPackedSame(Random rnd, int n, int in, int out, int xCol, int wRow, boolean relu) {
    float[][] x = random(rnd, n, xCol + in);
    float[][] wt = random(rnd, wRow + in, out);
    float[] bias = random(rnd, 1, out + 3)[0];
    float[][] expected = random(rnd, n, out);
    float[][] y = new float[n][];
    for (int c = 0; c < n; c++) {
      y[c] = expected[c].clone();
    }
    MatMuls.java().affine(x, xCol, n, in, wt, wRow, out, bias, relu, false, expected);
    vector.affinePacked(x, xCol, n, in, wt, wRow, vector.pack(wt, wRow, in, out), out, bias, relu, false, y);
    for (int c = 0; c < n; c++) {
      for (int j = 0; j < out; j++) {
        assertThat(y[c][j] == expected[c][j]).as("[%d][%d] of %dx%dx%d relu=%s: %s vs %s", c, j, n, in, out, relu,
            y[c][j], expected[c][j]).isTrue();
      }
    }
  }

  @Property(tries = 300)
  void rowAffineShouldMatchJavaKernelsBitwise(
      @ForAll @IntRange(min = 0, max = 9) int in,
      @ForAll @IntRange(min = 0, max = 70) int out,
      @ForAll @IntRange(min = 0, max = 5) int xOff,
      @ForAll @IntRange(min = 0, max = 5) int yOff,
      @ForAll long seed) {
    Random rnd = new Random(seed);
    float[] x = random(rnd, 1, xOff + in)[0];
    float[] w = random(rnd, 1, in * out)[0];
    float[] bias = random(rnd, 1, out + 2)[0];
    float[] expected = random(rnd, 1, yOff + out + 3)[0];
    float[] y = expected.clone();
    Kernels.rowAffine(x, xOff, in, w, bias, out, expected, yOff);
    vector.rowAffine(x, xOff, in, w, bias, out, y, yOff);
    assertThat(y).as("%dx%d at %d/%d", in, out, xOff, yOff).containsExactly(expected);
  }

  @Test
  void rowAffineShouldMatchTheScorerShapeBitwise() {
    // the benchmark DCN-V2's rank-4 embedding codes projected to 16 floats
    Random rnd = new Random(5);
    float[] x = random(rnd, 1, 40)[0];
    float[] w = random(rnd, 1, 64)[0];
    float[] bias = random(rnd, 1, 16)[0];
    float[] expected = new float[624];
    float[] y = new float[624];
    for (int f = 0; f < 10; f++) {
      Kernels.rowAffine(x, 4 * f, 4, w, bias, 16, expected, 416 + 16 * f);
      vector.rowAffine(x, 4 * f, 4, w, bias, 16, y, 416 + 16 * f);
    }
    assertThat(y).containsExactly(expected);
  }

  @Property(tries = 500)
  void dot16ShouldMatchJavaKernelsBitwise(
      @ForAll @IntRange(min = 0, max = 700) int len,
      @ForAll @IntRange(min = 0, max = 5) int wOff,
      @ForAll boolean relu,
      @ForAll long seed) {
    Random rnd = new Random(seed);
    float[] w = random(rnd, 1, wOff + len)[0];
    float[] x = random(rnd, 1, len + 2)[0];
    float acc = rnd.nextFloat() - 0.5f;
    float expected = Kernels.dot16(w, wOff, x, len, acc, relu);
    assertThat(vector.dot16(w, wOff, x, len, acc, relu)).as("len %d relu %s", len, relu)
        .isEqualTo(expected);
    assertThat(MatMuls.java().dot16(w, wOff, x, len, acc, relu)).isEqualTo(expected);
  }

  @Test
  void dot16ShouldMatchTheScorerShapesBitwiseAndTheExactValue() {
    Random rnd = new Random(9);
    for (int len : new int[] {400, 624, 1024, 64, 16, 15, 1}) {
      for (boolean relu : new boolean[] {false, true}) {
        float[] w = random(rnd, 1, len + 624)[0];
        float[] x = random(rnd, 1, len)[0];
        float expected = Kernels.dot16(w, 624, x, len, 0.25f, relu);
        assertThat(vector.dot16(w, 624, x, len, 0.25f, relu)).as("len %d relu %s", len, relu).isEqualTo(expected);
        double exact = 0.25;
        for (int j = 0; j < len; j++) {
          exact += (double) w[624 + j] * (relu ? Math.max(x[j], 0f) : x[j]);
        }
        assertThat((double) expected).as("len %d", len).isCloseTo(exact, org.assertj.core.api.Assertions.within(1e-4));
      }
    }
  }

  @Test
  void shouldRejectShapesOutsideTheArraysWithTheValues() {
    float[][] x = new float[2][8];
    float[][] wt = new float[8][16];
    float[][] y = new float[2][16];
    assertThatThrownBy(() -> vector.gemm(x, 0, 3, 8, wt, 0, 16, y))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("n=3").hasMessageContaining("x.length=2");
    assertThatThrownBy(() -> vector.gemm(x, 0, 2, 8, wt, 1, 16, y))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wRow=1");
  }

  private void assertSame(Random rnd, int n, int in, int out, int xCol, int wRow) {
    float[][] x = random(rnd, n, xCol + in);
    float[][] wt = random(rnd, wRow + in, out);
    float[][] y = random(rnd, n, out);
    float[][] expected = new float[n][];
    for (int c = 0; c < n; c++) {
      expected[c] = y[c].clone();
    }
    Kernels.gemm(x, xCol, n, in, wt, wRow, out, expected);
    float[][] narrow = new float[n][];
    for (int c = 0; c < n; c++) {
      narrow[c] = y[c].clone();
    }
    vector.gemm(x, xCol, n, in, wt, wRow, out, y);
    vector.gemmNarrow(x, xCol, n, in, wt, wRow, out, narrow);
    for (int c = 0; c < n; c++) {
      assertThat(y[c]).as("row %d of %dx%dx%d", c, n, in, out).containsExactly(expected[c]);
      assertThat(narrow[c]).as("narrow row %d of %dx%dx%d", c, n, in, out).containsExactly(expected[c]);
    }
  }
}
