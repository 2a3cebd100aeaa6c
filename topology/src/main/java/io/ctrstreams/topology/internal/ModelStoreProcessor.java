package io.ctrstreams.topology.internal;

import io.ctrstreams.serving.ModelChunkAssembler;
import io.ctrstreams.serving.ModelFeed;
import io.ctrstreams.serving.ModelRegistry;
import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Global-store processor over the compacted models topic: feeds every record (chunk, manifest,
 * pin, tombstone) in topic order to a {@link ModelFeed} (a {@link ModelChunkAssembler} plus the
 * registries by model name). Runs on the global stream
 * thread, so decoding and verifying a model never blocks a scoring thread: those only read the
 * registry's reference.
 *
 * <p>The store itself stays empty: the assembler keeps what it needs (bounded), and because the
 * store is in-memory there is no checkpoint, so every start replays the topic through this
 * processor and rebuilds the registries before stream threads process records.
 */
public final class ModelStoreProcessor implements Processor<String, byte[], Void, Void> {
  private static final Logger LOG = LoggerFactory.getLogger(ModelStoreProcessor.class);

  private final ModelFeed feed;

  /**
   * A processor feeding {@code registries}.
   *
   * @param storeName the global store (unused beyond registration)
   */
  public ModelStoreProcessor(String storeName, List<ModelRegistry> registries) {
    this.feed = new ModelFeed(new ModelChunkAssembler(), registries);
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    // nothing to restore by hand: see class comment
  }

  @Override
  public void process(Record<String, byte[]> record) {
    if (record.key() == null) {
      LOG.warn("models topic record without key ignored (timestamp {})", record.timestamp());
      return;
    }
    try {
      feed.accept(record.key(), record.value());
    } catch (RuntimeException e) {
      // a hostile record must not kill the global thread (that would stop the whole client);
      // registries already count and log the rejections they recognize
      LOG.error("models topic record {} could not be processed: {}", record.key(), e.toString());
    }
  }
}
