package io.ctrstreams.model.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.model.Tensor;
import io.ctrstreams.model.format.ModelFile;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Scale;
import org.junit.jupiter.api.Test;

/**
 * The delta chain with units ranked by Fisher-weighted residual ({@link DeltaEncoder.Selection#FISHER})
 * and log-coded group scales ({@link GroupScale#LOG4}): the same guarantees as {@link
 * DeltaChainProperties} (bit-exact consumers, error feedback) and what each adds.
 */
class FisherLog4ChainProperties {

  /** Random optimizer weights for {@code x}: spread over six orders of magnitude, some exactly 0. */
  static float[][] fisher(ModelFile x, Random rnd) {
    float[][] f = new float[x.tensors().size()][];
    for (int t = 0; t < f.length; t++) {
      Tensor xt = x.tensors().get(t);
      f[t] = new float[xt.size()];
      int unit = DeltaState.unitOf(xt.name(), xt.shape());
      for (int u = 0; u < f[t].length / unit; u++) {
        float w = rnd.nextInt(5) == 0 ? 0 : (float) Math.pow(10, -8 + 6 * rnd.nextDouble());
        for (int c = 0; c < unit; c++) {
          f[t][u * unit + c] = w * (float) (0.5 + rnd.nextDouble());
        }
      }
    }
    return f;
  }

  static ValueEncoding quantized(Random rnd) {
    ValueEncoding[] q = {ValueEncoding.INT8, ValueEncoding.INT4, ValueEncoding.INT3, ValueEncoding.INT2};
    return q[rnd.nextInt(q.length)];
  }

  @Property(tries = 60)
  void aConsumerShouldHoldTheProducersWeightsBitForBit(@ForAll long seed,
      @ForAll @DoubleRange(min = 0.001, max = 1) @Scale(4) double ratio, @ForAll @IntRange(min = 1, max = 40) int steps,
      @ForAll DeltaEncoder.Scope scope, @ForAll GroupScale scale, @ForAll DeltaEncoder.Selection selection) {
    Random rnd = new Random(seed);
    ValueEncoding enc = quantized(rnd);
    int rows = 1 + rnd.nextInt(300);
    ModelFile x = DeltaChainProperties.file(DeltaChainProperties.gaussian(rnd, rows * 8, 0.1), rows,
        DeltaChainProperties.gaussian(rnd, 4 * (1 + rnd.nextInt(20)), 0.3),
        DeltaChainProperties.gaussian(rnd, 1 + rnd.nextInt(9), 0.01));
    DeltaEncoder producer = new DeltaEncoder("m", 7, x, ratio, enc, scope, scale, selection);
    DeltaApplier consumer = new DeltaApplier();
    consumer.keyframe(7, x);
    for (int s = 0; s < steps; s++) {
      x = DeltaChainProperties.step(x, rnd);
      ModelDelta d = producer.next(x, rnd.nextInt(8) == 0 ? null : fisher(x, rnd), s, s * 100L, s);
      for (TensorDelta td : d.tensors()) {
        assertThat(td.scales() != null).isEqualTo(scale == GroupScale.LOG4);
      }
      assertThat(consumer.apply(d)).isEqualTo(DeltaApplier.Outcome.APPLIED);
    }
    assertThat(consumer.state().hash()).isEqualTo(producer.state().hash());
    for (int t = 0; t < producer.state().tensorCount(); t++) {
      assertThat(DeltaChainProperties.bits(consumer.state().values(t)))
          .isEqualTo(DeltaChainProperties.bits(producer.state().values(t)));
    }
  }

  @Property(tries = 60)
  void whatIsNotSentShouldStayInTheResidual(@ForAll long seed,
      @ForAll @DoubleRange(min = 0.001, max = 0.5) @Scale(4) double ratio, @ForAll GroupScale scale) {
    Random rnd = new Random(seed);
    int rows = 1 + rnd.nextInt(100);
    ModelFile x0 = DeltaChainProperties.file(DeltaChainProperties.gaussian(rnd, rows * 8, 0.1), rows,
        DeltaChainProperties.gaussian(rnd, 40, 0.3), DeltaChainProperties.gaussian(rnd, 3, 0.01));
    DeltaEncoder e = new DeltaEncoder("m", 1, x0, ratio, quantized(rnd), DeltaEncoder.Scope.MODEL, scale,
        DeltaEncoder.Selection.FISHER);
    ModelFile x = x0;
    double[][] sent = new double[3][];
    for (int t = 0; t < 3; t++) {
      sent[t] = new double[x0.tensors().get(t).size()];
    }
    for (int s = 0; s < 25; s++) {
      x = DeltaChainProperties.step(x, rnd);
      for (TensorDelta td : e.next(x, fisher(x, rnd), s, s, s).tensors()) {
        int t = e.state().indexOf(td.tensor());
        int unit = e.state().unit(t);
        for (int j = 0; j < td.indices().length; j++) {
          for (int c = 0; c < unit; c++) {
            sent[t][td.indices()[j] * unit + c] += td.values()[j * unit + c];
          }
        }
      }
    }
    for (int t = 0; t < 3; t++) {
      float[] xv = x.tensors().get(t).data();
      float[] x0v = x0.tensors().get(t).data();
      float[] wv = e.state().values(t);
      for (int i = 0; i < xv.length; i++) {
        double lhs = (double) xv[i] - x0v[i];
        double rhs = ((double) xv[i] - wv[i]) + sent[t][i];
        assertThat(rhs).isCloseTo(lhs, org.assertj.core.data.Offset.offset(1e-5));
      }
    }
  }

