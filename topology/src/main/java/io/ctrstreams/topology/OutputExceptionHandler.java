package io.ctrstreams.topology;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the topology does with an output the producer refuses as too large: it dead-letters the
 * input record that produced it (reason {@link #OUTPUT_TOO_LARGE}, cut to the dead-letter bounds
 * of {@link DeadLetters}) and goes on, instead of failing the stream thread on every restart (the
 * offset of a record whose output never fits is never committed). A dead letter that is itself
 * refused is dropped and logged (Kafka Streams counts it in {@code dropped-records-total}). Every
 * other error fails as with Kafka's default handler: a retriable or fatal broker error is not a
 * property of one record.
 *
 * <p>The input limits ({@code input.max.record.bytes}, {@code input.max.id.length}) keep outputs
 * below the producer's limit by construction; this handler is the guard behind them, e.g. for a
 * cluster whose {@code max.message.bytes} is smaller than the producer's {@code max.request.size}.
 * Installed by {@link TopologyConfig#streamsProperties()} unless the user names another handler.
 */
public final class OutputExceptionHandler implements ProductionExceptionHandler {
  /** Dead-letter reason of an input whose output did not fit. */
  public static final String OUTPUT_TOO_LARGE = "output_too_large";

  /**
   * The handler's property naming the DLQ topic (not {@code topic.dlq}: Kafka Streams reads
   * {@code topic.*} properties as configs of its internal topics).
   */
  public static final String DLQ_TOPIC_CONFIG = "ctr.output.handler.dlq.topic";

  private static final Logger log = LoggerFactory.getLogger(OutputExceptionHandler.class);
  private String dlqTopic;

  @Override
  public void configure(Map<String, ?> configs) {
    Object t = configs.get(DLQ_TOPIC_CONFIG);
    dlqTopic = t == null ? "dlq" : String.valueOf(t);
  }

  @Override
  public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
    if (!(exception instanceof RecordTooLargeException)) {
      return Response.fail();
    }
    if (record.topic().equals(dlqTopic)) {
      log.error("dropped a dead letter the producer refuses ({}): source {}-{}@{}", exception.getMessage(),
          context.topic(), context.partition(), context.offset());
      return Response.resume();
    }
    log.warn("output to {} refused ({}): dead-lettering its input {}-{}@{}", record.topic(), exception.getMessage(),
        context.topic(), context.partition(), context.offset());
    return Response.resume(List.of(deadLetter(context, record, exception)));
  }

  /** The dead letter of the input behind a refused output, within {@link DeadLetters}' bounds. */
  ProducerRecord<byte[], byte[]> deadLetter(
      ErrorHandlerContext context, ProducerRecord<byte[], byte[]> refused, Exception exception) {
    RecordHeaders headers = new RecordHeaders(context.headers().toArray());
    Record<byte[], byte[]> input =
        new Record<>(context.sourceRawKey(), context.sourceRawValue(), context.timestamp(), headers);
    Exception error = new RecordTooLargeException("output to " + refused.topic() + " refused: " + exception.getMessage());
    Record<byte[], byte[]> letter = DeadLetters.letter(input, OUTPUT_TOO_LARGE, error, Optional.of(source(context)));
    return new ProducerRecord<>(dlqTopic, null, letter.timestamp(), letter.key(), letter.value(), letter.headers());
  }

  private static org.apache.kafka.streams.processor.api.RecordMetadata source(ErrorHandlerContext c) {
    return new org.apache.kafka.streams.processor.api.RecordMetadata() {
      @Override
      public String topic() {
        return c.topic();
      }

      @Override
      public int partition() {
        return c.partition();
      }

      @Override
      public long offset() {
        return c.offset();
      }
    };
  }

}
