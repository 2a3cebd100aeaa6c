package io.ctrstreams.topology.internal;

import io.ctrstreams.model.FeatureEncoder;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.schemas.ImpressionVisitor;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Encodes an impression for one model straight from the record bytes ({@code
 * ImpressionCodec#visit}): the same rules as {@link FeatureEncoder#encode(Map, FieldSpec.Role,
 * FeatureVector)} on the decoded maps (role fields only, absent fields as missing, the last of
 * duplicate keys wins, unknown keys ignored, numbers for categorical fields by their decimal
 * string), without building the maps or a String per value: ASCII values are hashed from the
 * bytes through a reused {@link CharSequence} view. Property-tested against the map path. The
 * first encoding failure is kept in {@link #failure()} (the record may still fail validation,
 * which takes precedence). One per model version and stream thread; not thread-safe.
 */
final class FeatureVisitor implements ImpressionVisitor {
  private final FeatureEncoder encoder;
  private final Map<String, Integer> ordinals = new HashMap<>();
  private final boolean[] context;
  private final boolean[] numeric;
  private final FeatureVector missing;
  private final AsciiView view = new AsciiView();
  /**
   * Ordinal lookups by entry position: records of one stream repeat their keys in the same order,
   * and the decoder hands out shared key instances, so the name seen at entry k of the previous
   * map is checked by identity before the hash lookup (-1: not a field).
   */
  private final String[] contextNames = new String[64];
  private final int[] contextOrdinals = new int[64];
  private final String[] candidateNames = new String[64];
  private final int[] candidateOrdinals = new int[64];
  private int contextEntry;
  private int candidateEntry;
  final FeatureVector contextVector;
  final FeatureVector[] candidates;
  final String[] adIds;
  private RuntimeException failure;

  FeatureVisitor(FeatureEncoder encoder, int maxCandidates) {
    this.encoder = encoder;
    ModelSpec spec = encoder.spec();
    int n = spec.fieldCount();
    context = new boolean[n];
    numeric = new boolean[n];
    missing = encoder.newFeatureVector();
    for (int i = 0; i < n; i++) {
      FieldSpec f = spec.field(i);
      ordinals.put(f.name(), i);
      context[i] = f.role() == FieldSpec.Role.CONTEXT;
      numeric[i] = f.type() == FieldSpec.Type.NUMERIC;
      encoder.encodeMissing(i, missing);
    }
    contextVector = encoder.newFeatureVector();
    candidates = new FeatureVector[maxCandidates];
    adIds = new String[maxCandidates];
  }

  /** Starts a record: every context field missing until seen. */
  void reset() {
    contextVector.copyFrom(missing);
    failure = null;
    contextEntry = 0;
  }

  /** The ordinal of {@code name} (-1: unknown), remembered for entry {@code k} of a map. */
  private int ordinal(String name, int k, String[] names, int[] cached) {
    if (k < names.length && names[k] == name) {
      return cached[k];
    }
    Integer o = ordinals.get(name);
    int ord = o == null ? -1 : o;
    if (k < names.length) {
      names[k] = name;
      cached[k] = ord;
    }
    return ord;
  }

  /** The first encoding failure of the record, or null. */
  RuntimeException failure() {
    return failure;
  }

  @Override
  public void contextString(String name, byte[] utf8, int off, int len) {
    int o = ordinal(name, contextEntry++, contextNames, contextOrdinals);
    if (o >= 0 && context[o]) {
      encodeString(o, utf8, off, len, contextVector);
    }
  }

  @Override
  public void contextNumber(String name, double value) {
    int o = ordinal(name, contextEntry++, contextNames, contextOrdinals);
    if (o >= 0 && context[o]) {
      encodeNumber(o, value, contextVector);
    }
  }

  @Override
  public void candidate(int index, String adId) {
    FeatureVector v = candidates[index];
    if (v == null) {
      v = encoder.newFeatureVector();
      candidates[index] = v;
    }
    v.copyFrom(missing);
    adIds[index] = adId;
    candidateEntry = 0;
  }

  @Override
  public void candidateString(int index, String name, byte[] utf8, int off, int len) {
    int o = ordinal(name, candidateEntry++, candidateNames, candidateOrdinals);
    if (o >= 0 && !context[o]) {
      encodeString(o, utf8, off, len, candidates[index]);
    }
  }

  @Override
  public void candidateNumber(int index, String name, double value) {
    int o = ordinal(name, candidateEntry++, candidateNames, candidateOrdinals);
    if (o >= 0 && !context[o]) {
      encodeNumber(o, value, candidates[index]);
    }
  }

  private void encodeString(int ordinal, byte[] b, int off, int len, FeatureVector out) {
    try {
      if (encoder.encodeAscii(ordinal, b, off, len, out)) {
        return; // hashed categorical, ASCII: one pass over the bytes
      }
      CharSequence s = view.of(b, off, len) ? view : new String(b, off, len, StandardCharsets.UTF_8);
      encoder.encodeField(ordinal, s, out);
    } catch (RuntimeException e) {
      if (failure == null) {
        failure = e;
      }
    }
  }

  private void encodeNumber(int ordinal, double x, FeatureVector out) {
    try {
      if (numeric[ordinal]) {
        encoder.encodeField(ordinal, x, out);
      } else {
        encoder.encodeObject(ordinal, x, out); // the decimal string, as for a decoded Double
      }
    } catch (RuntimeException e) {
      if (failure == null) {
        failure = e;
      }
    }
  }

  /** A reused view of ASCII bytes as chars (each byte one char, as UTF-8 decoding gives). */
  private static final class AsciiView implements CharSequence {
    private byte[] b;
    private int off;
    private int len;

    /** Points at {@code [off, off + len)}; false (view unchanged) when a byte is not ASCII. */
    boolean of(byte[] bytes, int offset, int length) {
      for (int i = 0; i < length; i++) {
        if (bytes[offset + i] < 0) {
          return false;
        }
      }
      this.b = bytes;
      this.off = offset;
      this.len = length;
      return true;
    }

    @Override
    public int length() {
      return len;
    }

    @Override
    public char charAt(int index) {
      if (index < 0 || index >= len) {
        throw new IndexOutOfBoundsException("index " + index + " of " + len);
      }
      return (char) b[off + index];
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return toString().substring(start, end);
    }

    @Override
    public String toString() {
      return new String(b, off, len, StandardCharsets.ISO_8859_1);
    }
  }
}
