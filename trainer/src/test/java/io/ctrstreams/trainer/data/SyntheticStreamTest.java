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
}
