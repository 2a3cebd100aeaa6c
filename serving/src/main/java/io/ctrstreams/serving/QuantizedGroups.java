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
 * of the last one, a varint form (bit 0: indices as a bitmap, else gaps; bit 1: log-coded
 * scales), then per group a bfloat16 scale (2 bytes, little-endian) and its {@code b}-bit
 * two's-complement integers packed from the lowest bit, padded to a byte; or, with log-coded
 * scales ({@link io.ctrstreams.model.delta.GroupScale#LOG4}), the tensor's bfloat16 maximum (2
 * bytes, little-endian) and then one bit stream, packed from the lowest bit and padded to a byte at
 * its end only, of per group a 4-bit code and its {@code b}-bit integers; with form bit 2 as well
 * (4 bits or fewer, chosen by the encoder when shorter) the stream starts with 4-bit code lengths
 * of the {@code 2L + 1} integers {@code -L .. L} and the integers travel as their canonical
 * Huffman code words ({@link IntegerCode}). A decoder that knows only forms 0 and 1 refuses the
 * others by name.
 *
 * <p>The encoder recovers each group's integers from the float values {@link
 * ValueEncoding#quantize} produced: the scale is {@code max|v| / L} (exact, since the largest
 * integer is {@code L}) and every value must be an integer multiple of it within {@code [-L,
 * L]}; anything else was not quantized by the chain and is refused. Log-coded scales travel in
 * the {@link TensorDelta#scales()} the chain attached, and every value must be an integer multiple
 * of its group's {@link ValueEncoding#codedScale}. The decoder computes {@code q * s} in float,
 * exactly what the producer added.
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
    TensorDelta.CodedScales coded = t.scales();
    if (coded != null) {
      ByteArrayOutputStream payload = new ByteArrayOutputStream(16 + v.length * enc.bits() / 8 + groups);
      boolean huffman = encodeCoded(t, enc, coded, groups, groupIndex, groupStart, unit, lastLength, payload);
      varint(out, (bitmap ? 1 : 0) | 2 | (huffman ? 4 : 0));
      out.write(payload.toByteArray(), 0, payload.size());
      return TensorDeltaRecord.newBuilder().setTensor(t.tensor()).setCount(groups)
          .setIndices(ByteBuffer.wrap(indexBytes)).setValues(ByteBuffer.wrap(out.toByteArray())).build();
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

  /**
   * The log-coded form's maximum and bit stream of codes and integers, each value checked; the
   * integers as fixed {@code b}-bit fields or, for 4 bits or fewer when that is shorter, as
   * Huffman code words after a table of code lengths (returns true then).
   */
  private static boolean encodeCoded(TensorDelta t, ValueEncoding enc, TensorDelta.CodedScales coded, int groups,
      int[] groupIndex, int[] groupStart, int unit, int lastLength, ByteArrayOutputStream out) {
    float max = coded.max();
    byte[] codes = coded.codes();
    if (codes.length != groups) {
      throw new ServingException("delta of tensor " + t.tensor() + ": " + codes.length + " scale codes for " + groups
          + " groups");
    }
    if (!(max >= 0 && max < Float.POSITIVE_INFINITY) || ValueEncoding.bfloat16(max) != max) {
      throw new ServingException("delta of tensor " + t.tensor() + ": scale maximum " + max + " is not a finite"
          + " non-negative bfloat16");
    }
    int levels = enc.levels();
    int bits = enc.bits();
    int block = ValueEncoding.BLOCK;
    float[] v = t.values();
    int[] qs = new int[v.length];
    long[] counts = new long[2 * levels + 1];
    int o = 0;
    for (int g = 0; g < groups; g++) {
      int k = codes[g];
      if (k < 0 || k >= ValueEncoding.LOG4_CODES) {
        throw new ServingException("delta of tensor " + t.tensor() + ": group " + groupIndex[g] + " has scale code " + k
            + ", outside [0, " + ValueEncoding.LOG4_CODES + ")");
      }
      float s = ValueEncoding.codedScale(max, k);
      int from = unit > 1 ? g * unit : groupStart[g];
      int len = unit > 1 ? unit : (g == groups - 1 ? lastLength : block);
      for (int i = 0; i < len; i++) {
        int q = s == 0 ? 0 : Math.round(v[from + i] / s);
        if (Math.abs(q) > levels || q * s != v[from + i]) {
          throw new ServingException("delta of tensor " + t.tensor() + ": value " + v[from + i] + " is not an integer"
              + " multiple of its group's coded scale " + s + " within " + levels + ": not quantized to " + enc);
        }
        qs[o++] = q;
        counts[q + levels]++;
      }
    }
    IntegerCode code = null;
    if (counts.length <= IntegerCode.MAX_SYMBOLS && o > 0) {
      IntegerCode h = IntegerCode.of(counts);
      if (4L * counts.length + h.bits(counts) < (long) o * bits) {
        code = h;
      }
    }
    int sb = Float.floatToRawIntBits(max) >>> 16;
    out.write(sb & 0xff);
    out.write(sb >>> 8);
    IntegerCode.Bits.Writer w = new IntegerCode.Bits.Writer(out);
    if (code != null) {
      for (int sym = 0; sym < counts.length; sym++) {
        w.write(code.length(sym), 4);
      }
    }
    o = 0;
    for (int g = 0; g < groups; g++) {
      w.write(codes[g], 4);
      int len = unit > 1 ? unit : (g == groups - 1 ? lastLength : block);
      for (int i = 0; i < len; i++) {
        int q = qs[o++];
        if (code != null) {
          code.write(w, q + levels);
        } else {
          w.write(q, bits);
        }
      }
    }
    w.flush();
    return code != null;
  }

  static TensorDelta decode(TensorDeltaRecord r, ValueEncoding enc) {
    String tensor = r.getTensor();
    int groups = r.getCount();
    ByteBuffer in = r.getValues().duplicate();
    int unit = varint(in, tensor, "unit");
    int block = ValueEncoding.BLOCK;
    int lastLength = unit == 0 ? varint(in, tensor, "last block length") : 0;
    int form = varint(in, tensor, "form");
    if ((form & ~7) != 0 || form >= 4 && (form & 2) == 0) {
      throw new ServingException("delta of tensor " + tensor + ": unknown form " + form
          + " (bit 0 bitmap indices, bit 1 log-coded scales, bit 2 Huffman-coded integers with bit 1; a newer producer?)");
    }
    boolean huffman = (form & 4) != 0;
    int[] groupIndex = (form & 1) == 0 ? DeltaRecords.indices(r.getIndices(), groups, tensor)
        : bitmap(r.getIndices(), groups, tensor);
    boolean coded = (form & 2) != 0;
    if (unit == 0 && groups > 0 && (lastLength < 1 || lastLength > block)) {
      throw new ServingException("delta of tensor " + tensor + ": last block of " + lastLength + " elements");
    }
    int bits = enc.bits();
    long values = 0;
    long needed = 0; // checked before anything is allocated: a corrupt count or unit cannot ask for memory
    for (int g = 0; g < groups; g++) {
      long len = unit > 0 ? unit : (g == groups - 1 ? lastLength : block);
      values += len;
      needed += coded ? 0 : 2 + (len * bits + 7) / 8;
    }
    if (coded) {
      needed = 2 + ((long) groups * 4 + values * bits + 7) / 8;
    }
    if (huffman) { // at least one bit per integer: an upper bound on what a corrupt count can allocate
      needed = 2 + ((long) (2 * enc.levels() + 1) * 4 + groups * 4L + values + 7) / 8;
      if (enc.bits() > 4 || values > Integer.MAX_VALUE || needed > in.remaining()) {
        throw new ServingException("delta of tensor " + tensor + ": " + groups + " Huffman-coded groups of "
            + (unit > 0 ? unit : block) + " " + enc + " values need at least " + needed + " bytes, found " + in.remaining());
      }
      needed = in.remaining();
    }
    if (values > Integer.MAX_VALUE || needed != in.remaining()) {
      throw new ServingException("delta of tensor " + tensor + ": " + groups + " groups of " + (unit > 0 ? unit : block)
          + " " + enc + " values need " + needed + " bytes, found " + in.remaining());
    }
    float[] v = new float[(int) values];
    int[] idx = new int[unit > 0 ? groups : (int) values];
    if (coded) {
      return decodeCoded(r, enc, in, groups, groupIndex, unit, lastLength, idx, v, huffman);
    }
    int o = 0;
    for (int g = 0; g < groups; g++) {
      int len = indexGroup(tensor, g, groups, unit, block, lastLength, groupIndex, idx, o);
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

  /** The log-coded form after its header, the sizes already checked against {@code in}. */
  private static TensorDelta decodeCoded(TensorDeltaRecord r, ValueEncoding enc, ByteBuffer in, int groups,
      int[] groupIndex, int unit, int lastLength, int[] idx, float[] v, boolean huffman) {
    String tensor = r.getTensor();
    int block = ValueEncoding.BLOCK;
    int bits = enc.bits();
    int levels = enc.levels();
    int lo = in.get() & 0xff;
    int hi = in.get() & 0xff;
    float max = Float.intBitsToFloat((hi << 24) | (lo << 16));
    if (!(max >= 0 && max < Float.POSITIVE_INFINITY)) {
      throw new ServingException("delta of tensor " + tensor + ": scale maximum " + max);
    }
    IntegerCode.Bits.Reader bitsIn = new IntegerCode.Bits.Reader(in, tensor);
    IntegerCode code = null;
    if (huffman) {
      int[] lengths = new int[2 * levels + 1];
      for (int sym = 0; sym < lengths.length; sym++) {
        lengths[sym] = bitsIn.read(4);
      }
      code = IntegerCode.ofLengths(lengths, tensor);
    }
    byte[] codes = new byte[groups];
    int o = 0;
    for (int g = 0; g < groups; g++) {
      int len = indexGroup(tensor, g, groups, unit, block, lastLength, groupIndex, idx, o);
      int k = bitsIn.read(4);
      codes[g] = (byte) k;
      float s = ValueEncoding.codedScale(max, k);
      for (int i = 0; i < len; i++) {
        int q;
        if (code != null) {
          q = code.read(bitsIn, tensor) - levels;
        } else {
          q = bitsIn.read(bits);
          q = (q << (32 - bits)) >> (32 - bits); // sign-extend
        }
        if (Math.abs(q) > levels) {
          throw new ServingException("delta of tensor " + tensor + ": integer " + q + " outside +-" + levels);
        }
        v[o + i] = q * s;
      }
      o += len;
    }
    if (in.hasRemaining() || bitsIn.pending() >= 8) {
      throw new ServingException("delta of tensor " + tensor + ": " + in.remaining() + " bytes after " + groups + " groups");
    }
    return new TensorDelta(tensor, idx, v, new TensorDelta.CodedScales(max, codes));
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

  /**
   * Writes group {@code g}'s indices into {@code idx} (its row for a table, its block's
   * {@code len} value positions from {@code o} otherwise) and returns its value count.
   */
  private static int indexGroup(String tensor, int g, int groups, int unit, int block, int lastLength, int[] groupIndex,
      int[] idx, int o) {
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
    return len;
  }
}
