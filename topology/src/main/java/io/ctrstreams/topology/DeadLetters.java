package io.ctrstreams.topology;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Headers of dead-letter records. A DLQ record keeps the original key, value and headers and
 * adds these, so it can be inspected ({@code kcat -C -t dlq -f '%h\n'}) and replayed as is.
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

  /** Reason for impressions that found no model after the bounded startup wait. */
  public static final String NO_MODEL = "no_model";
  /** Reason for impressions the model failed to encode or score. */
  public static final String SCORING_FAILED = "scoring_failed";

  private DeadLetters() {}

  /** The original headers plus the DLQ headers (a new object: the input's are not touched). */
  public static Headers headers(
      Headers original, String reason, Throwable error, Optional<RecordMetadata> source) {
    RecordHeaders h = new RecordHeaders();
    if (original != null) {
      for (Header x : original) {
        h.add(x);
      }
    }
    put(h, REASON, reason);
    put(h, ERROR_CLASS, error.getClass().getName());
    put(h, ERROR_MESSAGE, String.valueOf(error.getMessage()));
    put(h, SOURCE_TOPIC, source.map(RecordMetadata::topic).orElse(""));
    put(h, SOURCE_PARTITION, source.map(m -> Integer.toString(m.partition())).orElse("-1"));
    put(h, SOURCE_OFFSET, source.map(m -> Long.toString(m.offset())).orElse("-1"));
    return h;
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
