package io.ctrstreams.trainer.exchange;

import io.ctrstreams.model.delta.ValueEncoding;
import io.ctrstreams.trainer.TrainerException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * One worker's message of one round on the exchange topic: {@code D_i} as (flat index, value)
 * pairs plus the sender's coordinates and the hash of the weights it computed its gradient at.
 *
 * <pre>
 *   int magic 'CTRX' | short version 1 | int epoch | long round | int slot | int workers
 *   | long weightsHash | byte encoding (0 fp32, 1 fp16) | int dimension | int count
 *   | int[count] index | value[count] (fp32: 4 bytes, fp16: 2 bytes) | int crc32c of all before
 * </pre>
 *
 * @param values dense {@code D_i} (length = dimension)
 */
public record ExchangeMessage(int epoch, long round, int slot, int workers, long weightsHash, ValueEncoding encoding,
    float[] values) {
  private static final int MAGIC = 0x43545258; // "CTRX"
  private static final short VERSION = 1;
  private static final int HEADER = 4 + 2 + 4 + 8 + 4 + 4 + 8 + 1 + 4 + 4;

  /** The record value. */
  public byte[] encode() {
    int count = 0;
    for (float v : values) {
      if (v != 0f) {
        count++;
      }
    }
    int vb = encoding.bytesPerValue();
    ByteBuffer b = ByteBuffer.allocate(HEADER + count * (4 + vb) + 4);
    b.putInt(MAGIC).putShort(VERSION).putInt(epoch).putLong(round).putInt(slot).putInt(workers).putLong(weightsHash)
        .put((byte) (encoding == ValueEncoding.FP16 ? 1 : 0)).putInt(values.length).putInt(count);
    for (int i = 0; i < values.length; i++) {
      if (values[i] != 0f) {
        b.putInt(i);
      }
    }
    for (float v : values) {
      if (v != 0f) {
        if (encoding == ValueEncoding.FP16) {
          b.putShort(ValueEncoding.floatToHalf(v));
        } else {
          b.putFloat(v);
        }
      }
    }
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, b.position());
    b.putInt((int) crc.getValue());
    return b.array();
  }

  /**
   * Decodes a record value, checking the checksum, the version and every size before
   * allocating; {@code dimension} is the receiver's.
   *
   * @throws TrainerException naming what is wrong
   */
  public static ExchangeMessage decode(byte[] bytes, int dimension) {
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
    if (v != VERSION) {
      throw new TrainerException("exchange message version " + v + " is not supported (this reader: " + VERSION + ")");
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
    int vb = encoding.bytesPerValue();
    if (count < 0 || count > d || (long) HEADER + (long) count * (4 + vb) + 4 != bytes.length) {
      throw new TrainerException("exchange message claims " + count + " values in " + bytes.length + " bytes");
    }
    float[] values = new float[d];
    int[] idx = new int[count];
    for (int k = 0; k < count; k++) {
      idx[k] = b.getInt();
      if (idx[k] < 0 || idx[k] >= d) {
        throw new TrainerException("exchange message index " + idx[k] + " is outside [0, " + d + ")");
      }
    }
    for (int k = 0; k < count; k++) {
      values[idx[k]] = encoding == ValueEncoding.FP16 ? ValueEncoding.halfToFloat(b.getShort()) : b.getFloat();
    }
    return new ExchangeMessage(epoch, round, slot, workers, hash, encoding, values);
  }
}
