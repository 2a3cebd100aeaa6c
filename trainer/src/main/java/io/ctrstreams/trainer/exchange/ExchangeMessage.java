package io.ctrstreams.trainer.exchange;

import io.ctrstreams.model.delta.ValueEncoding;
import io.ctrstreams.trainer.TrainerException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * One worker's message of one round on the exchange topic: {@code D_i} as the units it sends
 * (whole rows of embedding tables, elements of dense tensors: the {@link ParamLayout}'s units, as
 * {@link TopKCompressor} picks them) plus the sender's coordinates and the hash of the weights it
 * computed its gradient at. A unit is sent when any of its values is non-zero.
 *
 * <pre>
 *   int magic 'CTRX' | short version (1, or 2 with masks) | int epoch | long round | int slot
 *   | int workers | long weightsHash | byte encoding (0 fp32, 1 fp16) | int dimension | int count
 *   | int[count] global unit number, ascending | the units' values in that order
 *     (fp32: 4 bytes, fp16: 2 bytes each)
 *   | version 2 only: the sender's touched-row masks m_i, per table ({@link RowMasks})
 *   | int crc32c of all before
 * </pre>
 *
 * Version 3 sends the dense tensors (unit 1) whole in int8 ({@link TopKCompressor} with dense
 * encoding {@link ValueEncoding#INT8}): after {@code count} a {@code byte flags} (bit 0: row masks
 * follow, bit 1: int8 dense section), then per dense tensor in layout order, per aligned block of
 * {@link ValueEncoding#BLOCK} values, {@code short} bfloat16 scale {@code s} and one signed byte
 * {@code q} per value (the value is the float product {@code q * s}, as the sender computed it;
 * {@code |q| <= 127} and, when {@code s > 0}, {@code max|q| = 127}); the unit list and its values
 * then hold the tables' units only. The encoder recovers {@code q} and {@code s} exactly from the
 * quantized values ({@code 127 s} and {@code q s} are exact in float for a bfloat16 {@code s}) and
 * refuses values that are not int8 blocks.
 *
 * The wire size is the {@value #OVERHEAD}-byte header and checksum plus what {@link
 * ExchangeWorker#encode} reports: 4 bytes per unit plus its values ({@link TopKCompressor#compress})
 * and, with {@link ShiftScope#TOUCHED_ROWS}, the masks (version 3: one more byte, the flags).
 * Version 1 (no masks) is written when {@code touched} is null and the dense tensors travel as
 * units, so workers with the paper's shift exchange the same bytes as before.
 *
 * @param values dense {@code D_i} (length = dimension)
 * @param touched the sender's mask {@code m_i} per global unit of the layout ({@link
 *     ExchangeWorker#touched()}), or null ({@link ShiftScope#ALL})
 * @param denseInt8 whether the dense tensors travel whole as int8 blocks (version 3; {@code
 *     values} must then hold int8 blocks there, as {@link TopKCompressor} makes them)
 */
public record ExchangeMessage(int epoch, long round, int slot, int workers, long weightsHash, ValueEncoding encoding,
    float[] values, boolean[] touched, boolean denseInt8) {
  private static final int MAGIC = 0x43545258; // "CTRX"
  private static final short VERSION = 1;
  private static final short VERSION_MASKS = 2;
  private static final short VERSION_DENSE = 3;
  private static final int HEADER = 4 + 2 + 4 + 8 + 4 + 4 + 8 + 1 + 4 + 4;
  /** Header and checksum bytes of every message. */
  public static final int OVERHEAD = 4 + 2 + 4 + 8 + 4 + 4 + 8 + 1 + 4 + 4 + 4;

  /** A message whose dense tensors travel as units like the tables' (version 1 or 2). */
  public ExchangeMessage(int epoch, long round, int slot, int workers, long weightsHash, ValueEncoding encoding,
      float[] values, boolean[] touched) {
    this(epoch, round, slot, workers, weightsHash, encoding, values, touched, false);
  }

  /** A message without masks ({@link ShiftScope#ALL}). */
  public ExchangeMessage(int epoch, long round, int slot, int workers, long weightsHash, ValueEncoding encoding,
      float[] values) {
    this(epoch, round, slot, workers, weightsHash, encoding, values, null);
  }

  /** The record value, units by {@code layout} (the receivers' layout must be the same). */
  public byte[] encode(ParamLayout layout) {
    if (values.length != layout.size()) {
      throw new TrainerException("message has " + values.length + " values, the layout " + layout.size());
    }
    int count = 0;
    long nv = 0;
    long denseBytes = 0;
    for (ParamLayout.Segment seg : layout.segments()) {
      if (denseInt8 && seg.unit() == 1) {
        denseBytes += wholeInt8Bytes(seg.units());
        continue;
      }
      for (int u = 0; u < seg.units(); u++) {
        if (anyNonZero(seg.offset() + u * seg.unit(), seg.unit())) {
          count++;
          nv += seg.unit();
        }
      }
    }
    int vb = encoding.bytesPerValue();
    long masks = touched == null ? 0 : RowMasks.size(layout, touched);
    int flagBytes = denseInt8 ? 1 : 0;
    ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(HEADER + flagBytes + denseBytes + 4L * count + nv * vb + masks
        + 4));
    short version = denseInt8 ? VERSION_DENSE : touched == null ? VERSION : VERSION_MASKS;
    b.putInt(MAGIC).putShort(version).putInt(epoch).putLong(round).putInt(slot)
        .putInt(workers).putLong(weightsHash)
        .put((byte) (encoding == ValueEncoding.FP16 ? 1 : 0)).putInt(values.length).putInt(count);
    List<ParamLayout.Segment> segs = layout.segments();
    if (denseInt8) {
      b.put((byte) ((touched == null ? 0 : 1) | 2));
      for (ParamLayout.Segment seg : segs) {
        if (seg.unit() == 1) {
          putWholeInt8(b, seg);
        }
      }
    }
    for (int t = 0; t < segs.size(); t++) {
      ParamLayout.Segment seg = segs.get(t);
      if (denseInt8 && seg.unit() == 1) {
        continue;
      }
      for (int u = 0; u < seg.units(); u++) {
        if (anyNonZero(seg.offset() + u * seg.unit(), seg.unit())) {
          b.putInt(layout.globalUnit(t, u));
        }
      }
    }
    for (ParamLayout.Segment seg : segs) {
      if (denseInt8 && seg.unit() == 1) {
        continue;
      }
      for (int u = 0; u < seg.units(); u++) {
        int o = seg.offset() + u * seg.unit();
        if (anyNonZero(o, seg.unit())) {
          for (int c = 0; c < seg.unit(); c++) {
            if (encoding == ValueEncoding.FP16) {
              b.putShort(ValueEncoding.floatToHalf(values[o + c]));
            } else {
              b.putFloat(values[o + c]);
            }
          }
        }
      }
    }
    if (touched != null) {
      RowMasks.write(b, layout, touched);
    }
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, b.position());
    b.putInt((int) crc.getValue());
    return b.array();
  }

  /** Wire bytes of a dense tensor of {@code units} values whole in int8: a 2-byte scale per block and a byte per value. */
  static long wholeInt8Bytes(int units) {
    return units + 2L * ((units + ValueEncoding.BLOCK - 1) / ValueEncoding.BLOCK);
  }

  /** One dense tensor's int8 blocks: q and s recovered exactly from the quantized values, or refused. */
  private void putWholeInt8(ByteBuffer b, ParamLayout.Segment seg) {
    int levels = ValueEncoding.INT8.levels();
    for (int b0 = 0; b0 < seg.units(); b0 += ValueEncoding.BLOCK) {
      int n = Math.min(ValueEncoding.BLOCK, seg.units() - b0);
      int o = seg.offset() + b0;
      float m = 0;
      for (int i = 0; i < n; i++) {
        m = Math.max(m, Math.abs(values[o + i]));
      }
      float s = m / levels;
      if (s != ValueEncoding.bfloat16(s) || !Float.isFinite(s)) {
        throw new TrainerException("dense tensor " + seg.name() + " block at " + b0 + " is not an int8 block (scale "
            + s + " is not a bfloat16)");
      }
      b.putShort((short) (Float.floatToRawIntBits(s) >>> 16));
      for (int i = 0; i < n; i++) {
        float x = values[o + i];
        int q = s == 0 ? 0 : Math.round(x / s);
        if (q * s != x || Math.abs(q) > levels) {
          throw new TrainerException("dense tensor " + seg.name() + " value " + (b0 + i) + " (" + x
              + ") is not an int8 multiple of its block's scale " + s);
        }
        b.put((byte) q);
      }
    }
  }

  private boolean anyNonZero(int off, int n) {
    for (int c = 0; c < n; c++) {
      if (values[off + c] != 0f) {
        return true;
      }
    }
    return false;
  }

  /**
   * Decodes a record value, checking the checksum, the version and every size before
   * allocating; {@code layout} is the receiver's.
   *
   * @throws TrainerException naming what is wrong
   */
  public static ExchangeMessage decode(byte[] bytes, ParamLayout layout) {
    return decode(bytes, layout, new float[layout.size()], new boolean[layout.units()]);
  }

  /** As {@link #decode(byte[], ParamLayout, float[], boolean[])} with a fresh mask when the message has one. */
  public static ExchangeMessage decode(byte[] bytes, ParamLayout layout, float[] into) {
    return decode(bytes, layout, into, into == null ? null : new boolean[layout.units()]);
  }

  /**
   * As {@link #decode(byte[], ParamLayout)}, the values written into {@code into} (every value:
   * zero where no unit was sent), which becomes the message's {@link #values()}: a receiver
   * reuses one buffer per slot instead of allocating a dense vector per message and round. With
   * {@code into == null} only the header, the sizes and the masks are checked and {@link
   * #values()} and {@link #touched()} are null. A message with masks (version 2) writes them into
   * {@code masksInto} (one flag per global unit, dense units true), which becomes {@link
   * #touched()}; one without has {@code touched() == null}.
   *
   * @throws TrainerException naming what is wrong
   */
  public static ExchangeMessage decode(byte[] bytes, ParamLayout layout, float[] into, boolean[] masksInto) {
    int dimension = layout.size();
    if (into != null && into.length != dimension) {
      throw new TrainerException("decode buffer has " + into.length + " values, the layout " + dimension);
    }
    if (bytes == null || bytes.length < HEADER + 4) {
      throw new TrainerException("exchange message of " + (bytes == null ? 0 : bytes.length) + " bytes is too short");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    if ((int) crc.getValue() != b.getInt(bytes.length - 4)) {
      throw new TrainerException("exchange message checksum mismatch (corrupt record)");
    }
    if (b.getInt() != MAGIC) {
      throw new TrainerException("not an exchange message (bad magic)");
    }
    short v = b.getShort();
    if (v != VERSION && v != VERSION_MASKS && v != VERSION_DENSE) {
      throw new TrainerException("exchange message version " + v + " is not supported (this reader: " + VERSION
          + ", " + VERSION_MASKS + " and " + VERSION_DENSE + ")");
    }
    int epoch = b.getInt();
    long round = b.getLong();
    int slot = b.getInt();
    int workers = b.getInt();
    long hash = b.getLong();
    byte enc = b.get();
    if (enc != 0 && enc != 1) {
      throw new TrainerException("exchange message value encoding " + enc + " is unknown");
    }
    ValueEncoding encoding = enc == 1 ? ValueEncoding.FP16 : ValueEncoding.FP32;
    int d = b.getInt();
    if (d != dimension) {
      throw new TrainerException("exchange message has " + d + " values, this worker's model " + dimension);
    }
    int count = b.getInt();
    boolean dense = v == VERSION_DENSE;
    boolean hasMasks = v == VERSION_MASKS;
    long before = HEADER;
    int denseAt = 0;
    if (dense) {
      if (bytes.length < HEADER + 1 + 4) {
        throw new TrainerException("exchange message of " + bytes.length + " bytes is too short");
      }
      int flags = b.get();
      if ((flags & ~3) != 0 || (flags & 2) == 0) {
        throw new TrainerException("exchange message flags " + flags + " are unknown");
      }
      hasMasks = (flags & 1) != 0;
      denseAt = b.position();
      long denseBytes = 0;
      for (ParamLayout.Segment seg : layout.segments()) {
        if (seg.unit() == 1) {
          denseBytes += wholeInt8Bytes(seg.units());
        }
      }
      before = HEADER + 1 + denseBytes;
      if (before + 4 > bytes.length) {
        throw new TrainerException("exchange message's int8 dense section of " + denseBytes + " bytes does not fit in "
            + bytes.length + " bytes");
      }
      b.position((int) before);
    }
    if (count < 0 || count > layout.units() || before + 4L * count + 4 > bytes.length) {
      throw new TrainerException("exchange message claims " + count + " units in " + bytes.length + " bytes");
    }
    int unitsAt = b.position();
    long nv = 0;
    int previous = -1;
    for (int k = 0; k < count; k++) {
      int unit = b.getInt();
      if (unit < 0 || unit >= layout.units() || unit <= previous) {
        throw new TrainerException("exchange message unit " + unit + " is out of order or outside [0, "
            + layout.units() + ")");
      }
      previous = unit;
      int w = layout.segments().get(layout.segmentOfUnit(unit)).unit();
      if (dense && w == 1) {
        throw new TrainerException("exchange message lists unit " + unit + " of a dense tensor its int8 section carries");
      }
      nv += w;
    }
    long end = before + 4L * count + nv * encoding.bytesPerValue();
    if (!hasMasks ? end + 4 != bytes.length : end + 4 > bytes.length) {
      throw new TrainerException("exchange message claims " + count + " units (" + nv + " values) in " + bytes.length
          + " bytes");
    }
    boolean[] masks = null;
    if (hasMasks) {
      if (into != null && masksInto == null) {
        throw new TrainerException("exchange message carries row masks: decode needs a mask buffer");
      }
      masks = into == null ? null : masksInto;
      ByteBuffer tail = ByteBuffer.wrap(bytes, (int) end, bytes.length - 4 - (int) end);
      RowMasks.read(tail, layout, masks);
      if (tail.hasRemaining()) {
        throw new TrainerException("exchange message has " + tail.remaining() + " bytes after its row masks");
      }
    }
    if (dense) {
      readWholeInt8(bytes, denseAt, layout, into); // checks the blocks even without a buffer
    }
    if (into == null) {
      return new ExchangeMessage(epoch, round, slot, workers, hash, encoding, null, null, dense);
    }
    for (ParamLayout.Segment seg : layout.segments()) {
      if (!(dense && seg.unit() == 1)) {
        java.util.Arrays.fill(into, seg.offset(), seg.offset() + seg.length(), 0f);
      }
    }
    for (int k = 0; k < count; k++) {
      int unit = b.getInt(unitsAt + 4 * k);
      int t = layout.segmentOfUnit(unit);
      ParamLayout.Segment seg = layout.segments().get(t);
      int o = seg.offset() + (unit - layout.firstUnit(t)) * seg.unit();
      for (int c = 0; c < seg.unit(); c++) {
        into[o + c] = encoding == ValueEncoding.FP16 ? ValueEncoding.halfToFloat(b.getShort()) : b.getFloat();
      }
    }
    return new ExchangeMessage(epoch, round, slot, workers, hash, encoding, into, masks, dense);
  }

  /** The int8 dense section from {@code at}: each block's scale and integers checked, values {@code q * s} into {@code into}. */
  private static void readWholeInt8(byte[] bytes, int at, ParamLayout layout, float[] into) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    b.position(at);
    int levels = ValueEncoding.INT8.levels();
    for (ParamLayout.Segment seg : layout.segments()) {
      if (seg.unit() != 1) {
        continue;
      }
      for (int b0 = 0; b0 < seg.units(); b0 += ValueEncoding.BLOCK) {
        int n = Math.min(ValueEncoding.BLOCK, seg.units() - b0);
        float s = Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
        if (!(s >= 0) || !Float.isFinite(s * levels)) {
          throw new TrainerException("exchange message dense tensor " + seg.name() + " block at " + b0 + " has scale "
              + s);
        }
        int max = 0;
        for (int i = 0; i < n; i++) {
          int q = b.get();
          if (q < -levels) {
            throw new TrainerException("exchange message dense tensor " + seg.name() + " value " + (b0 + i)
                + " has integer " + q + " outside [-" + levels + ", " + levels + "]");
          }
          max = Math.max(max, Math.abs(q));
          if (into != null) {
            into[seg.offset() + b0 + i] = q * s;
          }
        }
        if (s > 0 ? max != levels : max != 0) {
          throw new TrainerException("exchange message dense tensor " + seg.name() + " block at " + b0 + " has largest"
              + " integer " + max + " with scale " + s + " (an int8 block has " + levels + ", or 0 with scale 0)");
        }
      }
    }
  }
}
