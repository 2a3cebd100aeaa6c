package io.ctrstreams.trainer.exchange;

import io.ctrstreams.trainer.TrainerException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The touched-row masks {@code m_i} of {@link ShiftScope#TOUCHED_ROWS} on the wire (the tail of an
 * {@link ExchangeMessage} of version 2). A mask is one flag per global unit of the {@link
 * ParamLayout}; dense tensors (unit 1) are always touched and not written. Per embedding table
 * (unit &gt; 1), in layout order, whichever of two forms is smaller:
 *
 * <pre>
 *   varint (touchedRows &lt;&lt; 1 | form)
 *   form 0 (list):   touchedRows varints, the gaps between ascending row numbers
 *                    (first row, then row - previous row - 1)
 *   form 1 (bitmap): ceil(rows / 8) bytes, row r is bit (r mod 8) of byte r / 8, padding bits 0
 * </pre>
 *
 * The bitmap is chosen only when strictly smaller than the list. Varints are unsigned LEB128 (7
 * bits per byte, low group first), as the delta stream's index gaps.
 */
final class RowMasks {
  private RowMasks() {}

  /** Bytes of varint {@code v >= 0}. */
  static int varintSize(long v) {
    int n = 1;
    while ((v >>>= 7) != 0) {
      n++;
    }
    return n;
  }

  /**
   * Wire bytes of one table's mask with {@code touchedRows} of {@code rows} rows touched, whose
   * list form takes {@code listBytes} (the sum of the gaps' varint sizes).
   */
  static long tableBytes(int rows, int touchedRows, long listBytes) {
    long bitmap = (rows + 7L) / 8;
    return varintSize(((long) touchedRows << 1) | 1) + Math.min(bitmap, listBytes);
  }

  /** Wire bytes of all tables' masks of {@code touched} (one flag per global unit of {@code layout}). */
  static long size(ParamLayout layout, boolean[] touched) {
    long total = 0;
    List<ParamLayout.Segment> segs = layout.segments();
    for (int t = 0; t < segs.size(); t++) {
      ParamLayout.Segment s = segs.get(t);
      if (s.unit() == 1) {
        continue;
      }
      int first = layout.firstUnit(t);
      int count = 0;
      long list = 0;
      int previous = -1;
      for (int r = 0; r < s.units(); r++) {
        if (touched[first + r]) {
          count++;
          list += varintSize(r - previous - 1);
          previous = r;
        }
      }
      total += tableBytes(s.units(), count, list);
    }
    return total;
  }

  /** Writes the masks of every table of {@code layout} ({@link #size} bytes). */
  static void write(ByteBuffer b, ParamLayout layout, boolean[] touched) {
    if (touched.length != layout.units()) {
      throw new TrainerException("row mask has " + touched.length + " flags, the layout " + layout.units() + " units");
    }
    List<ParamLayout.Segment> segs = layout.segments();
    for (int t = 0; t < segs.size(); t++) {
      ParamLayout.Segment s = segs.get(t);
      if (s.unit() == 1) {
        continue;
      }
      int first = layout.firstUnit(t);
      int rows = s.units();
      int count = 0;
      long list = 0;
      int previous = -1;
      for (int r = 0; r < rows; r++) {
        if (touched[first + r]) {
          count++;
          list += varintSize(r - previous - 1);
          previous = r;
        }
      }
      boolean bitmap = (rows + 7L) / 8 < list;
      putVarint(b, ((long) count << 1) | (bitmap ? 1 : 0));
      if (bitmap) {
        for (int r0 = 0; r0 < rows; r0 += 8) {
          int x = 0;
          for (int c = 0; c < 8 && r0 + c < rows; c++) {
            if (touched[first + r0 + c]) {
              x |= 1 << c;
            }
          }
          b.put((byte) x);
        }
      } else {
        previous = -1;
        for (int r = 0; r < rows; r++) {
          if (touched[first + r]) {
            putVarint(b, r - previous - 1);
            previous = r;
          }
        }
      }
    }
  }

  /**
   * Reads the masks of every table of {@code layout} into {@code into} (dense units set touched),
   * or only checks them with {@code into == null}.
   *
   * @throws TrainerException naming the table and what is wrong (truncated, a row out of range, a
   *     bitmap whose count or padding disagrees)
   */
  static void read(ByteBuffer b, ParamLayout layout, boolean[] into) {
    if (into != null && into.length != layout.units()) {
      throw new TrainerException("row mask buffer has " + into.length + " flags, the layout " + layout.units() + " units");
    }
    List<ParamLayout.Segment> segs = layout.segments();
    for (int t = 0; t < segs.size(); t++) {
      ParamLayout.Segment s = segs.get(t);
      int first = layout.firstUnit(t);
      int rows = s.units();
      if (s.unit() == 1) {
        if (into != null) {
          java.util.Arrays.fill(into, first, first + rows, true);
        }
        continue;
      }
      long header = getVarint(b, s.name());
      long count = header >>> 1;
      if (count > rows) {
        throw new TrainerException("exchange message row mask of table " + s.name() + " claims " + count
            + " touched rows of " + rows);
      }
      if (into != null) {
        java.util.Arrays.fill(into, first, first + rows, false);
      }
      if ((header & 1) == 1) {
        int bytes = (rows + 7) / 8;
        if (b.remaining() < bytes) {
          throw new TrainerException("exchange message row mask of table " + s.name() + " is truncated (bitmap of "
              + bytes + " bytes, " + b.remaining() + " left)");
        }
        int seen = 0;
        for (int k = 0; k < bytes; k++) {
          int x = b.get() & 0xff;
          int valid = Math.min(8, rows - 8 * k);
          if (valid < 8 && (x >>> valid) != 0) {
            throw new TrainerException("exchange message row mask of table " + s.name() + " marks rows beyond its "
                + rows);
          }
          seen += Integer.bitCount(x);
          if (into != null) {
            for (int c = 0; c < valid; c++) {
              into[first + 8 * k + c] = (x & (1 << c)) != 0;
            }
          }
        }
        if (seen != count) {
          throw new TrainerException("exchange message row mask of table " + s.name() + " claims " + count
              + " touched rows, its bitmap marks " + seen);
        }
      } else {
        long row = -1;
        for (long k = 0; k < count; k++) {
          row += getVarint(b, s.name()) + 1;
          if (row >= rows) {
            throw new TrainerException("exchange message row mask of table " + s.name() + " marks row " + row
                + " outside [0, " + rows + ")");
          }
          if (into != null) {
            into[first + (int) row] = true;
          }
        }
      }
    }
  }

  private static void putVarint(ByteBuffer b, long v) {
    while ((v & ~0x7fL) != 0) {
      b.put((byte) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    b.put((byte) v);
  }

  private static long getVarint(ByteBuffer b, String table) {
    long v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      if (!b.hasRemaining()) {
        throw new TrainerException("exchange message row mask of table " + table + " is truncated (in a varint)");
      }
      int x = b.get() & 0xff;
      v |= (long) (x & 0x7f) << shift;
      if ((x & 0x80) == 0) {
        return v;
      }
    }
    throw new TrainerException("exchange message row mask of table " + table + " has a varint longer than 5 bytes");
  }
}
