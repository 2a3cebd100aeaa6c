package io.ctrstreams.onnx.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A protocol buffers wire-format encoder for the few field kinds ONNX messages use: varint
 * (int32, int64, enum), length-delimited (string, bytes, embedded message, packed repeated) and
 * fixed32 (float). One writer builds one message; an embedded message is built in its own writer
 * and added with {@link #message}. Fields are written in the order they are added (the format
 * allows any order). Not thread-safe.
 */
public final class ProtoWriter {
  private static final int VARINT = 0;
  private static final int LENGTH_DELIMITED = 2;
  private static final int FIXED32 = 5;

  private byte[] buf;
  private int size;

  public ProtoWriter() {
    this(64);
  }

  public ProtoWriter(int initialCapacity) {
    buf = new byte[Math.max(16, initialCapacity)];
  }

  /** Bytes written so far. */
  public int size() {
    return size;
  }

  /** A copy of the encoded message. */
  public byte[] toByteArray() {
    return Arrays.copyOf(buf, size);
  }

  /** An int64 / int32 / enum field (negative values take ten bytes, as the format says). */
  public ProtoWriter int64(int field, long v) {
    tag(field, VARINT);
    varint(v);
    return this;
  }

  /** A float field. */
  public ProtoWriter float32(int field, float v) {
    tag(field, FIXED32);
    int bits = Float.floatToRawIntBits(v);
    ensure(4);
    buf[size++] = (byte) bits;
    buf[size++] = (byte) (bits >>> 8);
    buf[size++] = (byte) (bits >>> 16);
    buf[size++] = (byte) (bits >>> 24);
    return this;
  }

  /** A string field (UTF-8). */
  public ProtoWriter string(int field, String s) {
    return bytes(field, s.getBytes(StandardCharsets.UTF_8));
  }

  /** A bytes field. */
  public ProtoWriter bytes(int field, byte[] b) {
    tag(field, LENGTH_DELIMITED);
    varint(b.length);
    ensure(b.length);
    System.arraycopy(b, 0, buf, size, b.length);
    size += b.length;
    return this;
  }

  /** An embedded message field. */
  public ProtoWriter message(int field, ProtoWriter m) {
    tag(field, LENGTH_DELIMITED);
    varint(m.size);
    ensure(m.size);
    System.arraycopy(m.buf, 0, buf, size, m.size);
    size += m.size;
    return this;
  }

  /**
   * A repeated int64 field, one tag per element: the unpacked form proto2 files such as onnx.proto
   * declare (parsers accept it everywhere).
   */
  public ProtoWriter repeatedInt64(int field, long[] v) {
    for (long x : v) {
      int64(field, x);
    }
    return this;
  }

  /** A bytes field holding {@code v} as little-endian IEEE 754 floats (ONNX {@code raw_data}). */
  public ProtoWriter rawFloats(int field, float[] v) {
    long len = 4L * v.length;
    if (len > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("a protobuf field holds at most 2 GiB, found " + len + " bytes");
    }
    tag(field, LENGTH_DELIMITED);
    varint(len);
    ensure((int) len);
    for (float f : v) {
      int bits = Float.floatToRawIntBits(f);
      buf[size] = (byte) bits;
      buf[size + 1] = (byte) (bits >>> 8);
      buf[size + 2] = (byte) (bits >>> 16);
      buf[size + 3] = (byte) (bits >>> 24);
      size += 4;
    }
    return this;
  }

  /** A bytes field holding {@code v} as little-endian int64s (ONNX {@code raw_data}). */
  public ProtoWriter rawLongs(int field, long[] v) {
    tag(field, LENGTH_DELIMITED);
    varint(8L * v.length);
    ensure(8 * v.length);
    for (long x : v) {
      for (int i = 0; i < 8; i++) {
        buf[size++] = (byte) (x >>> (8 * i));
      }
    }
    return this;
  }

  private void tag(int field, int wireType) {
    varint(((long) field << 3) | wireType);
  }

  private void varint(long v) {
    ensure(10);
    while ((v & ~0x7FL) != 0) {
      buf[size++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[size++] = (byte) v;
  }

  private void ensure(int more) {
    long need = (long) size + more;
    if (need > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("a protobuf message holds at most 2 GiB, needed " + need + " bytes");
    }
    if (need > buf.length) {
      long cap = Math.max(need, Math.min(Integer.MAX_VALUE - 16L, 2L * buf.length));
      buf = Arrays.copyOf(buf, (int) cap);
    }
  }
}
