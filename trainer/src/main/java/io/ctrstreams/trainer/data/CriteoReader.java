package io.ctrstreams.trainer.data;

import io.ctrstreams.trainer.TrainerException;
import java.io.BufferedReader;

/**
 * Streams raw Criteo display-advertising TSV: {@code label \t I1..I13 \t C1..C26}, no header,
 * empty = missing. Lines with fewer than 40 columns (trailing columns dropped by some exports; the
 * public sample has such lines) read the absent columns as missing; more than 40 is an error.
 */
public final class CriteoReader extends LineRecordReader {
  private static final RawSchema SCHEMA = RawSchema.criteo();

  public CriteoReader(BufferedReader in) {
    super(in, SCHEMA);
  }

  @Override
  protected void parse(String s, RawRecord out) {
    int col = 0;
    int start = 0;
    int n = s.length();
    while (start <= n) {
      int end = s.indexOf('\t', start);
      if (end < 0) {
        end = n;
      }
      if (col >= 40) {
        throw new TrainerException("criteo line " + line + " has more than 40 columns");
      }
      if (end > start) {
        if (col == 0) {
          out.label = parseLabel(s, start, end);
        } else if (col <= 13) {
          out.number[col - 1] = parseNumber(s, start, end, col);
        } else {
          out.category[col - 1] = s.substring(start, end);
        }
      } else if (col == 0) {
        throw new TrainerException("criteo line " + line + " has an empty label");
      }
      col++;
      start = end + 1;
    }
    out.timestampMs = line;
  }

  private float parseLabel(String s, int start, int end) {
    if (end - start == 1 && (s.charAt(start) == '0' || s.charAt(start) == '1')) {
      return s.charAt(start) - '0';
    }
    throw new TrainerException("criteo line " + line + " label must be 0 or 1, found \"" + s.substring(start, end) + "\"");
  }

  private double parseNumber(String s, int start, int end, int col) {
    try {
      return Double.parseDouble(s.substring(start, end));
    } catch (NumberFormatException e) {
      throw new TrainerException("criteo line " + line + " field I" + col + " must be a number, found \""
          + s.substring(start, end) + "\"", e);
    }
  }

}
