package io.ctrstreams.model;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Turns raw events (field name -> String or Number) into {@link FeatureVector}s for one model:
 * its spec and vocabularies. Immutable and thread-safe; the {@code encodeField} methods allocate
 * nothing for categorical values (vocabulary lookup hashes the chars directly).
 *
 * <p>Rules per field type:
 *
 * <ul>
 *   <li>CATEGORICAL: a vocabulary hit gives its position; anything else (unknown, missing, empty)
 *       goes to {@code vocabularySize + floorMod(FeatureHash.hash64(v), oovBuckets)}, where missing
 *       and empty both hash as {@code ""}. A {@link Number} is used via its decimal string
 *       ({@code 1005}, not {@code 1005.0}, for integral values).
 *   <li>NUMERIC LOG_BUCKET (FuxiCTR / Criteo winners): {@code x > 2 -> floor(ln(x)^2)}, else
 *       {@code (int) x}; negative and missing -> 0; clipped to the last bucket.
 *   <li>NUMERIC SCALED: the value itself; missing -> 0.
 *   <li>Numeric NaN counts as missing (NaN is how columnar sources spell "absent"); infinities are
 *       rejected with a {@link CtrModelException} naming the field, since they would poison the
 *       logit. Strings are parsed as decimal numbers; an unparsable string is rejected. Typed
 *       events ({@link #encodeTyped}: what arrives as JSON or Avro) give numeric fields no
 *       strings at all: a string there is a {@link FeatureTypeException}.
 * </ul>
 *
 * <p>Keys of the raw map that are not fields (labels, ids) are ignored.
 */
public final class FeatureEncoder {
  /** The longest prefix of a rejected string value that an error message quotes. */
  public static final int MAX_QUOTED_CHARS = 64;

  private final ModelSpec spec;
  private final VocabIndex[] vocab;

  /**
   * An encoder for {@code spec}; {@code vocabularies} maps field name to its id-ordered values and
   * must hold exactly {@code vocabularySize} distinct values for every categorical field with a
   * vocabulary.
   */
  public FeatureEncoder(ModelSpec spec, Map<String, List<String>> vocabularies) {
    this.spec = spec;
    this.vocab = new VocabIndex[spec.fieldCount()];
    Map<String, List<String>> vocabs = vocabularies == null ? Map.of() : vocabularies;
    for (String f : vocabs.keySet()) {
      if (!spec.hasField(f)) {
        throw new CtrModelException("vocabulary given for unknown field " + f);
      }
    }
    for (int i = 0; i < spec.fieldCount(); i++) {
      FieldSpec f = spec.field(i);
      List<String> v = vocabs.get(f.name());
      int expected = f.type() == FieldSpec.Type.CATEGORICAL ? f.vocabularySize() : 0;
      int found = v == null ? 0 : v.size();
      if (expected != found) {
        throw new CtrModelException("vocabulary of field " + f.name() + " must have " + expected
            + " values, found " + found);
      }
      if (expected > 0) {
        vocab[i] = new VocabIndex(f.name(), v);
      }
    }
  }

  /** The spec this encoder serves. */
  public ModelSpec spec() {
    return spec;
  }

  /** The ordinal of the named field. @throws CtrModelException if there is none */
  public int fieldOrdinal(String field) {
    return spec.fieldOrdinal(field);
  }

  /** A new feature vector sized for this encoder's spec. */
  public FeatureVector newFeatureVector() {
    return spec.newFeatureVector();
  }

  /** Encodes every field of {@code raw} (absent fields as missing) into {@code out}. */
  public FeatureVector encode(Map<String, ?> raw, FeatureVector out) {
    return encode(raw, null, out);
  }

  /**
   * Encodes the fields with the given role ({@code null} = all) of {@code raw} into {@code out};
   * the other entries of {@code out} are left untouched.
   */
  public FeatureVector encode(Map<String, ?> raw, FieldSpec.Role role, FeatureVector out) {
    return encode(raw, role, out, false);
  }

  /**
   * Encodes the fields with the given role ({@code null} = all) of a typed event into {@code
   * out}, as {@link #encode(Map, FieldSpec.Role, FeatureVector)} does except that a numeric field
   * takes only a {@link Number} (or missing): events on the wire (JSON, Avro) carry numbers as
   * numbers, so a string there ({@code "NaN"}, {@code "3"}, {@code ""}) is rejected, never parsed.
   * Raw sources whose columns are all text (TSV) use the lenient {@code encode}.
   *
   * @throws FeatureTypeException for a string in a numeric field (the first such field in spec order)
   */
  public FeatureVector encodeTyped(Map<String, ?> raw, FieldSpec.Role role, FeatureVector out) {
    return encode(raw, role, out, true);
  }

  private FeatureVector encode(Map<String, ?> raw, FieldSpec.Role role, FeatureVector out, boolean typed) {
    checkSize(out);
    if (raw == null) {
      throw new CtrModelException("raw event must not be null");
    }
    for (int i = 0; i < spec.fieldCount(); i++) {
      FieldSpec f = spec.field(i);
      if (role != null && f.role() != role) {
        continue;
      }
      Object v = raw.get(f.name());
      if (typed && v instanceof CharSequence) {
        encodeTypedString(i, (CharSequence) v, out);
      } else {
        encodeObject(i, v, out);
      }
    }
    return out;
  }

  /**
   * Encodes a string value of a typed event ({@link #encodeTyped}): categorical fields take it as
   * {@link #encodeField(int, CharSequence, FeatureVector)} does; numeric fields reject it.
   *
   * @throws FeatureTypeException when field {@code ordinal} is numeric
   */
  public void encodeTypedString(int ordinal, CharSequence value, FeatureVector out) {
    FieldSpec f = field(ordinal);
    if (f.type() == FieldSpec.Type.NUMERIC && value != null) {
      throw new FeatureTypeException(f.name(), "value of numeric field " + f.name()
          + " must be a number, found the string " + quote(value));
    }
    encodeField(ordinal, value, out);
  }

  /** {@code value} in quotes, cut to {@link #MAX_QUOTED_CHARS} (a message must stay small). */
  private static String quote(CharSequence value) {
    if (value.length() <= MAX_QUOTED_CHARS) {
      return "\"" + value + "\"";
    }
    return "\"" + value.subSequence(0, MAX_QUOTED_CHARS) + "\"... (" + value.length() + " characters)";
  }

  /** Encodes one raw value (String, other CharSequence, Number or null = missing). */
  public void encodeObject(int ordinal, Object rawValue, FeatureVector out) {
    FieldSpec f = field(ordinal);
    if (rawValue == null) {
      encodeMissing(ordinal, out);
    } else if (rawValue instanceof CharSequence) {
      encodeField(ordinal, (CharSequence) rawValue, out);
    } else if (rawValue instanceof Number) {
      Number n = (Number) rawValue;
      if (f.type() == FieldSpec.Type.NUMERIC || n instanceof Double) {
        encodeNumber(ordinal, n.doubleValue(), out);
      } else {
        encodeField(ordinal, numberToString(n), out);
      }
    } else {
      throw new CtrModelException("value of field " + f.name() + " must be a String or a Number, found "
          + rawValue.getClass().getName() + " " + rawValue);
    }
  }

  /**
   * Encodes a raw number (what a decoder gives for a double value): numeric fields take it,
   * categorical fields its decimal string ({@code 1005}, not {@code 1005.0}, for integral values),
   * exactly as {@link #encodeObject} does for a {@link Double}.
   */
  public void encodeNumber(int ordinal, double x, FeatureVector out) {
    if (field(ordinal).type() == FieldSpec.Type.NUMERIC) {
      encodeField(ordinal, x, out);
    } else {
      encodeField(ordinal, isWhole(x) ? Long.toString((long) x) : Double.toString(x), out);
    }
  }

  /** Encodes a string value; numeric fields parse it (empty = missing). */
  public void encodeField(int ordinal, CharSequence rawValue, FeatureVector out) {
    FieldSpec f = field(ordinal);
    checkSize(out);
    if (rawValue == null) {
      encodeMissing(ordinal, out);
      return;
    }
    if (f.type() == FieldSpec.Type.CATEGORICAL) {
      out.set(ordinal, categoryRow(ordinal, f, rawValue), 1f);
      return;
    }
    if (rawValue.length() == 0) {
      encodeMissing(ordinal, out);
      return;
    }
    double x;
    try {
      x = Double.parseDouble(rawValue.toString().trim());
    } catch (NumberFormatException e) {
      throw new CtrModelException("value of numeric field " + f.name() + " must be a number, found \""
          + rawValue + "\"", e);
    }
    encodeField(ordinal, x, out);
  }

  /**
   * Encodes a categorical value given as ASCII bytes {@code [off, off + len)} of {@code bytes}
   * when the field maps values by hash alone (no vocabulary): one pass hashes the bytes and checks
   * that they are ASCII, with the row {@link #encodeField(int, CharSequence, FeatureVector)} gives
   * for the same characters (FNV-1a over UTF-8, which for ASCII is the bytes). Returns false,
   * leaving {@code out} untouched, when the field is numeric, has a vocabulary or a byte is not
   * ASCII; the caller then encodes the decoded value. For decoders that hash straight from record
   * bytes.
   */
  public boolean encodeAscii(int ordinal, byte[] bytes, int off, int len, FeatureVector out) {
    FieldSpec f = field(ordinal);
    if (f.type() != FieldSpec.Type.CATEGORICAL || vocab[ordinal] != null) {
      return false;
    }
    checkSize(out);
    long h = FeatureHash.FNV_OFFSET;
    int all = 0;
    for (int i = off, end = off + len; i < end; i++) {
      int c = bytes[i];
      all |= c;
      h = (h ^ c) * FeatureHash.FNV_PRIME; // c >= 0 when ASCII; a negative byte fails below
    }
    if (all < 0) {
      return false;
    }
    out.set(ordinal, f.vocabularySize() + (int) Math.floorMod(FeatureHash.fmix64(h), (long) f.oovBuckets()), 1f);
    return true;
  }

  /** Encodes a numeric value (NaN = missing, infinities rejected). */
  public void encodeField(int ordinal, double x, FeatureVector out) {
    FieldSpec f = field(ordinal);
    checkSize(out);
    if (f.type() != FieldSpec.Type.NUMERIC) {
      throw new CtrModelException("field " + f.name() + " is categorical; pass its value as a string, found number "
          + x);
    }
    if (Double.isNaN(x)) {
      encodeMissing(ordinal, out);
      return;
    }
    if (Double.isInfinite(x)) {
      throw new CtrModelException("value of numeric field " + f.name() + " must be finite, found " + x);
    }
    if (f.transform() == FieldSpec.Transform.SCALED) {
      out.set(ordinal, 0, (float) x);
    } else {
      out.set(ordinal, logBucket(x, f.rows()), 1f);
    }
  }

  /** Encodes a missing value. */
  public void encodeMissing(int ordinal, FeatureVector out) {
    FieldSpec f = field(ordinal);
    checkSize(out);
    if (f.type() == FieldSpec.Type.CATEGORICAL) {
      out.set(ordinal, f.vocabularySize() + FeatureHash.bucket("", f.oovBuckets()), 1f);
    } else if (f.transform() == FieldSpec.Transform.SCALED) {
      out.set(ordinal, 0, 0f);
    } else {
      out.set(ordinal, 0, 1f);
    }
  }

  /**
   * The LOG_BUCKET transform: {@code x > 2 -> floor(ln(x)^2)}, else {@code (int) x}; negative
   * (and NaN) -> 0; clipped into {@code [0, buckets)}.
   */
  public static int logBucket(double x, int buckets) {
    double b;
    if (!(x > 0)) {
      b = 0;
    } else if (x > 2) {
      double l = Math.log(x);
      b = Math.floor(l * l);
    } else {
      b = (int) x;
    }
    return (int) Math.min(b, buckets - 1);
  }

  /** The row of a categorical value in field {@code ordinal} (vocabulary id or OOV bucket). */
  public int categoryRow(int ordinal, CharSequence value) {
    return categoryRow(ordinal, field(ordinal), value);
  }

  private int categoryRow(int ordinal, FieldSpec f, CharSequence value) {
    long h = FeatureHash.hash64(value);
    VocabIndex v = vocab[ordinal];
    if (v != null) {
      int id = v.find(h, value);
      if (id >= 0) {
        return id;
      }
    }
    return f.vocabularySize() + (int) Math.floorMod(h, (long) f.oovBuckets());
  }

  private FieldSpec field(int ordinal) {
    if (ordinal < 0 || ordinal >= spec.fieldCount()) {
      throw new CtrModelException("field ordinal must be in [0, " + spec.fieldCount() + "), found " + ordinal);
    }
    return spec.field(ordinal);
  }

  private void checkSize(FeatureVector out) {
    if (out == null) {
      throw new CtrModelException("feature vector must not be null");
    }
    if (out.size() != spec.fieldCount()) {
      throw new CtrModelException("feature vector must have " + spec.fieldCount() + " fields for model "
          + spec.name() + ", found " + out.size());
    }
  }

  /**
   * True when {@code other} turns every raw event into the same feature vectors: the same fields
   * in the same order (name, type, role, transform, vocabulary size, OOV buckets) and the same
   * vocabularies. Then one encoding serves both models (the shadow model scores the live model's
   * vectors); embedding sizes and weights do not matter.
   */
  public boolean encodesLike(FeatureEncoder other) {
    if (other == this) {
      return true;
    }
    if (other.spec.fieldCount() != spec.fieldCount()) {
      return false;
    }
    for (int i = 0; i < spec.fieldCount(); i++) {
      FieldSpec a = spec.field(i);
      FieldSpec b = other.spec.field(i);
      if (!a.name().equals(b.name()) || a.type() != b.type() || a.role() != b.role() || a.transform() != b.transform()
          || a.vocabularySize() != b.vocabularySize() || a.oovBuckets() != b.oovBuckets()
          || !VocabIndex.same(vocab[i], other.vocab[i])) {
        return false;
      }
    }
    return true;
  }

  /** Categorical numbers other than Double (Long, Float, ...) by their own decimal string. */
  private static String numberToString(Number n) {
    if (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte) {
      return Long.toString(n.longValue());
    }
    double d = n.doubleValue();
    return isWhole(d) ? Long.toString((long) d) : n.toString();
  }

  private static boolean isWhole(double d) {
    return d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e15;
  }

  /** Open-addressing string -> id map keyed by {@link FeatureHash}, probed without allocation. */
  private static final class VocabIndex {
    private final long[] hashes;
    private final String[] keys;
    private final int[] ids;
    private final int mask;

    VocabIndex(String field, List<String> values) {
      int cap = Integer.highestOneBit(Math.max(2, values.size() * 2 - 1)) << 1;
      hashes = new long[cap];
      keys = new String[cap];
      ids = new int[cap];
      mask = cap - 1;
      for (int id = 0; id < values.size(); id++) {
        String s = values.get(id);
        if (s == null) {
          throw new CtrModelException("vocabulary of field " + field + " has a null value at id " + id);
        }
        long h = FeatureHash.hash64(s);
        int slot = (int) h & mask;
        while (keys[slot] != null) {
          if (hashes[slot] == h && keys[slot].equals(s)) {
            throw new CtrModelException("vocabulary of field " + field + " has duplicate value \"" + s
                + "\" at ids " + ids[slot] + " and " + id);
          }
          slot = (slot + 1) & mask;
        }
        hashes[slot] = h;
        keys[slot] = s;
        ids[slot] = id;
      }
    }

    /** Same values with the same ids (the table layout is a function of the id-ordered values). */
    static boolean same(VocabIndex a, VocabIndex b) {
      return a == b || (a != null && b != null && Arrays.equals(a.keys, b.keys) && Arrays.equals(a.ids, b.ids));
    }

    int find(long h, CharSequence s) {
      int slot = (int) h & mask;
      while (keys[slot] != null) {
        if (hashes[slot] == h && contentEquals(keys[slot], s)) {
          return ids[slot];
        }
        slot = (slot + 1) & mask;
      }
      return -1;
    }

    private static boolean contentEquals(String a, CharSequence b) {
      if (a.length() != b.length()) {
        return false;
      }
      for (int i = 0; i < a.length(); i++) {
        if (a.charAt(i) != b.charAt(i)) {
          return false;
        }
      }
      return true;
    }
  }
}
