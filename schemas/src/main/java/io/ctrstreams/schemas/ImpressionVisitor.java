package io.ctrstreams.schemas;

/**
 * Receives one impression's parts in wire order from {@link ImpressionCodec#visit} (Avro) or
 * {@link ImpressionCodec#visitJson} (JSON: string values through the text methods), without the
 * maps and value strings {@link ImpressionCodec#decode} builds: a scorer encodes features
 * straight from the record bytes. Feature names are shared {@link String} instances; string
 * values arrive as UTF-8 byte ranges of the record (valid only during the call).
 *
 * <p>Calls may arrive for a record that then fails validation (the checks need the whole
 * record): a visitor writes only scratch state, which the caller discards when {@code visit}
 * throws.
 */
public interface ImpressionVisitor {
  /** A context feature with a string value (UTF-8 bytes {@code [off, off + len)} of {@code utf8}). */
  void contextString(String name, byte[] utf8, int off, int len);

  /** A context feature with a numeric value. */
  void contextNumber(String name, double value);

  /** Candidate {@code index} starts (indexes count from 0 and stay below the candidate cap). */
  void candidate(int index, String adId);

  /** A feature of candidate {@code index} with a string value. */
  void candidateString(int index, String name, byte[] utf8, int off, int len);

  /** A feature of candidate {@code index} with a numeric value. */
  void candidateNumber(int index, String name, double value);

  /**
   * A context feature with a string value given as characters ({@link ImpressionCodec#visitJson};
   * {@code value} is valid only during the call). By default its UTF-8 bytes go to {@link
   * #contextString}.
   */
  default void contextText(String name, CharSequence value) {
    byte[] b = value.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    contextString(name, b, 0, b.length);
  }

  /**
   * A feature of candidate {@code index} with a string value given as characters ({@link
   * ImpressionCodec#visitJson}); by default its UTF-8 bytes go to {@link #candidateString}.
   */
  default void candidateText(int index, String name, CharSequence value) {
    byte[] b = value.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    candidateString(index, name, b, 0, b.length);
  }
}
