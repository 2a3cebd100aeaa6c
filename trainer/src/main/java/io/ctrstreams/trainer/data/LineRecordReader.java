package io.ctrstreams.trainer.data;

import java.io.BufferedReader;
import java.io.IOException;

/**
 * A {@link RecordReader} over text lines, one record a line: skips empty lines and counts lines, so
 * every reader's error message can name the line it failed on.
 */
abstract class LineRecordReader implements RecordReader {
  /** 1-based number of the line {@link #nextLine()} returned last (0 before the first). */
  protected long line;
  private final BufferedReader in;
  private final RawSchema schema;

  LineRecordReader(BufferedReader in, RawSchema schema) {
    this.in = in;
    this.schema = schema;
  }

  @Override
  public final RawSchema schema() {
    return schema;
  }

  @Override
  public final boolean next(RawRecord out) throws IOException {
    String s = nextLine();
    if (s == null) {
      return false;
    }
    out.clear();
    parse(s, out);
    return true;
  }

  /** Fills the cleared {@code out} from the non-empty line {@code s} (line number {@link #line}). */
  protected abstract void parse(String s, RawRecord out);

  /** The next line, empty or not (a header), or null at the end of the input. */
  protected final String rawLine() throws IOException {
    String s = in.readLine();
    if (s != null) {
      line++;
    }
    return s;
  }

  /** The next non-empty line, or null at the end of the input. */
  private String nextLine() throws IOException {
    String s;
    do {
      s = rawLine();
    } while (s != null && s.isEmpty());
    return s;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