  /** Fisher ranking: a unit whose weights are 0 is never sent, and the budget goes by {@code sum r^2 f}. */
  @Property(tries = 100)
  void rowsThatMoveNoOutputShouldNotBeSentAndTheWeightedLargestShould(@ForAll long seed) {
    Random rnd = new Random(seed);
    int rows = 10 + rnd.nextInt(100);
    ModelFile w = DeltaChainProperties.file(new float[rows * 8], rows, new float[4], new float[1]);
    ModelFile x = DeltaChainProperties.file(DeltaChainProperties.gaussian(rnd, rows * 8, 1), rows, new float[4],
        new float[1]);
    float[][] f = {new float[rows * 8], new float[4], new float[1]};
    double[] score = new double[rows];
    for (int r = 0; r < rows; r++) {
      float fr = rnd.nextInt(3) == 0 ? 0 : (float) rnd.nextDouble();
      for (int c = 0; c < 8; c++) {
        f[0][r * 8 + c] = fr;
        double v = x.tensors().get(0).data()[r * 8 + c];
        score[r] += v * v * fr;
      }
    }
    int k = 1 + rnd.nextInt(rows / 2);
    DeltaEncoder e = new DeltaEncoder("m", 1, w, (double) k * 8 / (rows * 8 + 5), ValueEncoding.INT8,
        DeltaEncoder.Scope.MODEL, GroupScale.LOG4, DeltaEncoder.Selection.FISHER);
    ModelDelta d = e.next(x, f, 0, 0, 0);
    int[] sent = d.tensors().isEmpty() ? new int[0] : d.tensors().get(0).indices();
    double lowestSent = Double.POSITIVE_INFINITY;
    boolean[] isSent = new boolean[rows];
    for (int r : sent) {
      assertThat(score[r]).as("row %d has weight 0", r).isPositive();
      lowestSent = Math.min(lowestSent, score[r]);
      isSent[r] = true;
    }
    for (int r = 0; r < rows; r++) {
      if (!isSent[r] && sent.length == k) {
        assertThat(score[r]).isLessThanOrEqualTo(lowestSent * (1 + 1e-6));
      }
    }
  }

  /**
   * A LOG4 scale never clips: every value lands within half a scale of its residual (a group below
   * the codes' range, within its smallest scale), the code is the largest that does, and the
   * group's largest value uses at least half the integer range unless it is below that range.
   */
  @Property(tries = 1000)
  void logCodedScalesShouldNotClipAndShouldBeTheSmallestThatFits(@ForAll long seed) {
    Random rnd = new Random(seed);
    ValueEncoding enc = quantized(rnd);
    int n = 1 + rnd.nextInt(32);
    float[] r = new float[n];
    double mag = Math.pow(10, -30 + 60 * rnd.nextDouble());
    for (int i = 0; i < n; i++) {
      r[i] = (float) (rnd.nextGaussian() * mag);
    }
    float m = 0;
    for (float v : r) {
      m = Math.max(m, Math.abs(v));
    }
    // the tensor maximum may be far above this group's need
    float need = m / enc.levels() * (float) Math.pow(2, rnd.nextInt(12) * rnd.nextDouble());
    float max = ValueEncoding.codedMaximum(need);
    assertThat(max).isGreaterThanOrEqualTo(max == 0 ? 0 : need);
    assertThat(ValueEncoding.bfloat16(max)).isEqualTo(max);
    float[] out = new float[n];
    int k = enc.quantizeCoded(r, 0, n, out, 0, max);
    assertThat(k).isBetween(0, ValueEncoding.LOG4_CODES - 1);
    float s = ValueEncoding.codedScale(max, k);
    if (max == 0) {
      assertThat(out).containsOnly(0f);
      return;
    }
    assertThat(s).isGreaterThanOrEqualTo(m / enc.levels());
    if (k < ValueEncoding.LOG4_CODES - 1) {
      assertThat(ValueEncoding.codedScale(max, k + 1)).isLessThan(m / enc.levels());
    }
    for (int i = 0; i < n; i++) {
      float q = out[i] / s;
      assertThat(Math.abs(Math.round(q))).isLessThanOrEqualTo(enc.levels());
      assertThat((double) Math.abs(out[i] - r[i])).isLessThanOrEqualTo(0.5 * s * (1 + 1e-6));
    }
  }

  @Test
  void log4WithAFloatEncodingShouldBeRefusedByName() {
    ModelFile x = DeltaChainProperties.file(new float[8], 1, new float[4], new float[1]);
    assertThatThrownBy(() -> new DeltaEncoder("m", 1, x, 0.1, ValueEncoding.FP16, DeltaEncoder.Scope.MODEL,
        GroupScale.LOG4, DeltaEncoder.Selection.RESIDUAL)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("LOG4").hasMessageContaining("FP16");
  }

  @Test
  void fisherWeightsOfAnotherShapeShouldBeRefusedByName() {
    ModelFile x = DeltaChainProperties.file(new float[8], 1, new float[4], new float[1]);
    DeltaEncoder e = new DeltaEncoder("m", 1, x, 0.1, ValueEncoding.INT3, DeltaEncoder.Scope.MODEL, GroupScale.LOG4,
        DeltaEncoder.Selection.FISHER);
    assertThatThrownBy(() -> e.next(x, new float[][] {new float[8], new float[3], new float[1]}, 0, 0, 0))
        .hasMessageContaining("mlp/0/weight").hasMessageContaining("3 values");
  }
}
