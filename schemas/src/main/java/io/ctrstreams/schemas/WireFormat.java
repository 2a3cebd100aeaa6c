package io.ctrstreams.schemas;

import java.util.Locale;

/**
 * How input records are encoded on the wire ({@code input.format}).
 *
 * <p>{@link #AVRO} is Avro single-object encoding (magic {@code C3 01}, 8-byte schema
 * fingerprint, binary body); {@link #JSON} is the JSON form documented in docs/input-json.md;
 * {@link #AUTO} tells them apart by the first byte (Avro single-object records start with
 * {@code 0xC3}, which can never start a UTF-8 JSON document).
 */
public enum WireFormat {
  /** Avro single-object encoding. */
  AVRO,
  /** JSON objects (UTF-8). */
  JSON,
  /** Per record: Avro if it starts with the single-object magic byte, else JSON. */
  AUTO;

  /** Parses {@code avro|json|auto}, case-insensitive. */
  public static WireFormat parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "wire format must be one of avro, json, auto; found '" + value + "'", e);
    }
  }

  /** Resolves {@link #AUTO} for one record. */
  WireFormat resolve(byte[] bytes) {
    if (this != AUTO) {
      return this;
    }
    return bytes != null && bytes.length > 0 && bytes[0] == (byte) 0xC3 ? AVRO : JSON;
  }
}
