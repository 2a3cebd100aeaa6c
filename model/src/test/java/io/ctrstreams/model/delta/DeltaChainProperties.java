package io.ctrstreams.model.delta;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.Tensor;
import io.ctrstreams.model.format.ModelFile;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Scale;

/** The delta chain's guarantees on random update sequences. */
class DeltaChainProperties {

  /** A small model file: an embedding table, a weight matrix and a bias. */
  static ModelFile file(float[] table, int rows, float[] weight, float[] bias) {
    return new ModelFile("m", 1, "{}", Map.of(), List.of(
        new Tensor("emb/f/table", new int[] {rows, table.length / rows}, table),
        new Tensor("mlp/0/weight", new int[] {weight.length / 4, 4}, weight),
        new Tensor("mlp/0/bias", new int[] {bias.length}, bias)), Map.of());
  }

  static float[] gaussian(Random rnd, int n, double scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (rnd.nextGaussian() * scale);
    }
    return v;
  }

  /** The trainer's next x: a few touched rows and a dense step on the other tensors. */
  static ModelFile step(ModelFile x, Random rnd) {
    List<Tensor> ts = new ArrayList<>();
    for (Tensor t : x.tensors()) {
      float[] v = t.data().clone();
      if (t.name().startsWith("emb/")) {
        int width = t.shape()[1];
        for (int touched = rnd.nextInt(4); touched >= 0; touched--) {
          int row = rnd.nextInt(t.shape()[0]);
          for (int c = 0; c < width; c++) {
            v[row * width + c] += (float) (rnd.nextGaussian() * 0.01);
          }
        }
      } else {
        for (int i = 0; i < v.length; i++) {
          v[i] += (float) (rnd.nextGaussian() * 0.001);
        }
      }
      ts.add(new Tensor(t.name(), t.shape(), v));
    }
    return new ModelFile(x.modelName(), x.modelVersion(), x.specJson(), x.metadata(), ts, x.stringTables());
  }

  @Property(tries = 60)
  void aConsumerShouldHoldTheProducersWeightsBitForBit(
      @ForAll long seed, @ForAll @DoubleRange(min = 0.001, max = 1) @Scale(4) double ratio, @ForAll ValueEncoding encoding,
      @ForAll @IntRange(min = 1, max = 40) int steps, @ForAll DeltaEncoder.Scope scope) {
    Random rnd = new Random(seed);
    int rows = 1 + rnd.nextInt(300);
    ModelFile x = file(gaussian(rnd, rows * 3, 0.1), rows, gaussian(rnd, 4 * (1 + rnd.nextInt(20)), 0.3),
        gaussian(rnd, 1 + rnd.nextInt(9), 0.01));
    DeltaEncoder producer = new DeltaEncoder("m", 7, x, ratio, encoding, scope);
    DeltaApplier consumer = new DeltaApplier();
    consumer.keyframe(7, x);
    for (int s = 0; s < steps; s++) {
      x = step(x, rnd);
      ModelDelta d = producer.next(x, s, s * 100L, s);
      assertThat(consumer.apply(d)).isEqualTo(DeltaApplier.Outcome.APPLIED);
    }
    DeltaState a = producer.state();
    DeltaState b = consumer.state();
    assertThat(b.hash()).isEqualTo(a.hash());
    for (int t = 0; t < a.tensorCount(); t++) {
      assertThat(bits(b.values(t))).isEqualTo(bits(a.values(t)));
    }
  }

  @Property(tries = 200)
  void topKShouldContract(@ForAll long seed, @ForAll @DoubleRange(min = 0.001, max = 1) @Scale(4) double ratio) {
    Random rnd = new Random(seed);
    int rows = 1 + rnd.nextInt(200);
    ModelFile w = file(new float[rows * 3], rows, new float[4 * (1 + rnd.nextInt(30))], new float[1 + rnd.nextInt(9)]);
    ModelFile x = file(gaussian(rnd, rows * 3, 1), rows, gaussian(rnd, w.tensors().get(1).size(), 1),
        gaussian(rnd, w.tensors().get(2).size(), 1));
    DeltaEncoder e = new DeltaEncoder("m", 1, w, ratio, ValueEncoding.FP32);
    e.next(x, 0, 0, 0);
    // per tensor: ||r - C(r)||^2 <= (1 - k/d) ||r||^2 with d units (rows or elements) and k sent
    for (int t = 0; t < x.tensors().size(); t++) {
      float[] xv = x.tensors().get(t).data();
      float[] wv = e.state().values(t);
      int unit = e.state().unit(t);
      int d = xv.length / unit;
      int k = (int) Math.min(d, Math.ceil(ratio * d));
      double left = 0;
      double all = 0;
      for (int i = 0; i < xv.length; i++) {
        left += Math.pow(xv[i] - wv[i], 2);
        all += Math.pow(xv[i], 2);
      }
      assertThat(left).isLessThanOrEqualTo((1 - (double) k / d) * all + 1e-9);
    }
  }

  @Property(tries = 200)
  void aModelWideBudgetShouldContractAndKeepItsBudget(@ForAll long seed,
      @ForAll @DoubleRange(min = 0.001, max = 1) @Scale(4) double ratio) {
    Random rnd = new Random(seed);
    int rows = 1 + rnd.nextInt(200);
    ModelFile w = file(new float[rows * 3], rows, new float[4 * (1 + rnd.nextInt(30))], new float[1 + rnd.nextInt(9)]);
    // uneven residuals: a few rows and some weights moved a lot
    float[] table = gaussian(rnd, rows * 3, 0.01);
    for (int i = rnd.nextInt(5); i > 0; i--) {
      int r = rnd.nextInt(rows);
      for (int c = 0; c < 3; c++) {
        table[r * 3 + c] += (float) rnd.nextGaussian();
      }
    }
    ModelFile x = file(table, rows, gaussian(rnd, w.tensors().get(1).size(), rnd.nextDouble()),
        gaussian(rnd, w.tensors().get(2).size(), 1));
    DeltaEncoder e = new DeltaEncoder("m", 1, w, ratio, ValueEncoding.FP32, DeltaEncoder.Scope.MODEL);
    ModelDelta d = e.next(x, 0, 0, 0);
    long total = 0;
    double left = 0;
    double all = 0;
    for (int t = 0; t < x.tensors().size(); t++) {
      float[] xv = x.tensors().get(t).data();
      float[] wv = e.state().values(t);
      total += xv.length;
      for (int i = 0; i < xv.length; i++) {
        left += Math.pow(xv[i] - wv[i], 2);
        all += Math.pow(xv[i], 2);
      }
    }
    long budget = (long) Math.min(total, Math.ceil(ratio * total));
    assertThat(d.valueCount()).isLessThanOrEqualTo(budget);
    // at least budget - (row width - 1) values go out: only a row that does not fit is skipped
    assertThat(d.valueCount()).isGreaterThanOrEqualTo(Math.min(budget - 2, total));
    assertThat(left).isLessThanOrEqualTo((1 - (double) (budget - 2) / total) * all + 1e-9);
  }

  @Property(tries = 60)
  void whatIsNotSentShouldStayInTheResidual(@ForAll long seed, @ForAll @DoubleRange(min = 0.001, max = 0.5) @Scale(4) double ratio,
      @ForAll ValueEncoding encoding) {
    Random rnd = new Random(seed);
    int rows = 1 + rnd.nextInt(100);
    ModelFile x0 = file(gaussian(rnd, rows * 2, 0.1), rows, gaussian(rnd, 16, 0.3), gaussian(rnd, 3, 0.01));
    DeltaEncoder e = new DeltaEncoder("m", 1, x0, ratio, encoding);
    ModelFile x = x0;
    double[][] sent = new double[3][];
    for (int t = 0; t < 3; t++) {
      sent[t] = new double[x0.tensors().get(t).size()];
    }
    for (int s = 0; s < 25; s++) {
      x = step(x, rnd);
      for (TensorDelta td : e.next(x, s, s, s).tensors()) {
        int t = e.state().indexOf(td.tensor());
        int unit = e.state().unit(t);
        for (int j = 0; j < td.indices().length; j++) {
          for (int c = 0; c < unit; c++) {
            sent[t][td.indices()[j] * unit + c] += td.values()[j * unit + c];
          }
        }
      }
    }
    // sum of true updates (x - x0) == residual (x - w) + sum of sent deltas, up to float rounding of w
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
    assertThat(e.residualRatio()).isBetween(0.0, 1.0);
  }

  static int[] bits(float[] v) {
    int[] b = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = Float.floatToRawIntBits(v[i]);
    }
    return b;
  }
}
