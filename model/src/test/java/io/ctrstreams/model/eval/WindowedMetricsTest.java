package io.ctrstreams.model.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ctrstreams.model.CtrModelException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WindowedMetricsTest {

  @Test
  void shouldMatchAStreamingAucOverTheEventsInsideTheWindow() {
    Random rnd = new Random(5);
    WindowedMetrics w = new WindowedMetrics(60_000, 6, 2000);
    StreamingAuc inWindow = new StreamingAuc(2000);
    long now = 1_000_000;
    // Events every 10 ms over 3 minutes. Slots are 10 s; now=1,000,000 opens slot 100, so the
    // window is slots 95..100 = event times [950,000, 1,000,000].
    for (long t = now - 180_000 + 10; t <= now; t += 10) {
      double p = rnd.nextDouble();
      boolean y = rnd.nextDouble() < p;
      w.add(t, p, y);
      if (t >= 950_000) {
        inWindow.add(p, y);
      }
    }
    MetricsSnapshot s = w.snapshot(now);
    assertThat(s.count()).isEqualTo(inWindow.count());
    assertThat(s.positives()).isEqualTo(inWindow.positives());
    assertThat(s.auc()).isCloseTo(inWindow.auc(), within(1e-12));
    assertThat(s.logloss()).isCloseTo(inWindow.logloss(), within(1e-12));
    assertThat(s.calibration()).isCloseTo(inWindow.calibration(), within(1e-12));
    assertThat(s.ctr()).isCloseTo((double) inWindow.positives() / inWindow.count(), within(1e-15));
  }

  @Test
  void shouldForgetEventsOnceTheWindowHasPassed() {
    WindowedMetrics w = new WindowedMetrics(1000, 10, 100);
    w.add(50, 0.9, true);
    w.add(60, 0.1, false);
    assertThat(w.snapshot(100).count()).isEqualTo(2);
    assertThat(w.snapshot(100).auc()).isEqualTo(1.0);
    MetricsSnapshot later = w.snapshot(5000);
    assertThat(later.count()).isZero();
    assertThat(later.auc()).isNaN();
    assertThat(later.logloss()).isNaN();
  }

  @Test
  void shouldDropEventsThatArriveAfterTheirSlotLeftTheWindow() {
    WindowedMetrics w = new WindowedMetrics(1000, 10, 100);
    w.add(10_000, 0.5, true);
    w.add(8_000, 0.5, false);
    assertThat(w.droppedLate()).isEqualTo(1);
    assertThat(w.snapshot(10_000).count()).isEqualTo(1);
  }

  @Test
  void shouldRecycleSlotsAsTimeAdvances() {
    WindowedMetrics w = new WindowedMetrics(1000, 4, 100);
    for (long t = 0; t < 10_000; t += 50) {
      w.add(t, 0.3, t % 100 == 0);
    }
    MetricsSnapshot s = w.snapshot(9_999);
    assertThat(s.count()).isEqualTo(20);
    assertThat(s.positives()).isEqualTo(10);
    assertThat(s.auc()).isEqualTo(0.5);
  }

  @Test
  void shouldRejectInvalidWindowShapes() {
    assertThatThrownBy(() -> new WindowedMetrics(1000, 0, 100))
        .isInstanceOf(CtrModelException.class).hasMessageContaining("found 0");
    assertThatThrownBy(() -> new WindowedMetrics(1001, 10, 100)).hasMessageContaining("multiple");
  }
}
