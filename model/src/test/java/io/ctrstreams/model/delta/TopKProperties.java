package io.ctrstreams.model.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * {@link DeltaEncoder#topK(float[], int, int, float[], int[])} (the allocation-free selection the
 * gradient exchange runs every round) against a sort-based reference and the allocating form,
 * with reused buffers, ties, zeros and negatives.
 */
class TopKProperties {

  /** Reference: positives sorted by score descending, then index ascending; first k, ascending. */
  private static int[] reference(float[] score, int n, int k) {
    return IntStream.range(0, n).filter(i -> score[i] > 0).boxed()
        .sorted(Comparator.<Integer>comparingDouble(i -> -score[i]).thenComparingInt(i -> i))
        .limit(k).mapToInt(Integer::intValue).sorted().toArray();
  }

  @Property(tries = 300)
  void shouldMatchTheReferenceWithReusedBuffers(@ForAll long seed, @ForAll @IntRange(min = 1, max = 6) int rounds) {
    Random r = new Random(seed);
    // one pair of buffers for every round, like TopKCompressor
    float[] scratch = new float[300];
    int[] picked = new int[300];
    for (int round = 0; round < rounds; round++) {
      int n = r.nextInt(300);
      int k = r.nextInt(n + 5);
      float[] score = new float[n + r.nextInt(3)]; // longer than n: only [0, n) counts
      for (int i = 0; i < score.length; i++) {
        int kind = r.nextInt(4);
        score[i] = kind == 0 ? 0f : kind == 1 ? -r.nextInt(5) : r.nextInt(8); // many ties
      }
      float[] before = score.clone();
      Arrays.fill(picked, -7);
      int count = DeltaEncoder.topK(score, n, k, scratch, picked);
      int[] want = reference(score, n, k);
      assertThat(Arrays.copyOf(picked, count)).as("n %d k %d", n, k).containsExactly(want);
      assertThat(DeltaEncoder.topK(score, n, k)).containsExactly(want);
      assertThat(score).as("score untouched").containsExactly(before);
    }
  }

  @Test
  void shouldNameTooSmallBuffers() {
    float[] score = {3, 1, 2};
    assertThatThrownBy(() -> DeltaEncoder.topK(score, 3, 2, new float[2], new int[2]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scratch 2");
    assertThatThrownBy(() -> DeltaEncoder.topK(score, 3, 2, new float[3], new int[1]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("picked 1");
    int[] picked = new int[2];
    assertThat(DeltaEncoder.topK(score, 3, 2, new float[3], picked)).isEqualTo(2);
    assertThat(picked).containsExactly(0, 2);
  }
}
