package io.ctrstreams.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class DecodePriorityTest {
  @Test
  void shouldLowerOnlyTheCallingThreadOnLinux() throws Exception {
    // CI and the images run Linux, where this must work (not silently stay at normal priority)
    assertThat(System.getProperty("os.name")).startsWith("Linux");
    int before = DecodePriority.currentNice();
    AtomicReference<Boolean> lowered = new AtomicReference<>();
    AtomicInteger niceThere = new AtomicInteger(-100);
    Thread t = new Thread(() -> {
      lowered.set(DecodePriority.lowerCurrentThread(19));
      try {
        niceThere.set(DecodePriority.currentNice());
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
    });
    t.start();
    t.join();
    assertThat(lowered.get()).isTrue();
    assertThat(niceThere.get()).isEqualTo(19);
    assertThat(DecodePriority.currentNice()).as("the caller's thread is untouched").isEqualTo(before);
    assertThat(DecodePriority.lowerCurrentThread(0)).as("0 = leave it").isFalse();
  }

  @Test
  void shouldFindCommandsOnThePathOnly() {
    assertThat(DecodePriority.onPath("renice")).isNotNull();
    assertThat(DecodePriority.onPath("no-such-command-ctr")).isNull();
  }

  @Test
  void shouldNameABadSetting() {
    String old = System.getProperty(DecodePriority.NICE_PROPERTY);
    try {
      System.setProperty(DecodePriority.NICE_PROPERTY, "high");
      assertThatThrownBy(DecodePriority::configuredNice).hasMessage("ctr.decode.nice must be an integer in [0, 19], found 'high'");
      System.setProperty(DecodePriority.NICE_PROPERTY, "25");
      assertThatThrownBy(DecodePriority::configuredNice).hasMessage("ctr.decode.nice must be in [0, 19], found 25");
      System.clearProperty(DecodePriority.NICE_PROPERTY);
      assertThat(DecodePriority.configuredNice()).isEqualTo(19);
    } finally {
      if (old != null) {
        System.setProperty(DecodePriority.NICE_PROPERTY, old);
      }
    }
  }
}
