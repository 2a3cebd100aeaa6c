package io.ctrstreams.topology.internal;

import io.ctrstreams.schemas.Click;
import io.ctrstreams.schemas.ClickCodec;
import io.ctrstreams.schemas.CodecException;
import io.ctrstreams.topology.DeadLetters;
import io.ctrstreams.topology.TopologyMetrics;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Decodes clicks; valid ones are re-keyed by impression id (the label join's key), invalid ones
 * go to the DLQ with the original key and headers naming the error and source.
 */
public final class ClickDecodeProcessor implements Processor<byte[], byte[], byte[], Routed> {
  private final ClickCodec codec;
  private final TopologyMetrics metrics;
  private ProcessorContext<byte[], Routed> context;

  /** A processor decoding with {@code codec}. */
  public ClickDecodeProcessor(ClickCodec codec, TopologyMetrics metrics) {
    this.codec = codec;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<byte[], Routed> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    Click c;
    try {
      c = codec.decode(record.value(), record.timestamp());
    } catch (CodecException e) {
      String reason = e.reason().label();
      metrics.deadLetter(context.recordMetadata().map(m -> m.topic()).orElse("clicks"), reason);
      Record<byte[], byte[]> letter = DeadLetters.letter(record, reason, e, context.recordMetadata());
      context.forward(letter.withValue(Routed.dead(letter.value())));
      return;
    }
    context.forward(
        record.withKey(c.getImpressionId().getBytes(StandardCharsets.UTF_8)).withValue(Routed.click(c)));
  }
}
