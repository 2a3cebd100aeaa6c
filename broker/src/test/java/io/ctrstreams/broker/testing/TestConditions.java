package io.ctrstreams.broker.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The one way tests wait: for a condition, with a generous deadline, then assert on content and
 * order. Never a fixed sleep before an assertion and never "N things within T seconds": on a
 * loaded machine everything is slower, not different, so the deadline only bounds a hang. A
 * "nothing else happened" check first waits for a positive caught-up signal (a later marker
 * processed, a consumer position reached), then asserts.
 */
public final class TestConditions {
  /** Long enough for a 2-core machine shared with other builds; only a hang reaches it. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

  private static final long POLL_MS = 20;

  private TestConditions() {}

  /**
   * Returns as soon as {@code condition} is true; evaluates it every 20 ms (it may itself block,
   * e.g. poll a consumer).
   *
   * @throws AssertionError naming {@code message} and the timeout when it is still false after
   *     {@code timeout}
   */
  public static void waitFor(BooleanSupplier condition, Duration timeout, String message) throws InterruptedException {
    waitFor(condition, timeout, () -> message);
  }

  /**
   * {@link #waitFor(BooleanSupplier, Duration, String)} with a message built on timeout, so that
   * it can show how far the condition got.
   */
  public static void waitFor(BooleanSupplier condition, Duration timeout, Supplier<String> message)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline >= 0) {
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for: " + message.get());
      }
      Thread.sleep(POLL_MS);
    }
  }

  /** {@link #waitFor(BooleanSupplier, Duration, String)} with {@link #DEFAULT_TIMEOUT}. */
  public static void waitFor(BooleanSupplier condition, String message) throws InterruptedException {
    waitFor(condition, DEFAULT_TIMEOUT, message);
  }
}
