package io.ctrstreams.serving;

import io.ctrstreams.model.delta.TensorDelta;
import io.ctrstreams.model.delta.ValueEncoding;
import io.ctrstreams.schemas.TensorDeltaRecord;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * The wire form of one tensor's delta under a quantized {@link ValueEncoding} ({@code INT8 ..
 * INT2}): {@code count} groups (rows of an embedding table, or aligned blocks of {@link
 * ValueEncoding#BLOCK} elements), their indices as varint gaps or as a bitmap over {@code [0, last
 * group]} (whichever is smaller: a fifth of a table's rows cost a bit each instead of a byte), and a
 * values field holding a varint unit (the row width, 0 for blocks), for blocks the varint length
 * of the last one, a varint index form (0 gaps, 1 bitmap), then per group a bfloat16 scale (2
 * bytes, little-endian) and its {@code b}-bit two's-complement integers packed from the lowest
 * bit, padded to a byte.
 *
 * <p>The encoder recovers each group's integers from the float values {@link
 * ValueEncoding#quantize} produced: the scale is {@code max|v| / L} (exact, since the largest
 * integer is {@code L}) and every value must be an integer multiple of it within {@code [-L,
 * L]}; anything else was not quantized by the chain and is refused. The decoder computes {@code q
 * * s} in float, exactly what the producer added.
 */
final class QuantizedGroups {
  private QuantizedGroups() {}

