package io.ctrstreams.schemas;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.SchemaNormalization;

/**
 * A direct decoder of Avro single-object {@link Impression} records written with the current
 * Impression schema: reads the binary body straight into the generated objects, without Avro's
 * resolving decoder (its grammar parser and per-string class-cache lookups were 65% of a
 * pass-through topology's stream-thread time in a JFR profile of the load test; BENCHMARKS.md
 * section 4). Records with any other fingerprint (older writer schemas, foreign headers) are not
 * handled here: {@link #decode} returns null and the caller uses Avro's decoder.
 *
 * <p>Same results as Avro's {@code BinaryMessageDecoder} for every input (property-tested on
 * valid records, Avro's blocking encoder, truncations and bit flips): equal objects when Avro
 * decodes, a {@link CodecException} ({@code BAD_AVRO}) when Avro fails. Like Avro, bytes after
 * the datum are ignored and strings are decoded as UTF-8 with replacement of malformed input.
 * Every length and count is checked against the bytes left before anything is allocated.
 * Thread-safe (no state).
 */
final class ImpressionBinary {
  private static final long FINGERPRINT = SchemaNormalization.parsingFingerprint64(Impression.getClassSchema());
  /** Longest feature name kept in {@link #KEYS}. */
  private static final int MAX_KEY = 32;
  /**
   * Feature names seen recently, by hash slot: a model has a few dozen fields and every record
   * repeats them, so a hit saves the String, its array copy and its hash (cached in the shared
   * instance). Racy on purpose: a String is immutable (final fields), so a thread either sees a
   * complete instance or null / another name and makes its own.
   */
  private static final Key[] KEYS = new Key[1024];
  /**
   * The name last seen as the i-th map key of a record: records of one stream share their shape,
   * so the next record's i-th key is almost always the same name, and a byte comparison finds it
   * without hashing. Written only on a miss; racy as {@link #KEYS}.
   */
  private static final Key[] BY_POSITION = new Key[512];

  /** A shared feature name and its (ASCII) bytes. */
  private static final class Key {
    final String name;
    final byte[] ascii;

    Key(String name, byte[] ascii) {
      this.name = name;
      this.ascii = ascii;
    }
  }

  private ImpressionBinary() {}

  /**
   * The decoded record, or null when {@code bytes} is not single-object encoded with the current
   * Impression schema's fingerprint.
   *
   * @throws CodecException ({@code BAD_AVRO}) when the header matches but the body is corrupt or
   *     truncated
   */
  static Impression decode(byte[] bytes) {
    Builder b = new Builder();
    Facts f = visit(bytes, Integer.MAX_VALUE, b);
    return f == null ? null : new Impression(f.eventId, f.timestampMs, b.context, b.candidates);
  }

  /** Builds the generated objects from {@link #visit}'s calls (what Avro's decoder returns). */
  private static final class Builder implements ImpressionVisitor {
    final Map<String, Object> context = new HashMap<>();
    final List<Candidate> candidates = new ArrayList<>();

    @Override
    public void contextString(String name, byte[] utf8, int off, int len) {
      context.put(name, new String(utf8, off, len, StandardCharsets.UTF_8));
    }

    @Override
    public void contextNumber(String name, double value) {
      context.put(name, value);
    }

    @Override
    public void candidate(int index, String adId) {
      candidates.add(new Candidate(adId, new HashMap<>()));
    }

    @Override
    public void candidateString(int index, String name, byte[] utf8, int off, int len) {
      candidates.get(index).getFeatures().put(name, new String(utf8, off, len, StandardCharsets.UTF_8));
    }

    @Override
    public void candidateNumber(int index, String name, double value) {
      candidates.get(index).getFeatures().put(name, value);
    }
  }

  /** What {@link #visit} learned about a record for validation, in {@code validate} order. */
  static final class Facts {
    String eventId;
    long timestampMs;
    int candidates;
    /** First non-finite context value: its key and value (null key: none). */
    String badContextKey;
    double badContextValue;
    /** First candidate that fails a check (-1: none); its key when the failure is a value. */
    int badCandidate = -1;
    /** Length of the longest ad id and its candidate. */
    int longestAdId;
    int longestAdIdCandidate = -1;
    String badCandidateKey;
    double badCandidateValue;
  }

