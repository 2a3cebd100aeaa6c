package io.ctrstreams.schemas;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Function;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;

/**
 * Avro single-object encoding of one record type, with decode failures mapped to
 * {@link DecodeFailure} reasons: a foreign header is {@code BAD_AVRO}, a valid header with an
 * unknown schema fingerprint is {@code UNKNOWN_SCHEMA}, a truncated or corrupt body is
 * {@code BAD_AVRO}. Thread-safe (Avro's message encoder/decoder keep per-thread buffers).
 *
 * @param <T> the generated record class
 */
public final class AvroCodec<T> {
  private final String typeName;
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;
  private final Function<T, byte[]> direct;

  /** Wraps a generated class's encoder and decoder, e.g. {@code Score.getEncoder()}. */
  public AvroCodec(String typeName, BinaryMessageEncoder<T> encoder, BinaryMessageDecoder<T> decoder) {
    this(typeName, encoder, decoder, null);
  }

  /**
   * As above, with a direct encoder producing the same bytes as {@code encoder} (or null to
   * defer to it), e.g. {@code ScoreBinary::encode} for the per-candidate Score records.
   */
  AvroCodec(String typeName, BinaryMessageEncoder<T> encoder, BinaryMessageDecoder<T> decoder,
      Function<T, byte[]> direct) {
    this.typeName = typeName;
    this.encoder = encoder;
    this.decoder = decoder;
    this.direct = direct;
  }

  /** Encodes with the single-object header. */
  public byte[] encode(T record) {
    if (direct != null) {
      byte[] b = direct.apply(record);
      if (b != null) {
        return b;
      }
    }
    try {
      return encoder.encode(record).array();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + typeName, e);
    }
  }

  /** Decodes, reusing {@code reuse} when not null. */
  public T decode(byte[] bytes, T reuse) {
    if (bytes == null) {
      throw new CodecException(DecodeFailure.BAD_AVRO, typeName + " record has no value (null)");
    }
    try {
      return decoder.decode(bytes, reuse);
    } catch (MissingSchemaException e) {
      throw new CodecException(
          DecodeFailure.UNKNOWN_SCHEMA,
          typeName + " record has an unknown schema fingerprint " + fingerprintHex(bytes),
          e);
    } catch (BadHeaderException e) {
      throw new CodecException(
          DecodeFailure.BAD_AVRO,
          typeName + " record is not Avro single-object encoded: " + e.getMessage(),
          e);
    } catch (IOException | RuntimeException e) {
      throw new CodecException(
          DecodeFailure.BAD_AVRO,
          typeName + " record body is corrupt or truncated (" + bytes.length + " bytes): " + e,
          e);
    }
  }

  private static String fingerprintHex(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (int i = 2; i < Math.min(10, bytes.length); i++) {
      sb.append(String.format("%02x", bytes[i] & 0xff));
    }
    return sb.toString();
  }
}
