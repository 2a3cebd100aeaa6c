package io.ctrstreams.trainer.data;

/**
 * Rows {@code [from, to)} of a {@link SyntheticStream} as a {@link RecordReader}; remembers the
 * teacher probability of the last row for distillation and for the teacher's AUC.
 */
public final class SyntheticReader implements RecordReader {
  private final SyntheticStream stream;
  private final long to;
  private long row;
  private double lastTeacher = Double.NaN;

  public SyntheticReader(SyntheticStream stream, long from, long to) {
    this.stream = stream;
    this.row = from;
    this.to = to;
  }

  @Override
  public RawSchema schema() {
    return stream.schema();
  }

  @Override
  public boolean next(RawRecord out) {
    if (row >= to) {
      return false;
    }
    lastTeacher = stream.row(row++, out);
    return true;
  }

  /** Teacher probability of the last row read. */
  public double lastTeacherProbability() {
    return lastTeacher;
  }
}