  /**
   * Walks a record of the current schema, calling {@code v} for each part (candidates beyond
   * {@code maxCandidates} are parsed but not reported); null when the header is not the current
   * Impression schema's. Structural failures throw exactly where {@link #decode} throws.
   */
  static Facts visit(byte[] bytes, int maxCandidates, ImpressionVisitor v) {
    if (!AvroBinary.hasHeader(bytes) || AvroBinary.fingerprint(bytes) != FINGERPRINT) {
      return null;
    }
    Reader r = new Reader(bytes, AvroBinary.HEADER_BYTES);
    Facts f = new Facts();
    try {
      f.eventId = r.string();
      f.timestampMs = r.varLong();
      r.visitFeatures(v, -1, f);
      int n = r.blockCount(2);
      int i = 0;
      while (n != 0) {
        for (int k = 0; k < n; k++, i++) {
          String adId = r.string();
          boolean report = i < maxCandidates;
          if (report) {
            v.candidate(i, adId);
          }
          if (adId.isEmpty() && f.badCandidate < 0) {
            f.badCandidate = i;
          }
          if (adId.length() > f.longestAdId) {
            f.longestAdId = adId.length();
            f.longestAdIdCandidate = i;
          }
          r.visitFeatures(report ? v : null, i, f);
        }
        n = r.blockCount(2);
      }
      f.candidates = i;
      if (r.pos != bytes.length) {
        throw new Corrupt((bytes.length - r.pos) + " trailing bytes after the record", r.pos);
      }
      return f;
    } catch (Corrupt e) {
      throw new CodecException(DecodeFailure.BAD_AVRO,
          "Impression record body is corrupt or truncated (" + bytes.length + " bytes): " + e.getMessage(), e);
    }
  }

