package io.ctrstreams.loadtest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Counts committed scores of one throughput run with a {@code read_committed} consumer: the
 * number per event (from the record key, without decoding the value, so counting costs the
 * scorer as little CPU as possible) and when the last one arrived. Polls every 10 ms. Assigned to every partition of the
 * scores topic from the beginning; no consumer group. Used on one thread.
 */
final class ScoreCounter implements AutoCloseable {
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final int[] perEvent;

  /** What a run produced, as seen by a read_committed consumer. */
  record Count(long total, long foreign, long startNanos, long firstArrivalNanos, long firstBatch, long lastArrivalNanos,
      int eventsScoredExactly, int eventsMissing, int eventsDuplicated) {
    /**
     * Scores per second between the first and the last arrival, the first batch excluded: the
     * first transaction commit marks the start of steady processing (start-up, rebalance and
     * the first commit interval are not throughput), and every later score was processed and
     * committed within the interval. When the arrivals span less than a second (tiny runs: one
     * or two commits, so the interval says nothing), all scores over the time since the app
     * was RUNNING instead.
     */
    double scoresPerSecond() {
      return (oneBatch() ? total : total - firstBatch) / seconds();
    }

    /** The interval {@link #scoresPerSecond} divides by. */
    double seconds() {
      return (lastArrivalNanos - (oneBatch() ? startNanos : firstArrivalNanos)) / 1e9;
    }

    private boolean oneBatch() {
      return total <= firstBatch || lastArrivalNanos - firstArrivalNanos < 1_000_000_000L;
    }
  }

  ScoreCounter(String bootstrap, String topic, int events) {
    Map<String, Object> cc = LoadTest.scoreReaderConfig(bootstrap);
    cc.put(ConsumerConfig.CLIENT_ID_CONFIG, "load-score-counter");
    consumer = new KafkaConsumer<>(cc);
    List<TopicPartition> tps = new ArrayList<>();
    consumer.partitionsFor(topic).forEach(pi -> tps.add(new TopicPartition(topic, pi.partition())));
    consumer.assign(tps);
    consumer.seekToBeginning(tps);
    perEvent = new int[events];
  }

  /**
   * Polls until {@code expected} scores arrived (then {@code settleMs} more, which would reveal
   * duplicates) or nothing arrived for {@code idleTimeout}.
   */
  Count await(long startNanos, long expected, int perEventExpected, Duration idleTimeout, long settleMs) {
    int[] each = new int[perEvent.length];
    java.util.Arrays.fill(each, perEventExpected);
    return await(startNanos, expected, each, idleTimeout, settleMs);
  }

  /**
   * As {@link #await(long, long, int, Duration, long)} with a score-record count per event (a
   * sampled shadow adds records to some events only).
   */
  Count await(long startNanos, long expected, int[] perEventExpected, Duration idleTimeout, long settleMs) {
    long total = 0;
    long first = -1;
    long firstBatch = 0;
    long foreign = 0;
    long last = -1;
    long lastProgress = System.nanoTime();
    long settleUntil = Long.MAX_VALUE;
    while (System.nanoTime() < settleUntil) {
      ConsumerRecords<byte[], byte[]> recs = consumer.poll(Duration.ofMillis(10));
      long now = System.nanoTime();
      if (!recs.isEmpty()) {
        for (ConsumerRecord<byte[], byte[]> r : recs) {
          long i = ImpressionFactory.indexOf(r.key());
          if (i >= 0 && i < perEvent.length) {
            perEvent[(int) i]++;
          } else {
            foreign++;
          }
        }
        if (first < 0) {
          first = now;
          firstBatch = recs.count();
        }
        if (total < expected) {
          last = now; // arrivals after the expected count are duplicates, not throughput
        }
        total += recs.count();
        lastProgress = now;
        if (total >= expected && settleUntil == Long.MAX_VALUE) {
          settleUntil = now + settleMs * 1_000_000L;
        }
      } else if (now - lastProgress > idleTimeout.toNanos()) {
        break;
      }
    }
    int exact = 0;
    int missing = 0;
    int dup = 0;
    for (int i = 0; i < perEvent.length; i++) {
      int c = perEvent[i];
      if (c == perEventExpected[i]) {
        exact++;
      } else if (c < perEventExpected[i]) {
        missing++;
      } else {
        dup++;
      }
    }
    return new Count(total, foreign, startNanos, first, firstBatch, last, exact, missing, dup);
  }

  @Override
  public void close() {
    consumer.close();
  }
}
