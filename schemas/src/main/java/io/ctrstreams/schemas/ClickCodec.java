package io.ctrstreams.schemas;

import org.apache.avro.message.SchemaStore;

/**
 * Decodes and validates {@link Click} records from Avro single-object encoding or JSON
 * ({@code {"impressionId": "e-1", "adId": "ad-7", "timestampMs": 1700000000123}};
 * {@code timestampMs} optional in JSON, defaulting to the Kafka record timestamp). Thread-safe.
 */
public final class ClickCodec {
  private final WireFormat format;
  private final AvroCodec<Click> avro;

  /** A codec for one input format. */
  public ClickCodec(WireFormat format) {
    this(format, null);
  }

  /** A codec that resolves older writer schemas from {@code schemaStore} (may be null). */
  public ClickCodec(WireFormat format, SchemaStore schemaStore) {
    this.format = format;
    this.avro = new AvroCodec<>("Click", Click.getEncoder(), Click.createDecoder(schemaStore));
  }

  /** Decodes and validates one record; throws {@link CodecException} naming the bad value. */
  public Click decode(byte[] bytes, long recordTimestampMs) {
    if (bytes == null || bytes.length == 0) {
      throw new CodecException(
          format == WireFormat.AVRO ? DecodeFailure.BAD_AVRO : DecodeFailure.BAD_JSON,
          "click record has no value (" + (bytes == null ? "null" : "0 bytes") + ")");
    }
    Click c =
        format.resolve(bytes) == WireFormat.AVRO
            ? avro.decode(bytes, null)
            : parseJson(bytes, recordTimestampMs);
    if (c.getImpressionId() == null || c.getImpressionId().isEmpty()) {
      throw new CodecException(DecodeFailure.MISSING_FIELD, "click has no impressionId");
    }
    if (c.getAdId() == null || c.getAdId().isEmpty()) {
      throw new CodecException(
          DecodeFailure.MISSING_FIELD, "click on impression " + c.getImpressionId() + " has no adId");
    }
    if (c.getTimestampMs() < 0) {
      throw new CodecException(
          DecodeFailure.MISSING_FIELD,
          "click on impression " + c.getImpressionId() + " has no valid timestampMs, found "
              + c.getTimestampMs());
    }
    return c;
  }

  /** Avro single-object encoding. */
  public byte[] encodeAvro(Click c) {
    return avro.encode(c);
  }

  /** The JSON form (UTF-8). */
  public static byte[] encodeJson(Click c) {
    return JsonFields.writeObject(96, g -> {
      g.writeStringField("impressionId", c.getImpressionId());
      g.writeStringField("adId", c.getAdId());
      g.writeNumberField("timestampMs", c.getTimestampMs());
    });
  }

  private static Click parseJson(byte[] bytes, long recordTimestampMs) {
    return JsonFields.parseObject(bytes, "click", p -> {
      String impressionId = null;
      String adId = null;
      long ts = -1;
      java.util.Set<String> others = null;
      for (String name; (name = JsonFields.nextField(p, "click")) != null; ) {
        switch (name) {
          case "impressionId":
            JsonFields.once(p, impressionId != null, name);
            impressionId = JsonFields.string(p, "impressionId");
            break;
          case "adId":
            JsonFields.once(p, adId != null, name);
            adId = JsonFields.string(p, "adId");
            break;
          case "timestampMs":
            JsonFields.once(p, ts >= 0, name);
            ts = JsonFields.epochMillis(p, "timestampMs");
            break;
          default:
            others = JsonFields.once(p, others, name);
            p.skipChildren();
        }
      }
      if (impressionId == null) {
        throw new CodecException(DecodeFailure.MISSING_FIELD, "click has no impressionId");
      }
      if (adId == null) {
        throw new CodecException(
            DecodeFailure.MISSING_FIELD, "click on impression " + impressionId + " has no adId");
      }
      return new Click(impressionId, adId, ts < 0 ? recordTimestampMs : ts);
    });
  }
}
