package io.ctrstreams.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.Response;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.Result;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.junit.jupiter.api.Test;

/** Dead letters stay within their bounds; an unsendable output dead-letters its input. */
class OutputExceptionHandlerTest {
  private static final byte[] HUGE = new byte[2_000_000];

  static {
    Arrays.fill(HUGE, (byte) 'x');
  }

  private static ErrorHandlerContext context(byte[] key, byte[] value) {
    RecordHeaders h = new RecordHeaders();
    h.add("trace", "t-1".getBytes(StandardCharsets.UTF_8));
    return new ErrorHandlerContext() {
      @Override
      public String topic() {
        return "impressions";
      }

      @Override
      public int partition() {
        return 2;
      }

      @Override
      public long offset() {
        return 41;
      }

      @Override
      public Headers headers() {
        return h;
      }

      @Override
      public String processorNodeId() {
        return "score";
      }

      @Override
      public TaskId taskId() {
        return new TaskId(0, 2);
      }

      @Override
      public long timestamp() {
        return 1_700_000_000_000L;
      }

      @Override
      public byte[] sourceRawKey() {
        return key;
      }

      @Override
      public byte[] sourceRawValue() {
        return value;
      }
    };
  }

  private static OutputExceptionHandler handler() {
    OutputExceptionHandler h = new OutputExceptionHandler();
    h.configure(Map.of(OutputExceptionHandler.DLQ_TOPIC_CONFIG, "my-dlq"));
    return h;
  }

  @Test
  void shouldDeadLetterTheInputOfAnOutputTooLargeAndResume() {
    ProducerRecord<byte[], byte[]> score = new ProducerRecord<>("scores", HUGE, HUGE);
    Response r = handler().handleError(context(HUGE, HUGE), score, new RecordTooLargeException("2000212 bytes"));
    assertThat(r.result()).isEqualTo(Result.RESUME);
    assertThat(r.deadLetterQueueRecords()).hasSize(1);
    ProducerRecord<byte[], byte[]> d = r.deadLetterQueueRecords().get(0);
    assertThat(d.topic()).isEqualTo("my-dlq");
    assertThat(d.key()).hasSize(DeadLetters.MAX_KEY_BYTES);
    assertThat(d.value()).hasSize(DeadLetters.MAX_VALUE_BYTES);
    assertThat(d.timestamp()).isEqualTo(1_700_000_000_000L);
    assertThat(DeadLetters.header(d.headers(), DeadLetters.REASON)).isEqualTo(OutputExceptionHandler.OUTPUT_TOO_LARGE);
    assertThat(DeadLetters.header(d.headers(), DeadLetters.ORIGINAL_SIZE)).isEqualTo("2000000");
    assertThat(DeadLetters.header(d.headers(), DeadLetters.ORIGINAL_SHA256)).isEqualTo(DeadLetters.sha256(HUGE));
    assertThat(DeadLetters.header(d.headers(), DeadLetters.TRUNCATED)).isEqualTo("true");
    assertThat(DeadLetters.header(d.headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("41");
    assertThat(DeadLetters.header(d.headers(), "trace")).isEqualTo("t-1");
    assertThat(DeadLetters.header(d.headers(), DeadLetters.ERROR_MESSAGE)).contains("output to scores refused");
  }

  @Test
  void shouldDropARefusedDeadLetterAndFailOnOtherErrors() {
    OutputExceptionHandler h = handler();
    ProducerRecord<byte[], byte[]> letter = new ProducerRecord<>("my-dlq", null, HUGE);
    Response dropped = h.handleError(context(null, HUGE), letter, new RecordTooLargeException("too large"));
    assertThat(dropped.result()).isEqualTo(Result.RESUME);
    assertThat(dropped.deadLetterQueueRecords()).isEmpty();
    Response failed = h.handleError(context(null, HUGE), new ProducerRecord<>("scores", null, HUGE), new TimeoutException("t"));
    assertThat(failed.result()).isEqualTo(Result.FAIL);
  }

  @Test
  void shouldKeepSmallDeadLettersWholeAndCutLongMessagesAndHeaders() {
    byte[] value = "{\"eventId\":\"e\"}".getBytes(StandardCharsets.UTF_8);
    RecordHeaders many = new RecordHeaders();
    for (int i = 0; i < 100; i++) {
      many.add("h" + i, new byte[1000]);
    }
    Record<byte[], byte[]> in = new Record<>("k".getBytes(StandardCharsets.UTF_8), value, 5L, many);
    RecordMetadata source = new RecordMetadata() {
      @Override
      public String topic() {
        return "impressions";
      }

      @Override
      public int partition() {
        return 0;
      }

      @Override
      public long offset() {
        return 7;
      }
    };
    Record<byte[], byte[]> d = DeadLetters.letter(in, "bad_json", new IllegalStateException("m".repeat(5000)), Optional.of(source));
    assertThat(d.key()).isEqualTo(in.key());
    assertThat(d.value()).isEqualTo(value);
    assertThat(DeadLetters.header(d.headers(), DeadLetters.ORIGINAL_SIZE)).isEqualTo(Integer.toString(value.length));
    assertThat(DeadLetters.header(d.headers(), DeadLetters.ERROR_MESSAGE)).hasSizeLessThan(DeadLetters.MAX_MESSAGE_CHARS + 40)
        .endsWith("(5000 characters)");
    int headerBytes = 0;
    for (var h : d.headers()) {
      headerBytes += h.key().length() + (h.value() == null ? 0 : h.value().length);
    }
    assertThat(headerBytes).isLessThan(DeadLetters.MAX_ORIGINAL_HEADER_BYTES + 2 * DeadLetters.MAX_MESSAGE_CHARS + 1024);
    assertThat(DeadLetters.header(d.headers(), DeadLetters.TRUNCATED)).isEqualTo("true");
    assertThat(in.headers().toArray()).hasSize(100); // the input's headers are not touched
  }
}
