package io.ctrstreams.trainer.online;

import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.RawSchema;

/** Where the continuous trainer's examples come from: the labeled topic or the synthetic stream. */
public interface ExampleSource extends AutoCloseable {

  /** The schema of the records this source fills. */
  RawSchema schema();

  /**
   * Fills up to {@code batch.length} records, waiting at most {@code maxWaitMs} for the first.
   *
   * @return how many records were filled (0 when none arrived in time)
   */
  int next(RawRecord[] batch, long maxWaitMs);

  /** Marks everything returned so far as consumed (commits offsets where there are any). */
  default void commit() {}

  @Override
  default void close() {}
}