  /** A malformed body; carries the position. */
  private static final class Corrupt extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Corrupt(String message, int pos) {
      super(message + " at byte " + pos, null, false, false);
    }
  }

  /** A cursor over the body. */
  private static final class Reader {
    private final byte[] b;
    private int pos;
    private int lastLength;
    private int keyIndex; // map keys read so far in this record

    Reader(byte[] b, int pos) {
      this.b = b;
      this.pos = pos;
    }

    long varLong() {
      long raw = rawVarint(63, "invalid long encoding");
      return (raw >>> 1) ^ -(raw & 1);
    }

    int varInt() {
      int raw = (int) rawVarint(28, "invalid int encoding"); // the low 32 bits, as int arithmetic keeps
      return (raw >>> 1) ^ -(raw & 1);
    }

    /** The 7-bit groups of a varint (before zig-zag); {@code invalid} when it runs past {@code maxShift}. */
    private long rawVarint(int maxShift, String invalid) {
      long raw = 0;
      int shift = 0;
      while (true) {
        if (pos >= b.length) {
          throw new Corrupt("unexpected end of data in a varint", pos);
        }
        int x = b[pos++] & 0xff;
        raw |= (long) (x & 0x7f) << shift;
        if ((x & 0x80) == 0) {
          return raw;
        }
        shift += 7;
        if (shift > maxShift) {
          throw new Corrupt(invalid, pos);
        }
      }
    }

    String string() {
      int off = utf8Bytes();
      return new String(b, off, lastLength, StandardCharsets.UTF_8);
    }

    /** As {@link #stringBytes}, and the bytes must be well-formed UTF-8. */
    int utf8Bytes() {
      int off = stringBytes();
      int bad = Utf8.firstMalformed(b, off, lastLength);
      if (bad >= 0) {
        throw new Corrupt("malformed UTF-8 in a string", bad);
      }
      return off;
    }

    /** Skips a string; returns the offset of its UTF-8 bytes, their count in {@link #lastLength}. */
    int stringBytes() {
      long len = varLong();
      if (len < 0) {
        throw new Corrupt("negative string length " + len, pos);
      }
      if (len > b.length - pos) {
        throw new Corrupt("string length " + len + " exceeds the " + (b.length - pos) + " bytes left", pos);
      }
      int off = pos;
      lastLength = (int) len;
      pos += lastLength;
      return off;
    }

    /**
     * A map key: as {@link #string}, shared through {@link #BY_POSITION} and {@link #KEYS} when
     * short and ASCII.
     */
    String key() {
      int start = pos;
      long len = varLong();
      if (len < 0 || len > MAX_KEY || len > b.length - pos) {
        pos = start;
        return string();
      }
      int n = (int) len;
      int index = keyIndex++;
      if (index < BY_POSITION.length) {
        Key k = BY_POSITION[index];
        if (k != null && k.ascii.length == n && sameBytes(k.ascii, b, pos, n)) {
          pos += n;
          return k.name;
        }
      }
      int h = 0;
      for (int i = 0; i < n; i++) {
        int c = b[pos + i];
        if (c < 0) {
          pos = start;
          return string(); // not ASCII
        }
        h = 31 * h + c; // = String.hashCode for ASCII
      }
      int slot = (h ^ (h >>> 16)) & (KEYS.length - 1);
      Key k = KEYS[slot];
      if (k == null || k.ascii.length != n || !Arrays.equals(k.ascii, 0, n, b, pos, pos + n)) {
        String name = new String(b, pos, n, StandardCharsets.ISO_8859_1); // ASCII: the same String as UTF-8
        name.hashCode(); // cache the hash in the shared instance
        k = new Key(name, Arrays.copyOfRange(b, pos, pos + n));
        KEYS[slot] = k;
      }
      if (index < BY_POSITION.length) {
        BY_POSITION[index] = k;
      }
      pos += n;
      return k.name;
    }

    /**
     * {@code a[0, n) == b[off, off + n)}, a plain loop: feature names are a few bytes, where
     * {@code Arrays.equals}' range checks and mismatch set-up cost more than the comparison.
     */
    private static boolean sameBytes(byte[] a, byte[] b, int off, int n) {
      for (int i = 0; i < n; i++) {
        if (a[i] != b[off + i]) {
          return false;
        }
      }
      return true;
    }

    double float64() {
      if (b.length - pos < 8) {
        throw new Corrupt("unexpected end of data in a double", pos);
      }
      long bits = 0;
      for (int i = 7; i >= 0; i--) {
        bits = (bits << 8) | (b[pos + i] & 0xffL);
      }
      pos += 8;
      return Double.longBitsToDouble(bits);
    }

    /**
     * The item count of the next block (0 ends the collection); a negative count is followed by
     * the block's byte size, which is skipped. Every item takes at least {@code minItemBytes}, so
     * a count the remaining bytes cannot hold is rejected before any allocation.
     */
    int blockCount(int minItemBytes) {
      long n = varLong();
      if (n < 0) {
        if (n == Long.MIN_VALUE) {
          throw new Corrupt("invalid block count " + n, pos);
        }
        n = -n;
        long size = varLong();
        if (size < 0) {
          throw new Corrupt("negative block size " + size, pos);
        }
      }
      if (n > (long) (b.length - pos) / minItemBytes) {
        throw new Corrupt("block of " + n + " items exceeds the " + (b.length - pos) + " bytes left", pos);
      }
      return (int) n;
    }

    /**
     * map<union{string, double}> to {@code v} (context when {@code cand < 0}; null: parse only),
     * recording the first non-finite value in {@code f}.
     */
    void visitFeatures(ImpressionVisitor v, int cand, Facts f) {
      int n = blockCount(2);
      while (n != 0) {
        for (int i = 0; i < n; i++) {
          String key = key();
          int branch = varInt();
          if (branch == 0) {
            int off = utf8Bytes();
            if (v != null) {
              if (cand < 0) {
                v.contextString(key, b, off, lastLength);
              } else {
                v.candidateString(cand, key, b, off, lastLength);
              }
            }
          } else if (branch == 1) {
            double x = float64();
            if (Double.isNaN(x) || Double.isInfinite(x)) {
              if (cand < 0 && f.badContextKey == null) {
                f.badContextKey = key;
                f.badContextValue = x;
              } else if (cand >= 0 && f.badCandidate < 0) {
                f.badCandidate = cand;
                f.badCandidateKey = key;
                f.badCandidateValue = x;
              }
            }
            if (v != null) {
              if (cand < 0) {
                v.contextNumber(key, x);
              } else {
                v.candidateNumber(cand, key, x);
              }
            }
          } else {
            throw new Corrupt("union branch " + branch + " out of range [0, 1]", pos);
          }
        }
        n = blockCount(2);
      }
    }
  }
}
