package io.ctrstreams.serving;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.PriorityQueue;

/**
 * A static canonical Huffman code (Huffman 1952; canonical form as in DEFLATE, RFC 1951 section
 * 3.2.2) for the small integers of one quantized tensor delta: at most 15 symbols (the {@code 2L +
 * 1} integers of a 4-bit or narrower encoding), code lengths 1..15 (a Huffman code over 15
 * symbols is at most 14 deep), 0 for a symbol that does not occur. Their distribution peaks at 0,
 * so about 2.6 bits carry a 3-bit integer. Bits travel in the quantized groups' stream order
 * (from the lowest bit of each byte), a code word's first bit first.
 */
final class IntegerCode {
  /** Most symbols a code covers: the integers of INT4, -7 .. 7. */
  static final int MAX_SYMBOLS = 15;

  private final int[] lengths;
  private final int[] words;
  // decoding: per length the first canonical word and where its symbols start in {@code sorted}
  private final int[] count = new int[16];
  private final int[] first = new int[16];
  private final int[] offset = new int[16];
  private final int[] sorted;

  private IntegerCode(int[] lengths) {
    this.lengths = lengths;
    this.words = new int[lengths.length];
    int n = 0;
    for (int l : lengths) {
      count[l]++;
      if (l > 0) {
        n++;
      }
    }
    count[0] = 0;
    sorted = new int[n];
    int code = 0;
    int at = 0;
    for (int l = 1; l < 16; l++) {
      first[l] = code;
      offset[l] = at;
      at += count[l];
      code = (code + count[l]) << 1;
    }
    int[] next = offset.clone();
    int[] nextWord = first.clone();
    for (int s = 0; s < lengths.length; s++) {
      int l = lengths[s];
      if (l > 0) {
        sorted[next[l]++] = s;
        words[s] = nextWord[l]++;
      }
    }
  }

  /** The Huffman code of {@code counts} (some positive); a lone symbol gets length 1. */
  static IntegerCode of(long[] counts) {
    int n = counts.length;
    int[] lengths = new int[n];
    // nodes: leaves 0..n-1, inner nodes after; parent links give the depths
    int[] parent = new int[2 * n];
    PriorityQueue<long[]> q = new PriorityQueue<>((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0])
        : Long.compare(a[1], b[1]));
    for (int s = 0; s < n; s++) {
      if (counts[s] > 0) {
        q.add(new long[] {counts[s], s});
      }
    }
    if (q.size() == 1) {
      lengths[(int) q.poll()[1]] = 1;
      return new IntegerCode(lengths);
    }
    int next = n;
    while (q.size() > 1) {
      long[] a = q.poll();
      long[] b = q.poll();
      parent[(int) a[1]] = next;
      parent[(int) b[1]] = next;
      q.add(new long[] {a[0] + b[0], next++});
    }
    int root = next - 1;
    for (int s = 0; s < n; s++) {
      if (counts[s] > 0) {
        int d = 0;
        for (int v = s; v != root; v = parent[v]) {
          d++;
        }
        lengths[s] = d;
      }
    }
    return new IntegerCode(lengths);
  }

  /**
   * The code of lengths read from a record (4 bits each): refused unless every length is in
   * 0..15, some is positive, and the code is not over-subscribed (Kraft sum at most 1).
   */
  static IntegerCode ofLengths(int[] lengths, String tensor) {
    long kraft = 0;
    boolean any = false;
    for (int l : lengths) {
      if (l < 0 || l > 15) {
        throw new ServingException("delta of tensor " + tensor + ": code length " + l);
      }
      if (l > 0) {
        any = true;
        kraft += 1L << (15 - l);
      }
    }
    if (!any || kraft > 1L << 15) {
      throw new ServingException("delta of tensor " + tensor + ": integer code lengths are not a prefix code");
    }
    return new IntegerCode(lengths);
  }

  /** Code length of symbol {@code s} (0: it does not occur). */
  int length(int s) {
    return lengths[s];
  }

  /** Bits of the code words for {@code counts}. */
  long bits(long[] counts) {
    long b = 0;
    for (int s = 0; s < counts.length; s++) {
      b += counts[s] * lengths[s];
    }
    return b;
  }

  /** Writes symbol {@code s}'s code word to {@code w}, first bit first. */
  void write(Bits.Writer w, int s) {
    int l = lengths[s];
    for (int i = l - 1; i >= 0; i--) {
      w.write((words[s] >>> i) & 1, 1);
    }
  }

  /** Reads one code word from {@code r}. */
  int read(Bits.Reader r, String tensor) {
    int code = 0;
    for (int l = 1; l < 16; l++) {
      code = (code << 1) | r.read(1);
      int i = code - first[l];
      if (i >= 0 && i < count[l]) {
        return sorted[offset[l] + i];
      }
    }
    throw new ServingException("delta of tensor " + tensor + ": no integer has this code");
  }

  /** Bit streams packed from the lowest bit of each byte. */
  static final class Bits {
    private Bits() {}

    /** Appends bits to a byte stream. */
    static final class Writer {
      private final ByteArrayOutputStream out;
      private long acc;
      private int filled;

      Writer(ByteArrayOutputStream out) {
        this.out = out;
      }

      void write(int value, int n) {
        acc |= (long) (value & ((1 << n) - 1)) << filled;
        filled += n;
        while (filled >= 8) {
          out.write((int) (acc & 0xff));
          acc >>>= 8;
          filled -= 8;
        }
      }

      /** Pads the last byte with zeros. */
      void flush() {
        if (filled > 0) {
          out.write((int) (acc & 0xff));
          acc = 0;
          filled = 0;
        }
      }
    }

    /** Reads bits from a buffer; running past its end is a {@link ServingException}. */
    static final class Reader {
      private final ByteBuffer in;
      private final String tensor;
      private long acc;
      private int filled;

      Reader(ByteBuffer in, String tensor) {
        this.in = in;
        this.tensor = tensor;
      }

      int read(int n) {
        while (filled < n) {
          if (!in.hasRemaining()) {
            throw new ServingException("delta of tensor " + tensor + ": its bit stream ends early");
          }
          acc |= (long) (in.get() & 0xff) << filled;
          filled += 8;
        }
        int v = (int) (acc & ((1 << n) - 1));
        acc >>>= n;
        filled -= n;
        return v;
      }

      /** Bits read into the last byte but not used (padding). */
      int pending() {
        return filled;
      }
    }
  }
}
