package io.ctrstreams.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One input field of a CTR model and how it becomes an embedding.
 *
 * <p>Table rows ({@link #rows()}):
 *
 * <ul>
 *   <li>{@code CATEGORICAL}: {@code vocabularySize + oovBuckets}. Ids {@code [0, vocabularySize)}
 *       come from the vocabulary stored in the model (string table {@code vocab/<field>}); unknown
 *       and missing values hash into {@code [vocabularySize, vocabularySize + oovBuckets)} (see
 *       {@link FeatureHash}). {@code vocabularySize = 0} means pure hashing.
 *   <li>{@code NUMERIC} + {@link Transform#LOG_BUCKET}: {@code vocabularySize} buckets (the
 *       Criteo-winner transform, see {@link FeatureEncoder}); {@code oovBuckets} must be 0.
 *   <li>{@code NUMERIC} + {@link Transform#SCALED}: one row, the embedding is {@code x * v_field};
 *       {@code vocabularySize} and {@code oovBuckets} must be 0.
 * </ul>
 *
 * <p>Immutable and checked when built (also from JSON). Use the factories {@link #categorical},
 * {@link #logBucket} and {@link #scaled}.
 *
 * @param transform the numeric transform, {@code null} for categorical fields
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FieldSpec(String name, Type type, Role role, int vocabularySize, int oovBuckets, int embeddingDim,
    Transform transform) {

  /** Whether the raw value is a category (string) or a number. */
  public enum Type {
    CATEGORICAL,
    NUMERIC
  }

  /**
   * Context fields are shared by all candidate ads of one request (user, page, time); candidate
   * fields differ per ad. The optimized scorer computes the context part once per request.
   */
  public enum Role {
    CONTEXT,
    CANDIDATE
  }

  /** How a numeric field becomes an embedding. */
  public enum Transform {
    /** x > 2 -> floor(ln(x)^2), else (int) x; negative and missing -> 0; used as a bucket index. */
    LOG_BUCKET,
    /** Dense value x, embedding = x * v_field (one learned vector). */
    SCALED
  }

  /**
   * Checks every constraint; prefer the factories.
   *
   * @throws CtrModelException naming the field and the offending value
   */
  public FieldSpec {
    if (name == null || name.isEmpty()) {
      throw new CtrModelException("field name must be non-empty, found " + (name == null ? "null" : "\"\""));
    }
    if (name.indexOf('/') >= 0) {
      // '/' separates tensor name parts (emb/<field>/table); a field name containing it would collide.
      throw new CtrModelException("field name must not contain '/', found " + name);
    }
    if (type == null) {
      throw new CtrModelException("type of field " + name + " must be CATEGORICAL or NUMERIC, found null");
    }
    if (role == null) {
      throw new CtrModelException("role of field " + name + " must be CONTEXT or CANDIDATE, found null");
    }
    if (embeddingDim < 1) {
      throw new CtrModelException("embedding dim for field " + name + " must be >= 1, found " + embeddingDim);
    }
    if (type == Type.CATEGORICAL) {
      if (transform != null) {
        throw new CtrModelException("categorical field " + name + " must not have a transform, found " + transform);
      }
      if (vocabularySize < 0) {
        throw new CtrModelException("vocabulary size for field " + name + " must be >= 0, found " + vocabularySize);
      }
      if (oovBuckets < 1) {
        throw new CtrModelException("oov buckets for field " + name + " must be >= 1, found " + oovBuckets);
      }
      if ((long) vocabularySize + oovBuckets > Integer.MAX_VALUE - 8) {
        throw new CtrModelException("rows of field " + name + " (vocabulary " + vocabularySize + " + oov "
            + oovBuckets + ") exceed " + (Integer.MAX_VALUE - 8));
      }
    } else {
      if (transform == null) {
        throw new CtrModelException("numeric field " + name + " needs a transform (LOG_BUCKET or SCALED), found null");
      }
      if (oovBuckets != 0) {
        throw new CtrModelException("oov buckets for numeric field " + name + " must be 0, found " + oovBuckets);
      }
      if (transform == Transform.LOG_BUCKET && vocabularySize < 1) {
        throw new CtrModelException("bucket count (vocabularySize) for LOG_BUCKET field " + name
            + " must be >= 1, found " + vocabularySize);
      }
      if (transform == Transform.SCALED && vocabularySize != 0) {
        throw new CtrModelException("vocabulary size for SCALED field " + name + " must be 0, found " + vocabularySize);
      }
    }
  }

  /** A categorical field with a vocabulary of {@code vocabularySize} ids plus hashed OOV buckets. */
  public static FieldSpec categorical(String name, Role role, int vocabularySize, int oovBuckets, int embeddingDim) {
    return new FieldSpec(name, Type.CATEGORICAL, role, vocabularySize, oovBuckets, embeddingDim, null);
  }

  /** A numeric field bucketized by {@link Transform#LOG_BUCKET} into {@code buckets} rows. */
  public static FieldSpec logBucket(String name, Role role, int buckets, int embeddingDim) {
    return new FieldSpec(name, Type.NUMERIC, role, buckets, 0, embeddingDim, Transform.LOG_BUCKET);
  }

  /** A numeric field whose embedding is {@code x * v_field}. */
  public static FieldSpec scaled(String name, Role role, int embeddingDim) {
    return new FieldSpec(name, Type.NUMERIC, role, 0, 0, embeddingDim, Transform.SCALED);
  }

  /** Whether the embedding is a row lookup (categorical or LOG_BUCKET) rather than {@code x * v}. */
  @JsonIgnore
  public boolean isLookup() {
    return transform != Transform.SCALED;
  }

  /** Number of embedding table rows. */
  public int rows() {
    if (type == Type.CATEGORICAL) {
      return vocabularySize + oovBuckets;
    }
    return transform == Transform.SCALED ? 1 : vocabularySize;
  }

  /** A copy with another embedding dim (for rank/size searches). */
  public FieldSpec withEmbeddingDim(int dim) {
    return new FieldSpec(name, type, role, vocabularySize, oovBuckets, dim, transform);
  }

  @Override
  public String toString() {
    return "FieldSpec[" + name + " " + type + (transform == null ? "" : "/" + transform) + " " + role
        + " rows=" + rows() + " dim=" + embeddingDim + "]";
  }
}
