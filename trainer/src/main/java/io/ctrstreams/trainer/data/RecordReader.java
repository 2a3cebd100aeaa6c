package io.ctrstreams.trainer.data;

import java.io.Closeable;
import java.io.IOException;

/** A one-pass, bounded-memory source of raw records. */
public interface RecordReader extends Closeable {
  /** The schema of the records this reader fills. */
  RawSchema schema();

  /**
   * Fills {@code out} with the next record.
   *
   * @return false at the end of the input (out is then unspecified)
   * @throws io.ctrstreams.trainer.TrainerException on a malformed line, naming the line number
   */
  boolean next(RawRecord out) throws IOException;

  @Override
  default void close() throws IOException {}
}
