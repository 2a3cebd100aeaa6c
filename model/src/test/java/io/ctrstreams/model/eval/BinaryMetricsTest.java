package io.ctrstreams.model.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ctrstreams.model.CtrModelException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BinaryMetricsTest {

  private record Sample(double[] p, boolean[] y) {}

  private static Sample loadSample() throws IOException {
    List<double[]> rows = new ArrayList<>();
    try (InputStream in = BinaryMetricsTest.class.getResourceAsStream("binary-metrics-sample.tsv");
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        String[] f = line.split("\t");
        rows.add(new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1])});
      }
    }
    double[] p = new double[rows.size()];
    boolean[] y = new boolean[rows.size()];
    for (int i = 0; i < p.length; i++) {
      y[i] = rows.get(i)[0] == 1.0;
      p[i] = rows.get(i)[1];
    }
    return new Sample(p, y);
  }

  private static Properties expected() throws IOException {
    Properties props = new Properties();
    try (InputStream in = BinaryMetricsTest.class.getResourceAsStream("binary-metrics-expected.properties")) {
      props.load(in);
    }
    return props;
  }

  @Test
  void shouldMatchNumpyBruteForceReferenceOnFixedSample() throws IOException {
    Sample s = loadSample();
    Properties e = expected();
    assertThat(s.p()).hasSize(600);
    assertThat(BinaryMetrics.auc(s.p(), s.y())).isCloseTo(Double.parseDouble(e.getProperty("auc")), within(1e-12));
    assertThat(BinaryMetrics.logloss(s.p(), s.y())).isCloseTo(Double.parseDouble(e.getProperty("logloss")), within(1e-12));
    assertThat(BinaryMetrics.calibration(s.p(), s.y()))
        .isCloseTo(Double.parseDouble(e.getProperty("calibration")), within(1e-12));
    assertThat(BinaryMetrics.normalizedEntropy(s.p(), s.y()))
        .isCloseTo(Double.parseDouble(e.getProperty("normalizedEntropy")), within(1e-12));
  }

  @Test
  void shouldGiveSameResultsForFloatOverloads() throws IOException {
    Sample s = loadSample();
    float[] pf = new float[s.p().length + 3];
    float[] yf = new float[s.p().length + 3];
    double[] pd = new double[s.p().length];
    for (int i = 0; i < s.p().length; i++) {
      pf[i] = (float) s.p()[i];
      pd[i] = pf[i];
      yf[i] = s.y()[i] ? 1f : 0f;
    }
    int n = s.p().length;
    assertThat(BinaryMetrics.auc(pf, yf, n)).isEqualTo(BinaryMetrics.auc(pd, s.y()));
    assertThat(BinaryMetrics.logloss(pf, yf, n)).isCloseTo(BinaryMetrics.logloss(pd, s.y()), within(1e-12));
    assertThat(BinaryMetrics.calibration(pf, yf, n)).isCloseTo(BinaryMetrics.calibration(pd, s.y()), within(1e-12));
    assertThat(BinaryMetrics.normalizedEntropy(pf, yf, n))
        .isCloseTo(BinaryMetrics.normalizedEntropy(pd, s.y()), within(1e-12));
  }

  @Test
  void shouldGiveOneForPerfectlySeparatedZeroForReversedAndHalfForAllTies() {
    double[] p = {0.1, 0.2, 0.3, 0.7, 0.8, 0.9};
    boolean[] y = {false, false, false, true, true, true};
    boolean[] rev = {true, true, true, false, false, false};
    assertThat(BinaryMetrics.auc(p, y)).isEqualTo(1.0);
    assertThat(BinaryMetrics.auc(p, rev)).isEqualTo(0.0);
    assertThat(BinaryMetrics.auc(new double[] {0.4, 0.4, 0.4, 0.4}, new boolean[] {true, false, false, true}))
        .isEqualTo(0.5);
  }

  @Test
  void shouldReturnNanWhenOnlyOneClassIsPresent() {
    assertThat(BinaryMetrics.auc(new double[] {0.1, 0.9}, new boolean[] {true, true})).isNaN();
    assertThat(BinaryMetrics.calibration(new double[] {0.1, 0.9}, new boolean[] {false, false})).isNaN();
    assertThat(BinaryMetrics.normalizedEntropy(new double[] {0.1, 0.9}, new boolean[] {false, false})).isNaN();
  }

  @Test
  void shouldMatchPairCountingOnRandomTiedData() {
    long seed = 7L;
    Random rnd = new Random(seed);
    for (int trial = 0; trial < 20; trial++) {
      int n = 1 + rnd.nextInt(300);
      double[] p = new double[n];
      boolean[] y = new boolean[n];
      for (int i = 0; i < n; i++) {
        p[i] = rnd.nextInt(20) / 20.0;
        y[i] = rnd.nextDouble() < 0.3;
      }
      double wins = 0;
      long pairs = 0;
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          if (y[i] && !y[j]) {
            pairs++;
            wins += p[i] > p[j] ? 1 : (p[i] == p[j] ? 0.5 : 0);
          }
        }
      }
      double expected = pairs == 0 ? Double.NaN : wins / pairs;
      assertThat(BinaryMetrics.auc(p, y)).as("seed %d trial %d", seed, trial).isEqualTo(expected, within(1e-12));
    }
  }

  @Test
  void shouldClipLoglossOfConfidentMisses() {
    double ll = BinaryMetrics.logloss(new double[] {0.0}, new boolean[] {true});
    assertThat(ll).isCloseTo(-Math.log(BinaryMetrics.EPS), within(1e-9));
    assertThat(Double.isFinite(BinaryMetrics.logloss(new double[] {1.0}, new boolean[] {false}))).isTrue();
  }

  @Test
  void shouldRejectMismatchedLengthsAndNanScores() {
    assertThatThrownBy(() -> BinaryMetrics.auc(new double[] {0.1}, new boolean[] {true, false}))
        .isInstanceOf(CtrModelException.class)
        .hasMessageContaining("1 scores and 2 labels");
    assertThatThrownBy(() -> BinaryMetrics.auc(new double[] {0.1, Double.NaN}, new boolean[] {true, false}))
        .isInstanceOf(CtrModelException.class)
        .hasMessageContaining("index 1");
    assertThatThrownBy(() -> BinaryMetrics.auc(new float[] {0.1f}, new float[] {1f}, 2))
        .isInstanceOf(CtrModelException.class)
        .hasMessageContaining("n=2");
  }
}
