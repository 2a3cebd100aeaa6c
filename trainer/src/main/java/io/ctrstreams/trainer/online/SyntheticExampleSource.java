package io.ctrstreams.trainer.online;

import io.ctrstreams.trainer.TrainerException;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.RawSchema;
import io.ctrstreams.trainer.data.SyntheticStream;

/**
 * Examples straight from a {@link SyntheticStream} (the same seed as the demo's traffic, so the
 * same hidden teacher), optionally throttled so training leaves CPU to the other services.
 * Row numbers start at {@code startRow} so the trainer does not train on the very rows the
 * traffic generator sends (those are the online evaluation set).
 */
public final class SyntheticExampleSource implements ExampleSource {
  private final SyntheticStream stream;
  private final double maxPerSecond;
  private final long startNanos = System.nanoTime();
  private long produced;

  /**
   * @param maxPerSecond examples per second at most; 0 = unthrottled
   * @param startRow first row of the stream to train on
   */
  public SyntheticExampleSource(long seed, double maxPerSecond, long startRow) {
    if (maxPerSecond < 0) {
      throw new TrainerException("examples per second must be >= 0, found " + maxPerSecond);
    }
    this.stream = new SyntheticStream(seed);
    this.stream.seek(startRow);
    this.maxPerSecond = maxPerSecond;
  }

  @Override
  public RawSchema schema() {
    return stream.schema();
  }

  @Override
  public int next(RawRecord[] batch, long maxWaitMs) {
    int n = batch.length;
    if (maxPerSecond > 0) {
      // allowance so far minus what was handed out; sleep (bounded) until a batch is allowed
      double elapsed = (System.nanoTime() - startNanos) / 1e9;
      long allowed = (long) (elapsed * maxPerSecond) - produced;
      if (allowed < n) {
        long sleepMs = (long) Math.ceil((n - allowed) * 1000.0 / maxPerSecond);
        if (sleepMs > maxWaitMs) {
          sleepUninterruptibly(maxWaitMs);
          return 0;
        }
        sleepUninterruptibly(sleepMs);
      }
    }
    for (int i = 0; i < n; i++) {
      stream.nextInto(batch[i]);
    }
    produced += n;
    return n;
  }

  private static void sleepUninterruptibly(long ms) {
    try {
      Thread.sleep(Math.max(0, ms));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
