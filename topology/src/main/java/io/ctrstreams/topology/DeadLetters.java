package io.ctrstreams.topology;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Dead-letter records. A DLQ record keeps the original key, value and headers and adds the
 * headers below, so it can be inspected ({@code kcat -C -t dlq -f '%h\n'}) and replayed as is.
 *
 * <p>A dead letter always fits the producer's and the broker's default size limits (1 MiB), so no
 * input record can make its own dead letter unsendable: a key longer than {@link #MAX_KEY_BYTES},
 * a value longer than {@link #MAX_VALUE_BYTES} and an error message longer than {@link
 * #MAX_MESSAGE_CHARS} are cut to a prefix, original headers are kept up to {@link
 * #MAX_ORIGINAL_HEADER_BYTES} in all, and every dead letter carries the original value's size
 * ({@link #ORIGINAL_SIZE}) and SHA-256 ({@link #ORIGINAL_SHA256}), so a cut record can still be
 * matched to its source; {@link #TRUNCATED} says it was cut.
 */
public final class DeadLetters {
  /** Failure reason label, e.g. {@code bad_json}, {@code unknown_schema}, {@code no_model}. */
  public static final String REASON = "ctr.dlq.reason";
  /** Exception class name. */
  public static final String ERROR_CLASS = "ctr.dlq.error.class";
  /** Exception message (names the offending value). */
  public static final String ERROR_MESSAGE = "ctr.dlq.error.message";
  /** Source topic. */
  public static final String SOURCE_TOPIC = "ctr.dlq.source.topic";
  /** Source partition (decimal). */
  public static final String SOURCE_PARTITION = "ctr.dlq.source.partition";
  /** Source offset (decimal). */
  public static final String SOURCE_OFFSET = "ctr.dlq.source.offset";

  /** Size in bytes of the original value (decimal; -1 for a null value). */
  public static final String ORIGINAL_SIZE = "ctr.dlq.original.size";
  /** SHA-256 of the original value (lower-case hex; empty for a null value). */
  public static final String ORIGINAL_SHA256 = "ctr.dlq.original.sha256";
  /** Present ({@code true}) when the key, value, message or original headers were cut. */
  public static final String TRUNCATED = "ctr.dlq.truncated";

  /** The longest key prefix a dead letter keeps. */
  public static final int MAX_KEY_BYTES = 1024;
  /** The longest value prefix a dead letter keeps. */
  public static final int MAX_VALUE_BYTES = 256 * 1024;
  /** The longest error message prefix a dead letter keeps. */
  public static final int MAX_MESSAGE_CHARS = 1024;
  /** The most bytes (names and values) of original headers a dead letter keeps. */
  public static final int MAX_ORIGINAL_HEADER_BYTES = 16 * 1024;

  /** Reason for impressions that found no model after the bounded startup wait. */
  public static final String NO_MODEL = "no_model";
  /** Reason for impressions the model failed to encode or score. */
  public static final String SCORING_FAILED = "scoring_failed";

  /** Every reason the topology's processors count in {@code ctr_dlq_records_total}. */
  public static final java.util.List<String> REASONS = reasons();

  private static java.util.List<String> reasons() {
    java.util.List<String> r = new java.util.ArrayList<>();
    for (io.ctrstreams.schemas.DecodeFailure f : io.ctrstreams.schemas.DecodeFailure.values()) {
      r.add(f.label());
    }
    r.add(NO_MODEL);
    r.add(SCORING_FAILED);
    return java.util.List.copyOf(r);
  }

  private DeadLetters() {}

  /**
   * The dead letter of {@code record}: its key and value (cut to their bounds), its headers plus
   * the DLQ headers (a new object: the input's are not touched), its timestamp.
   */
  public static Record<byte[], byte[]> letter(
      Record<byte[], byte[]> record, String reason, Throwable error, Optional<RecordMetadata> source) {
    byte[] key = record.key();
    byte[] value = record.value();
    boolean cut = (key != null && key.length > MAX_KEY_BYTES) || (value != null && value.length > MAX_VALUE_BYTES);
    RecordHeaders h = headers(record.headers(), reason, error, source);
    put(h, ORIGINAL_SIZE, Integer.toString(value == null ? -1 : value.length));
    put(h, ORIGINAL_SHA256, value == null ? "" : sha256(value));
    if (cut) {
      put(h, TRUNCATED, "true");
    }
    return record.withKey(prefix(key, MAX_KEY_BYTES)).withValue(prefix(value, MAX_VALUE_BYTES)).withHeaders(h);
  }

  /** The original headers (up to their bound) plus the DLQ headers, in a new object. */
  public static RecordHeaders headers(
      Headers original, String reason, Throwable error, Optional<RecordMetadata> source) {
    RecordHeaders h = new RecordHeaders();
    boolean cut = false;
    if (original != null) {
      int budget = MAX_ORIGINAL_HEADER_BYTES;
      for (Header x : original) {
        budget -= x.key().length() + (x.value() == null ? 0 : x.value().length);
        if (budget < 0) {
          cut = true;
          break;
        }
        h.add(x);
      }
    }
    String message = String.valueOf(error.getMessage());
    if (message.length() > MAX_MESSAGE_CHARS) {
      message = message.substring(0, MAX_MESSAGE_CHARS) + "... (" + message.length() + " characters)";
      cut = true;
    }
    put(h, REASON, reason);
    put(h, ERROR_CLASS, error.getClass().getName());
    put(h, ERROR_MESSAGE, message);
    put(h, SOURCE_TOPIC, source.map(RecordMetadata::topic).orElse(""));
    put(h, SOURCE_PARTITION, source.map(m -> Integer.toString(m.partition())).orElse("-1"));
    put(h, SOURCE_OFFSET, source.map(m -> Long.toString(m.offset())).orElse("-1"));
    if (cut) {
      put(h, TRUNCATED, "true");
    }
    return h;
  }

  private static byte[] prefix(byte[] b, int max) {
    return b == null || b.length <= max ? b : Arrays.copyOf(b, max);
  }

  static String sha256(byte[] value) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  private static void put(RecordHeaders h, String key, String value) {
    h.remove(key);
    h.add(key, value.getBytes(StandardCharsets.UTF_8));
  }

  /** Reads one header as UTF-8, or null. */
  public static String header(Headers headers, String key) {
    Header h = headers.lastHeader(key);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
