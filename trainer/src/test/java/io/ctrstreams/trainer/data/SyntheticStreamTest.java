package io.ctrstreams.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.eval.BinaryMetrics;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SyntheticStreamTest {

  @Test
  void shouldBeDeterministicBySeedAndRandomAccessByRow() {
    SyntheticStream a = new SyntheticStream(9);
    SyntheticStream b = new SyntheticStream(9);
    RawRecord ra = a.schema().newRecord();
    RawRecord rb = b.schema().newRecord();
    for (int i = 0; i < 100; i++) {
      double pa = a.nextInto(ra);
      double pb = b.row(i, rb);
      assertThat(pa).isEqualTo(pb);
      assertThat(ra.toMap()).isEqualTo(rb.toMap());
      assertThat(ra.label).isEqualTo(rb.label);
    }
    SyntheticStream c = new SyntheticStream(10);
    RawRecord rc = c.schema().newRecord();
    c.row(0, rc);
    a.row(0, ra);
    assertThat(rc.toMap()).isNotEqualTo(ra.toMap());
  }

  @Test
  void shouldHaveQuarterPositivesAndATeacherFarAboveChance() {
    SyntheticStream s = new SyntheticStream(1);
    int n = 20_000;
    double[] p = new double[n];
    boolean[] y = new boolean[n];
    RawRecord r = s.schema().newRecord();
    int pos = 0;
    Set<String> c3 = new HashSet<>();
    for (int i = 0; i < n; i++) {
      p[i] = s.nextInto(r);
      y[i] = r.label > 0.5f;
      pos += y[i] ? 1 : 0;
      c3.add(r.category[13 + 2]);
    }
    assertThat(pos / (double) n).isBetween(0.23, 0.27);
    double auc = BinaryMetrics.auc(p, y);
    assertThat(auc).isBetween(0.8, 0.9);
    // Zipf: a 180k vocabulary shows far fewer distinct ids in 20k draws than uniform would.
    assertThat(c3.size()).isBetween(100, 15_000);
    assertThat(BinaryMetrics.calibration(p, y)).isBetween(0.9, 1.1);
  }

  @Test
  void shouldEmitEventsInTimeOrderWithOneClickPerClickedImpression() {
    SyntheticStream s = new SyntheticStream(3, 0, 100, 500);
    long last = Long.MIN_VALUE;
    Set<String> clickedIds = new HashSet<>();
    Set<String> clicks = new HashSet<>();
    int impressions = 0;
    for (int i = 0; i < 5000; i++) {
      SyntheticEvent e = s.next();
      assertThat(e.timestampMs()).isGreaterThanOrEqualTo(last);
      last = e.timestampMs();
      if (e instanceof SyntheticEvent.Impression imp) {
        impressions++;
        assertThat(imp.context()).containsKey("C1").doesNotContainKey("C14");
        assertThat(imp.candidate()).containsKey("C14").doesNotContainKey("C1");
        if (imp.clicked()) {
          clickedIds.add(imp.eventId());
        }
      } else if (e instanceof SyntheticEvent.Click c) {
        assertThat(clicks.add(c.impressionId())).isTrue();
        assertThat(c.timestampMs()).isGreaterThan(c.impressionTimestampMs());
        assertThat(clickedIds).contains(c.impressionId());
      }
    }
    assertThat(impressions).isGreaterThan(3000);
    // All clicks except those still pending (delay cap 10 x 500 ms = 500 impressions at 100/s).
    assertThat(clicks.size()).isGreaterThan(clickedIds.size() - 200);
  }

  @Test
  void shouldCarryTheRegionAndShiftTheTeacherPerRegionInHeterogeneousMode() {
    SyntheticStream plain = new SyntheticStream(3);
    SyntheticStream mild = new SyntheticStream(3, 8, 0);
    SyntheticStream het = new SyntheticStream(3, 8, 1.0);
    RawRecord a = plain.schema().newRecord();
    RawRecord b = het.schema().newRecord();
    int c6 = plain.schema().ordinal(SyntheticStream.REGION_FIELD);
    int n = 40_000;
    double[] pMild = new double[8];
    double[] pHet = new double[8];
    int[] count = new int[8];
    double[] pCtl = new double[8];
    for (int i = 0; i < n; i++) {
      plain.row(i, a);
      het.row(i, b);
      int q = het.regionOf(i);
      assertThat(b.category[c6]).isEqualTo(String.format("region-%02d", q));
      // every other field is the plain stream's
      for (int f = 0; f < a.category.length; f++) {
        if (f != c6) {
          assertThat(b.category[f]).isEqualTo(a.category[f]);
        }
      }
      count[q]++;
      pHet[q] += het.row(i, b);
      pMild[q] += mild.row(i, b);
      pCtl[i % 8] += plain.row(i, a);
    }
    double spreadHet = 0;
    double spreadMild = 0;
    double spreadCtl = 0;
    double meanHet = java.util.Arrays.stream(pHet).sum() / n;
    double meanMild = java.util.Arrays.stream(pMild).sum() / n;
    double meanCtl = java.util.Arrays.stream(pCtl).sum() / n;
    for (int q = 0; q < 8; q++) {
      assertThat(count[q]).isBetween(n / 8 - 500, n / 8 + 500);
      spreadHet = Math.max(spreadHet, Math.abs(pHet[q] / count[q] - meanHet));
      spreadMild = Math.max(spreadMild, Math.abs(pMild[q] / count[q] - meanMild));
      spreadCtl = Math.max(spreadCtl, Math.abs(pCtl[q] / (n / 8) - meanCtl));
    }
    // largest deviation of a region's mean teacher probability from the overall mean: sampling noise only
    // without heterogeneity, a clear shift with heterogeneity 1 (measured values in the message)
    assertThat(spreadMild).as("heterogeneity 0: %s, heterogeneity 1: %s, rows mod 8: %s", spreadMild, spreadHet, spreadCtl).isLessThan(0.01);
    assertThat(spreadHet).as("heterogeneity 0: %s, heterogeneity 1: %s", spreadMild, spreadHet).isGreaterThan(0.04);
    assertThat(new SyntheticStream(3).regionOf(5)).isEqualTo(-1);
  }
}
