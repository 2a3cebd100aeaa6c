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
 * The wire size is the {@value #OVERHEAD}-byte header and checksum plus what {@link
 * ExchangeWorker#encode} reports: 4 bytes per unit plus its values ({@link TopKCompressor#compress})
 * and, with {@link ShiftScope#TOUCHED_ROWS}, the masks. Version 1 (no masks) is written when
 * {@code touched} is null, so workers with the paper's shift exchange the same bytes as before.
 *
 * @param values dense {@code D_i} (length = dimension)
 * @param touched the sender's mask {@code m_i} per global unit of the layout ({@link
 *     ExchangeWorker#touched()}), or null ({@link ShiftScope#ALL})
 */
public record ExchangeMessage(int epoch, long round, int slot, int workers, long weightsHash, ValueEncoding encoding,
    float[] values, boolean[] touched) {
  private static final int MAGIC = 0x43545258; // "CTRX"
  private static final short VERSION = 1;
  private static final short VERSION_MASKS = 2;
  private static final int HEADER = 4 + 2 + 4 + 8 + 4 + 4 + 8 + 1 + 4 + 4;
  /** Header and checksum bytes of every message. */
  public static final int OVERHEAD = 4 + 2 + 4 + 8 + 4 + 4 + 8 + 1 + 4 + 4 + 4;

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
    for (ParamLayout.Segment seg : layout.segments()) {
      for (int u = 0; u < seg.units(); u++) {
        if (anyNonZero(seg.offset() + u * seg.unit(), seg.unit())) {
          count++;
          nv += seg.unit();
        }
      }
    }
    int vb = encoding.bytesPerValue();
    long masks = touched == null ? 0 : RowMasks.size(layout, touched);
    ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(HEADER + 4L * count + nv * vb + masks + 4));
    b.putInt(MAGIC).putShort(touched == null ? VERSION : VERSION_MASKS).putInt(epoch).putLong(round).putInt(slot)
        .putInt(workers).putLong(weightsHash)
        .put((byte) (encoding == ValueEncoding.FP16 ? 1 : 0)).putInt(values.length).putInt(count);
    List<ParamLayout.Segment> segs = layout.segments();
    for (int t = 0; t < segs.size(); t++) {
      ParamLayout.Segment seg = segs.get(t);
      for (int u = 0; u < seg.units(); u++) {
        if (anyNonZero(seg.offset() + u * seg.unit(), seg.unit())) {
          b.putInt(layout.globalUnit(t, u));
        }
      }
    }
    for (ParamLayout.Segment seg : segs) {
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
    if (v != VERSION && v != VERSION_MASKS) {
      throw new TrainerException("exchange message version " + v + " is not supported (this reader: " + VERSION
          + " and " + VERSION_MASKS + ")");
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
    if (count < 0 || count > layout.units() || HEADER + 4L * count + 4 > bytes.length) {
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
      nv += layout.segments().get(layout.segmentOfUnit(unit)).unit();
    }
    long end = HEADER + 4L * count + nv * encoding.bytesPerValue();
    if (v == VERSION ? end + 4 != bytes.length : end + 4 > bytes.length) {
      throw new TrainerException("exchange message claims " + count + " units (" + nv + " values) in " + bytes.length
          + " bytes");
    }
    boolean[] masks = null;
    if (v == VERSION_MASKS) {
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
    if (into == null) {
      return new ExchangeMessage(epoch, round, slot, workers, hash, encoding, null, null);
    }
    java.util.Arrays.fill(into, 0f);
    for (int k = 0; k < count; k++) {
      int unit = b.getInt(unitsAt + 4 * k);
      int t = layout.segmentOfUnit(unit);
      ParamLayout.Segment seg = layout.segments().get(t);
      int o = seg.offset() + (unit - layout.firstUnit(t)) * seg.unit();
      for (int c = 0; c < seg.unit(); c++) {
        into[o + c] = encoding == ValueEncoding.FP16 ? ValueEncoding.halfToFloat(b.getShort()) : b.getFloat();
      }
    }
    return new ExchangeMessage(epoch, round, slot, workers, hash, encoding, into, masks);
  }
}
