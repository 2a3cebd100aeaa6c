package io.ctrstreams.topology;

import io.ctrstreams.model.FeatureEncoder;
import io.ctrstreams.model.FeatureTypeException;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.CodecException;
import io.ctrstreams.schemas.DecodeFailure;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.ImpressionVisitor;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One impression's features encoded for one model, as the scoring topology encodes every record:
 * straight from the record bytes where the codec can read them so ({@link #visit}: Avro of the
 * current schema; no maps, no String per value, ASCII categorical values hashed from the bytes),
 * else from the decoded impression ({@link #encode}: JSON, older writer schemas). Every value goes
 * through {@link FeatureEncoder}, which holds the encoding rules, typed strictly ({@link
 * FeatureEncoder#encodeTyped}): a string in a numeric model field is invalid input, thrown as a
 * {@link CodecException} with reason {@link DecodeFailure#WRONG_TYPE} naming the feature and the
 * value, like the codec's own validation failures. The visit adds only what the maps
 * would have done (role fields only, absent fields as missing, the last of duplicate keys wins,
 * unknown keys ignored), property-tested to give the vectors {@link #encode} gives on the decoded
 * record. The vectors and ad ids are reused: one instance per model version and thread; not
 * thread-safe.
 */
public final class ImpressionFeatures {
  private final FeatureEncoder encoder;
  private final Map<String, Integer> ordinals = new HashMap<>();
  private final boolean[] isContext;
  private final FeatureVector missing;
  private final FeatureVector context;
  private final FeatureVector[] candidates;
  private final String[] adIds;
  private final Visitor visitor = new Visitor();

  /** Vectors for up to {@code maxCandidates} candidates of {@code encoder}'s model. */
  public ImpressionFeatures(FeatureEncoder encoder, int maxCandidates) {
    this.encoder = encoder;
    ModelSpec spec = encoder.spec();
    int n = spec.fieldCount();
    isContext = new boolean[n];
    missing = encoder.newFeatureVector();
    for (int i = 0; i < n; i++) {
      FieldSpec f = spec.field(i);
      ordinals.put(f.name(), i);
      isContext[i] = f.role() == FieldSpec.Role.CONTEXT;
      encoder.encodeMissing(i, missing);
    }
    context = encoder.newFeatureVector();
    candidates = new FeatureVector[maxCandidates];
    adIds = new String[maxCandidates];
  }

  /** The encoder these features are for. */
  public FeatureEncoder encoder() {
    return encoder;
  }

  /**
   * Validates and encodes {@code record} straight from its bytes ({@link ImpressionCodec#visit}).
   *
   * @return the event id, time and candidate count; null when the codec cannot visit the record
   *     (then decode it and {@link #encode} the impression)
   * @throws CodecException when the record is invalid (as {@code decode}), or a numeric model
   *     field holds a string ({@code wrong_type})
   * @throws RuntimeException the first value the encoder rejects, when the record is valid
   */
  public ImpressionCodec.Visited visit(ImpressionCodec codec, byte[] record) {
    return visited(codec.visit(record, reset()));
  }

  /**
   * Encodes a JSON record straight from its bytes when the codec's optimistic JSON path takes it
   * ({@link ImpressionCodec#visitJson}: no maps, no impression object).
   *
   * @return the event id, time and candidate count; null when the path does not take the record
   *     (then decode it, which accepts it or names its failure, and {@link #encode} the impression)
   * @throws CodecException when a numeric model field holds a string ({@code wrong_type})
   * @throws RuntimeException the first value the encoder rejects
   */
  public ImpressionCodec.Visited visitJson(ImpressionCodec codec, byte[] record, long recordTimestampMs) {
    return visited(codec.visitJson(record, recordTimestampMs, reset()));
  }

  /**
   * Starts an impression of {@code n} candidates that a protocol's own reader writes field by field
   * ({@link #adId}, {@link #number}, {@link #string}, then {@link #finishColumns}): for requests
   * that hold each field as a column over the candidates, such as the Open Inference Protocol's
   * input tensors. Every vector starts with all values missing. The reader has already checked
   * names, roles and datatypes: a value goes to the field of its ordinal as {@link #encode} would
   * encode it from a decoded impression.
   */
  public void startColumns(int n) {
    reset();
    for (int c = 0; c < n; c++) {
      visitor.candidate(c, null);
    }
  }

  /** The field ordinal of {@code name}, -1 when the model has no such field. */
  public int ordinal(String name) {
    Integer o = ordinals.get(name);
    return o == null ? -1 : o;
  }

  /** Sets candidate {@code c}'s ad id (after {@link #startColumns}). */
  public void adId(int c, String id) {
    adIds[c] = id;
  }

  /** A numeric value of field {@code ordinal} for candidate {@code c}, or for the context when {@code c < 0}. */
  public void number(int ordinal, int c, double value) {
    visitor.encodeNumber(ordinal, value, c < 0 ? context : candidates[c]);
  }

  /**
   * A string value (valid UTF-8 bytes {@code [off, off + len)} of {@code utf8}, read only during the
   * call) of field {@code ordinal} for candidate {@code c}, or for the context when {@code c < 0}.
   */
  public void string(int ordinal, int c, byte[] utf8, int off, int len) {
    visitor.encodeString(ordinal, utf8, off, len, c < 0 ? context : candidates[c], c);
  }

  /**
   * Ends the impression written by columns.
   *
   * @throws CodecException a numeric model field given a string ({@code wrong_type})
   * @throws RuntimeException the first value the encoder rejected
   */
  public void finishColumns() {
    if (visitor.failure != null) {
      throw visitor.failure;
    }
  }

  /** The visitor, its context vector and failure reset for a new record. */
  private Visitor reset() {
    context.copyFrom(missing);
    visitor.failure = null;
    visitor.contextEntry = 0;
    return visitor;
  }

  /** {@code v}, or the visit's first encoding failure when the record was valid. */
  private ImpressionCodec.Visited visited(ImpressionCodec.Visited v) {
    if (v != null && visitor.failure != null) {
      throw visitor.failure; // validation (inside the visit) takes precedence over encoding
    }
    return v;
  }

  /**
   * Encodes a decoded, validated impression ({@link FeatureEncoder#encodeTyped} per role); returns
   * its candidate count.
   *
   * @throws CodecException when a numeric model field holds a string ({@code wrong_type})
   */
  public int encode(Impression imp) {
    List<Candidate> cs = imp.getCandidates();
    try {
      encoder.encodeTyped(imp.getContext(), FieldSpec.Role.CONTEXT, context);
    } catch (FeatureTypeException e) {
      throw wrongType(-1, e);
    }
    for (int i = 0; i < cs.size(); i++) {
      Candidate c = cs.get(i);
      try {
        encoder.encodeTyped(c.getFeatures(), FieldSpec.Role.CANDIDATE, candidate(i));
      } catch (FeatureTypeException e) {
        throw wrongType(i, e);
      }
      adIds[i] = c.getAdId();
    }
    return cs.size();
  }

  /**
   * The validation failure for a value of the wrong type in the context ({@code candidate < 0})
   * or in a candidate's features, named by its place in the record as the codec names features.
   */
  private static CodecException wrongType(int candidate, FeatureTypeException e) {
    String where = candidate < 0 ? "context." + e.field() : "candidates[" + candidate + "].features." + e.field();
    return new CodecException(DecodeFailure.WRONG_TYPE, "feature " + where + ": " + e.getMessage(), e);
  }

  /** The context vector (its context fields are the record's). */
  public FeatureVector context() {
    return context;
  }

  /**
   * The candidate vectors (not a copy; the first n are the record's, as {@code
   * Scorer#scoreLogitsBatch} takes them).
   */
  public FeatureVector[] candidates() {
    return candidates;
  }

  /** The ad id of candidate {@code i}. */
  public String adId(int i) {
    return adIds[i];
  }

  /** Candidate {@code i}'s vector, created on first need (a model swap costs one small allocation). */
  private FeatureVector candidate(int i) {
    FeatureVector v = candidates[i];
    if (v == null) {
      v = encoder.newFeatureVector();
      candidates[i] = v;
    }
    return v;
  }

  /** Encodes the codec's calls; keeps the first encoding failure (the record may still fail validation). */
  private final class Visitor implements ImpressionVisitor {
    /**
     * Ordinal lookups by entry position: records of one stream repeat their keys in the same
     * order, and the decoder hands out shared key instances, so the name seen at entry k of the
     * previous map is checked by identity before the hash lookup (-1: not a field).
     */
    private final String[] contextNames = new String[64];
    private final int[] contextOrdinals = new int[64];
    private final String[] candidateNames = new String[64];
    private final int[] candidateOrdinals = new int[64];
    private final AsciiView view = new AsciiView();
    int contextEntry;
    private int candidateEntry;
    RuntimeException failure;

    /** The ordinal of {@code name} (-1: unknown), remembered for entry {@code k} of a map. */
    private int ordinal(String name, int k, String[] names, int[] cached) {
      if (k < names.length && names[k] == name) {
        return cached[k];
      }
      int ord = ImpressionFeatures.this.ordinal(name);
      if (k < names.length) {
        names[k] = name;
        cached[k] = ord;
      }
      return ord;
    }

    @Override
    public void contextString(String name, byte[] utf8, int off, int len) {
      int o = ordinal(name, contextEntry++, contextNames, contextOrdinals);
      if (o >= 0 && isContext[o]) {
        encodeString(o, utf8, off, len, context, -1);
      }
    }

    @Override
    public void contextNumber(String name, double value) {
      int o = ordinal(name, contextEntry++, contextNames, contextOrdinals);
      if (o >= 0 && isContext[o]) {
        encodeNumber(o, value, context);
      }
    }

    @Override
    public void candidate(int index, String adId) {
      ImpressionFeatures.this.candidate(index).copyFrom(missing);
      adIds[index] = adId;
      candidateEntry = 0;
    }

    @Override
    public void candidateString(int index, String name, byte[] utf8, int off, int len) {
      int o = ordinal(name, candidateEntry++, candidateNames, candidateOrdinals);
      if (o >= 0 && !isContext[o]) {
        encodeString(o, utf8, off, len, candidates[index], index);
      }
    }

    @Override
    public void candidateNumber(int index, String name, double value) {
      int o = ordinal(name, candidateEntry++, candidateNames, candidateOrdinals);
      if (o >= 0 && !isContext[o]) {
        encodeNumber(o, value, candidates[index]);
      }
    }

    @Override
    public void contextText(String name, CharSequence value) {
      int o = ordinal(name, contextEntry++, contextNames, contextOrdinals);
      if (o >= 0 && isContext[o]) {
        encodeText(o, value, context, -1);
      }
    }

    @Override
    public void candidateText(int index, String name, CharSequence value) {
      int o = ordinal(name, candidateEntry++, candidateNames, candidateOrdinals);
      if (o >= 0 && !isContext[o]) {
        encodeText(o, value, candidates[index], index);
      }
    }

    /** A string value given as characters (JSON), encoded as the map path encodes a String. */
    private void encodeText(int ordinal, CharSequence s, FeatureVector out, int candidate) {
      try {
        encoder.encodeTypedString(ordinal, s, out);
      } catch (FeatureTypeException e) {
        if (!(failure instanceof CodecException)) {
          failure = wrongType(candidate, e); // invalid input wins over an encoding failure
        }
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        }
      }
    }

    /** A string value of the context ({@code candidate < 0}) or of a candidate's features. */
    void encodeString(int ordinal, byte[] b, int off, int len, FeatureVector out, int candidate) {
      try {
        if (encoder.encodeAscii(ordinal, b, off, len, out)) {
          return; // hashed categorical, ASCII: one pass over the bytes
        }
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        }
        return;
      }
      encodeText(ordinal, view.of(b, off, len) ? view : new String(b, off, len, StandardCharsets.UTF_8), out, candidate);
    }

    void encodeNumber(int ordinal, double x, FeatureVector out) {
      try {
        encoder.encodeNumber(ordinal, x, out);
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        }
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
