package io.ctrstreams.model.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ctrstreams.model.CtrModelException;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class StreamingAucTest {

  @Property(tries = 30)
  void shouldStayWithinStatedErrorOfExactAucOnRandomData(
      @ForAll long seed, @ForAll @IntRange(min = 50, max = 3000) int n, @ForAll @IntRange(min = 10, max = 20000) int buckets) {
    Random rnd = new Random(seed);
    double[] p = new double[n];
    boolean[] y = new boolean[n];
    StreamingAuc s = new StreamingAuc(buckets);
    for (int i = 0; i < n; i++) {
      y[i] = rnd.nextDouble() < 0.25;
      double logit = -1.5 + (y[i] ? 0.8 : 0) + rnd.nextGaussian();
      p[i] = 1 / (1 + Math.exp(-logit));
      s.add(p[i], y[i]);
    }
    double exact = BinaryMetrics.auc(p, y);
    if (Double.isNaN(exact)) {
      assertThat(s.auc()).isNaN();
      return;
    }
    assertThat(Math.abs(s.auc() - exact)).as("seed %d", seed).isLessThanOrEqualTo(s.aucErrorBound() + 1e-12);
    assertThat(s.logloss()).isCloseTo(BinaryMetrics.logloss(p, y), within(1e-9));
    assertThat(s.calibration()).isCloseTo(BinaryMetrics.calibration(p, y), within(1e-9));
    assertThat(s.normalizedEntropy()).isCloseTo(BinaryMetrics.normalizedEntropy(p, y), within(1e-9));
  }

  @Test
  void shouldBeWithinOneThousandthOfExactAtDefaultResolution() {
    Random rnd = new Random(11);
    int n = 50_000;
    double[] p = new double[n];
    boolean[] y = new boolean[n];
    StreamingAuc s = new StreamingAuc();
    for (int i = 0; i < n; i++) {
      y[i] = rnd.nextDouble() < 0.25;
      p[i] = 1 / (1 + Math.exp(-(-1.5 + (y[i] ? 1.0 : 0) + rnd.nextGaussian())));
      s.add(p[i], y[i]);
    }
    assertThat(s.aucErrorBound()).isLessThan(1e-3);
    assertThat(s.auc()).isCloseTo(BinaryMetrics.auc(p, y), within(1e-3));
    assertThat(s.count()).isEqualTo(n);
  }

  @Test
  void shouldGiveOneForSeparatedZeroForReversedHalfForTies() {
    StreamingAuc sep = new StreamingAuc();
    StreamingAuc rev = new StreamingAuc();
    StreamingAuc tie = new StreamingAuc();
    for (int i = 0; i < 100; i++) {
      sep.add(0.01 + i * 0.001, false);
      sep.add(0.6 + i * 0.001, true);
      rev.add(0.01 + i * 0.001, true);
      rev.add(0.6 + i * 0.001, false);
      tie.add(0.3, i % 3 == 0);
    }
    assertThat(sep.auc()).isEqualTo(1.0);
    assertThat(rev.auc()).isEqualTo(0.0);
    assertThat(tie.auc()).isEqualTo(0.5);
    assertThat(tie.positives()).isEqualTo(34);
  }

  @Test
  void shouldMergeToTheSameResultAsOneAccumulator() {
    Random rnd = new Random(3);
    StreamingAuc all = new StreamingAuc(1000);
    StreamingAuc a = new StreamingAuc(1000);
    StreamingAuc b = new StreamingAuc(1000);
    for (int i = 0; i < 2000; i++) {
      double p = rnd.nextDouble();
      boolean y = rnd.nextDouble() < p;
      all.add(p, y);
      (i % 2 == 0 ? a : b).add(p, y);
    }
    a.merge(b);
    assertThat(a.auc()).isEqualTo(all.auc());
    assertThat(a.count()).isEqualTo(all.count());
    assertThat(a.positives()).isEqualTo(all.positives());
    assertThat(a.logloss()).isCloseTo(all.logloss(), within(1e-12));
    a.reset();
    assertThat(a.count()).isZero();
    assertThat(a.auc()).isNaN();
    assertThat(a.logloss()).isNaN();
  }

  @Test
  void shouldRejectMismatchedMergeAndBadArguments() {
    assertThatThrownBy(() -> new StreamingAuc(100).merge(new StreamingAuc(200)))
        .isInstanceOf(CtrModelException.class)
        .hasMessageContaining("200 buckets");
    assertThatThrownBy(() -> new StreamingAuc(1)).hasMessageContaining("found 1");
    assertThatThrownBy(() -> new StreamingAuc().add(Double.NaN, true)).hasMessageContaining("NaN");
  }
}
