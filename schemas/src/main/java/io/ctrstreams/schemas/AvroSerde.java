package io.ctrstreams.schemas;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka {@link Serde} for a generated Avro record in single-object encoding, so output topics
 * (scores, labeled) and internal topics carry the schema fingerprint in every record. A null
 * value (tombstone) maps to null both ways. Decode failures throw {@link CodecException}.
 *
 * @param <T> the generated record class
 */
public final class AvroSerde<T> implements Serde<T> {
  private final AvroCodec<T> codec;

  /** A serde over a codec, e.g. {@code new AvroSerde<>(Schemas.SCORE)}. */
  public AvroSerde(AvroCodec<T> codec) {
    this.codec = codec;
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, data) -> data == null ? null : codec.encode(data);
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, data) -> data == null ? null : codec.decode(data, null);
  }
}