  static TensorDeltaRecord encode(TensorDelta t, ValueEncoding enc) {
    int[] idx = t.indices();
    float[] v = t.values();
    if (idx.length == 0 || v.length % idx.length != 0) {
      throw new ServingException("delta of tensor " + t.tensor() + ": " + v.length + " values for " + idx.length
          + " indices");
    }
    int unit = v.length / idx.length;
    int block = ValueEncoding.BLOCK;
    // the groups: rows, or runs of whole aligned blocks (the last may be short)
    int groups;
    int[] groupIndex;
    int[] groupStart;
    int lastLength = 0;
    if (unit > 1) {
      groups = idx.length;
      groupIndex = idx;
      groupStart = null;
    } else {
      groupIndex = new int[(idx.length + block - 1) / block + 1];
      groupStart = new int[groupIndex.length];
      groups = 0;
      int j = 0;
      while (j < idx.length) {
        int b = idx[j] / block;
        int len = 0;
        while (j + len < idx.length && idx[j + len] == b * block + len && len < block) {
          len++;
        }
        if (len == 0 || (len < block && j + len < idx.length) || idx[j] % block != 0) {
          throw new ServingException("delta of tensor " + t.tensor() + " is not in whole blocks of " + block
              + " elements at index " + idx[j] + ": not made by a quantized chain");
        }
        if (groups == groupIndex.length) {
          groupIndex = java.util.Arrays.copyOf(groupIndex, groups * 2);
          groupStart = java.util.Arrays.copyOf(groupStart, groups * 2);
        }
        groupIndex[groups] = b;
        groupStart[groups++] = j;
        lastLength = len;
        j += len;
      }
      groupIndex = java.util.Arrays.copyOf(groupIndex, groups);
    }
    // the groups' indices as varint gaps, or as a bitmap over [0, last group] when that is smaller
    byte[] gaps = DeltaRecords.varintGaps(groupIndex);
    long bitmapBytes = ((long) groupIndex[groups - 1] + 8) / 8;
    boolean bitmap = bitmapBytes < gaps.length;
    byte[] indexBytes = gaps;
    if (bitmap) {
      indexBytes = new byte[(int) bitmapBytes];
      for (int g = 0; g < groups; g++) {
        indexBytes[groupIndex[g] >>> 3] |= (byte) (1 << (groupIndex[g] & 7));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 + v.length * enc.bits() / 8 + groups * 3);
    varint(out, unit > 1 ? unit : 0);
    if (unit == 1) {
      varint(out, lastLength);
    }
    varint(out, bitmap ? 1 : 0);
    int levels = enc.levels();
    int bits = enc.bits();
    for (int g = 0; g < groups; g++) {
      int from = unit > 1 ? g * unit : groupStart[g];
      int len = unit > 1 ? unit : (g == groups - 1 ? lastLength : block);
      float m = 0;
      for (int i = 0; i < len; i++) {
        m = Math.max(m, Math.abs(v[from + i]));
      }
      float s = m / levels;
      if (m > 0 && (ValueEncoding.bfloat16(s) != s || m != levels * s)) {
        throw new ServingException("delta of tensor " + t.tensor() + ": group " + groupIndex[g] + " has no bfloat16 scale"
            + " (largest magnitude " + m + "): not quantized to " + enc);
      }
      int sb = Float.floatToRawIntBits(s) >>> 16;
      out.write(sb & 0xff);
      out.write(sb >>> 8);
      long acc = 0;
      int filled = 0;
      for (int i = 0; i < len; i++) {
        int q = 0;
        if (m > 0) {
          float x = v[from + i] / s;
          q = (int) x;
          if (q != x || Math.abs(q) > levels || q * s != v[from + i]) {
            throw new ServingException("delta of tensor " + t.tensor() + ": value " + v[from + i] + " is not an integer"
                + " multiple of its group's scale " + s + " within " + levels + ": not quantized to " + enc);
          }
        }
        acc |= (long) (q & ((1 << bits) - 1)) << filled;
        filled += bits;
        while (filled >= 8) {
          out.write((int) (acc & 0xff));
          acc >>>= 8;
          filled -= 8;
        }
      }
      if (filled > 0) {
        out.write((int) (acc & 0xff));
      }
    }
    return TensorDeltaRecord.newBuilder().setTensor(t.tensor()).setCount(groups)
        .setIndices(ByteBuffer.wrap(indexBytes)).setValues(ByteBuffer.wrap(out.toByteArray())).build();
  }

  static TensorDelta decode(TensorDeltaRecord r, ValueEncoding enc) {
    String tensor = r.getTensor();
    int groups = r.getCount();
    ByteBuffer in = r.getValues().duplicate();
    int unit = varint(in, tensor, "unit");
    int block = ValueEncoding.BLOCK;
    int lastLength = unit == 0 ? varint(in, tensor, "last block length") : 0;
    int indexForm = varint(in, tensor, "index form");
    int[] groupIndex;
    if (indexForm == 0) {
      groupIndex = DeltaRecords.indices(r.getIndices(), groups, tensor);
    } else if (indexForm == 1) {
      groupIndex = bitmap(r.getIndices(), groups, tensor);
    } else {
      throw new ServingException("delta of tensor " + tensor + ": unknown index form " + indexForm);
    }
    if (unit == 0 && groups > 0 && (lastLength < 1 || lastLength > block)) {
      throw new ServingException("delta of tensor " + tensor + ": last block of " + lastLength + " elements");
    }
    int bits = enc.bits();
    long values = 0;
    long needed = 0; // checked before anything is allocated: a corrupt count or unit cannot ask for memory
    for (int g = 0; g < groups; g++) {
      long len = unit > 0 ? unit : (g == groups - 1 ? lastLength : block);
      values += len;
      needed += 2 + (len * bits + 7) / 8;
    }
    if (values > Integer.MAX_VALUE || needed != in.remaining()) {
      throw new ServingException("delta of tensor " + tensor + ": " + groups + " groups of " + (unit > 0 ? unit : block)
          + " " + enc + " values need " + needed + " bytes, found " + in.remaining());
    }
    float[] v = new float[(int) values];
    int[] idx = new int[unit > 0 ? groups : (int) values];
    int o = 0;
    for (int g = 0; g < groups; g++) {
      int len = unit > 0 ? unit : (g == groups - 1 ? lastLength : block);
      if (unit > 0) {
        idx[g] = groupIndex[g];
      } else {
        long first = (long) groupIndex[g] * block;
        if (first + len - 1 > Integer.MAX_VALUE) {
          throw new ServingException("delta of tensor " + tensor + ": block " + groupIndex[g] + " out of range");
        }
        for (int i = 0; i < len; i++) {
          idx[o + i] = (int) first + i;
        }
      }
      if (in.remaining() < 2 + (len * bits + 7) / 8) {
        throw new ServingException("delta of tensor " + tensor + ": group " + g + " of " + groups + " is truncated");
      }
      int lo = in.get() & 0xff;
      int hi = in.get() & 0xff;
      float s = Float.intBitsToFloat((hi << 24) | (lo << 16));
      if (!Float.isFinite(s) || s < 0) {
        throw new ServingException("delta of tensor " + tensor + ": group " + g + " has scale " + s);
      }
      long acc = 0;
      int filled = 0;
      for (int i = 0; i < len; i++) {
        while (filled < bits) {
          acc |= (long) (in.get() & 0xff) << filled;
          filled += 8;
        }
        int q = (int) (acc & ((1 << bits) - 1));
        acc >>>= bits;
        filled -= bits;
        q = (q << (32 - bits)) >> (32 - bits); // sign-extend
        if (Math.abs(q) > enc.levels()) {
          throw new ServingException("delta of tensor " + tensor + ": integer " + q + " outside +-" + enc.levels());
        }
        v[o + i] = q * s;
      }
      o += len;
    }
    if (in.hasRemaining()) {
      throw new ServingException("delta of tensor " + tensor + ": " + in.remaining() + " bytes after " + groups + " groups");
    }
    return new TensorDelta(tensor, idx, v);
  }

  /** The set bits of a bitmap, ascending; there must be {@code count} and the last byte must hold one. */
  private static int[] bitmap(ByteBuffer b, int count, String tensor) {
    ByteBuffer in = b.duplicate();
    int n = in.remaining();
    if (count < 0 || count > 8L * n || (n > 0 && in.get(in.position() + n - 1) == 0)) {
      throw new ServingException("delta of tensor " + tensor + ": a bitmap of " + n + " bytes cannot hold " + count
          + " groups");
    }
    int[] idx = new int[count];
    int k = 0;
    for (int i = 0; i < n; i++) {
      int x = in.get() & 0xff;
      while (x != 0) {
        if (k == count) {
          throw new ServingException("delta of tensor " + tensor + ": its bitmap holds more than " + count + " groups");
        }
        int bit = Integer.numberOfTrailingZeros(x);
        idx[k++] = i * 8 + bit;
        x &= x - 1;
      }
    }
    if (k != count) {
      throw new ServingException("delta of tensor " + tensor + ": its bitmap holds " + k + " groups, not " + count);
    }
    return idx;
  }

  private static void varint(ByteArrayOutputStream out, int v) {
    while ((v & ~0x7f) != 0) {
      out.write((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.write(v);
  }

  private static int varint(ByteBuffer in, String tensor, String what) {
    int v = 0;
    for (int shift = 0; shift <= 28; shift += 7) {
      if (!in.hasRemaining()) {
        break;
      }
      byte x = in.get();
      v |= (x & 0x7f) << shift;
      if (x >= 0) {
        if (v < 0) {
          break;
        }
        return v;
      }
    }
    throw new ServingException("delta of tensor " + tensor + ": the " + what + " is not a varint");
  }
}
