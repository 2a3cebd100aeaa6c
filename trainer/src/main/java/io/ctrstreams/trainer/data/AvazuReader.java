package io.ctrstreams.trainer.data;

import io.ctrstreams.trainer.TrainerException;
import java.io.BufferedReader;
import java.io.IOException;
import java.time.DayOfWeek;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * Streams raw Avazu CSV (header line required; columns located by name, so column order may
 * vary; {@code id} is dropped). {@code hour} (YYMMDDHH, UTC, years 20YY) becomes hour_of_day
 * (0..23), weekday (1 = Monday .. 7) and weekend (1 on Saturday/Sunday, else 0), and the
 * timestamp of the record. A test CSV without {@code click} reads with label 0.
 */
public final class AvazuReader extends LineRecordReader {
  private static final RawSchema SCHEMA = RawSchema.avazu();
  private final int clickCol;
  private final int hourCol;
  private final int[] fieldCol; // schema ordinal -> csv column (for the AVAZU_COLUMNS part)
  private final int columns;
  private final String[] cells;

  /**
   * @throws TrainerException when the header lacks hour or a schema column
   */
  public AvazuReader(BufferedReader in) throws IOException {
    super(in, SCHEMA);
    String header = rawLine();
    if (header == null) {
      throw new TrainerException("avazu input is empty: expected a header line");
    }
    String[] names = header.split(",", -1);
    columns = names.length;
    cells = new String[columns];
    clickCol = indexOf(names, "click");
    hourCol = indexOf(names, "hour");
    if (hourCol < 0) {
      throw new TrainerException("avazu header must have a column 'hour', found: " + header);
    }
    fieldCol = new int[SCHEMA.size()];
    for (int i = 0; i < SCHEMA.size(); i++) {
      String name = SCHEMA.field(i).name();
      if (i < 3) {
        fieldCol[i] = -1;
        continue;
      }
      fieldCol[i] = indexOf(names, name);
      if (fieldCol[i] < 0) {
        throw new TrainerException("avazu header must have a column '" + name + "', found: " + header);
      }
    }
  }

  private static int indexOf(String[] names, String n) {
    for (int i = 0; i < names.length; i++) {
      if (names[i].trim().equals(n)) {
        return i;
      }
    }
    return -1;
  }

  @Override
  protected void parse(String s, RawRecord out) {
    int col = 0;
    int start = 0;
    while (true) {
      int end = s.indexOf(',', start);
      if (end < 0) {
        end = s.length();
      }
      if (col >= columns) {
        throw new TrainerException("avazu line " + line + " has more than the header's " + columns + " columns");
      }
      cells[col++] = end > start ? s.substring(start, end) : null;
      if (end == s.length()) {
        break;
      }
      start = end + 1;
    }
    if (col != columns) {
      throw new TrainerException("avazu line " + line + " has " + col + " columns, header has " + columns);
    }
    if (clickCol >= 0) {
      String c = cells[clickCol];
      if (!"0".equals(c) && !"1".equals(c)) {
        throw new TrainerException("avazu line " + line + " click must be 0 or 1, found \"" + c + "\"");
      }
      out.label = c.charAt(0) - '0';
    }
    parseHour(cells[hourCol], out);
    for (int i = 3; i < fieldCol.length; i++) {
      out.category[i] = cells[fieldCol[i]];
    }
  }

  private void parseHour(String h, RawRecord out) {
    if (h == null || h.length() != 8) {
      throw new TrainerException("avazu line " + line + " hour must be YYMMDDHH, found \"" + h + "\"");
    }
    try {
      int yy = Integer.parseInt(h, 0, 2, 10);
      int mm = Integer.parseInt(h, 2, 4, 10);
      int dd = Integer.parseInt(h, 4, 6, 10);
      int hh = Integer.parseInt(h, 6, 8, 10);
      LocalDateTime t = LocalDateTime.of(2000 + yy, mm, dd, hh, 0);
      DayOfWeek dow = t.getDayOfWeek();
      out.category[0] = Integer.toString(hh);
      out.category[1] = Integer.toString(dow.getValue());
      out.category[2] = dow == DayOfWeek.SATURDAY || dow == DayOfWeek.SUNDAY ? "1" : "0";
      out.timestampMs = t.toInstant(ZoneOffset.UTC).toEpochMilli();
    } catch (RuntimeException e) {
      throw new TrainerException("avazu line " + line + " hour must be YYMMDDHH, found \"" + h + "\"", e);
    }
  }

}
