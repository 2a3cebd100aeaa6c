package io.ctrstreams.schemas;

/**
 * Why an input record could not be turned into a valid event. The topology counts DLQ records by
 * this reason (as a metric label) and writes it into the DLQ record's headers, so the names are a
 * stable contract: lower-case {@link #label()} values appear in dashboards.
 */
public enum DecodeFailure {
  /** Not parseable JSON (syntax error, truncated document, not an object). */
  BAD_JSON,
  /** Not decodable as Avro single-object encoding (bad header, truncated or corrupt body). */
  BAD_AVRO,
  /** Avro single-object header with a schema fingerprint no known schema has. */
  UNKNOWN_SCHEMA,
  /** A required field is missing or empty (event id, ad id, impression id, timestamp). */
  MISSING_FIELD,
  /** A field has the wrong JSON type (e.g. a boolean feature value, a string timestamp). */
  WRONG_TYPE,
  /** A numeric value is NaN or infinite. */
  NON_FINITE,
  /** An impression without candidate ads. */
  EMPTY_CANDIDATES,
  /** An impression with more candidates than the configured maximum. */
  TOO_MANY_CANDIDATES,
  /**
   * A record over the configured size limit, or an event / ad id longer than the id limit: bounded
   * here so that every output derived from an input record (scores, the label join's records, dead
   * letters) stays within the producer's and the broker's size limits.
   */
  TOO_LARGE;

  /** The metric-label / header form, e.g. {@code unknown_schema}. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
