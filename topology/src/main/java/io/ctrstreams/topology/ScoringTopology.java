package io.ctrstreams.topology;

import io.ctrstreams.schemas.ClickCodec;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.LabelJoinEvent;
import io.ctrstreams.schemas.AvroSerde;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.serving.ModelRegistry;
import io.ctrstreams.topology.internal.ClickDecodeProcessor;
import io.ctrstreams.topology.internal.LabelJoinProcessor;
import io.ctrstreams.topology.internal.ModelStoreProcessor;
import io.ctrstreams.topology.internal.Routed;
import io.ctrstreams.topology.internal.ScoringProcessor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The scoring topology as a pure function of its configuration and runtime collaborators
 * (STYLE item 2): no threads, no I/O, unit-tested with {@code TopologyTestDriver}.
 *
 * <pre>
 * models (compacted) --global store--> ModelStoreProcessor --> live / shadow ModelRegistry
 * impressions --encode+score--> scores           (one Score per candidate, model version stamped)
 *                          \--> dlq              (bad input, no model; headers name error + source)
 *                          \--> served --+
 * clicks ------decode--------> clicks ---+--repartition(label-join, by impression id)--> label join --> labeled
 *                          \--> dlq
 * </pre>
 *
 * The global processor runs on the global thread (never a stream thread): it assembles chunks,
 * verifies and decodes models and swaps the registry's reference; stream threads only read it.
 * With an in-memory global store there is no checkpoint, so every start replays the compacted
 * topic through the processor (Kafka Streams reprocesses custom global processors on restore,
 * KAFKA-7663) and the last good model is loaded before any stream thread starts processing.
 */
public final class ScoringTopology {
  /** Name of the global store over the models topic. */
  public static final String MODEL_STORE = "model-chunks";
  /** Name of the internal repartition topic of the label join (prefixed by the app id). */
  public static final String LABEL_JOIN_REPARTITION = "label-join";

  private ScoringTopology() {}

  /**
   * What the topology needs at runtime besides its configuration.
   *
   * @param metrics where to count and time
   * @param live registry of the live model ({@link TopologyConfig#modelName()})
   * @param shadow registry of the shadow model, or null when shadow scoring is off
   * @param labels receives every labeled example (online metrics)
   * @param wallClock epoch-ms clock for scoredAtMs and event-time lag
   */
  public record Runtime(
      TopologyMetrics metrics,
      ModelRegistry live,
      ModelRegistry shadow,
      LabelListener labels,
      LongSupplier wallClock) {
    /** Checks the required parts. */
    public Runtime {
      Objects.requireNonNull(metrics, "metrics");
      Objects.requireNonNull(live, "live registry");
      Objects.requireNonNull(labels, "labels listener");
      Objects.requireNonNull(wallClock, "wallClock");
    }
  }

  /** Builds the topology. */
  public static Topology build(TopologyConfig config, Runtime rt) {
    if (!rt.live().name().equals(config.modelName())) {
      throw new TopologyException("live registry serves model '" + rt.live().name()
          + "' but " + TopologyConfig.MODEL_NAME_CONFIG + " is '" + config.modelName() + "'");
    }
    String shadowName = config.shadowModelName();
    if ((shadowName == null) != (rt.shadow() == null)
        || (shadowName != null && !shadowName.equals(rt.shadow().name()))) {
      throw new TopologyException("shadow registry serves "
          + (rt.shadow() == null ? "nothing" : "model '" + rt.shadow().name() + "'") + " but "
          + TopologyConfig.SHADOW_MODEL_NAME_CONFIG + " is '" + (shadowName == null ? "" : shadowName) + "'");
    }
    StreamsBuilder b = new StreamsBuilder();
    List<ModelRegistry> registries = new ArrayList<>();
    registries.add(rt.live());
    if (rt.shadow() != null) {
      registries.add(rt.shadow());
    }
    StoreBuilder<?> store =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(MODEL_STORE), Serdes.String(), Serdes.ByteArray())
            .withLoggingDisabled();
    b.addGlobalStore(
        store,
        config.modelsTopic(),
        Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("models"),
        () -> new ModelStoreProcessor(MODEL_STORE, registries));

    ImpressionCodec impressionCodec = config.impressionCodec();
    // one first-model deadline per app instance, set by the first task init (see ScoringProcessor)
    AtomicLong modelDeadline = new AtomicLong(Long.MIN_VALUE);
    KStream<byte[], Routed> scored =
        b.stream(config.impressionsTopic(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("impressions"))
            .process(
                () -> new ScoringProcessor(impressionCodec, rt.live(), rt.shadow(), config.modelWaitMs(), modelDeadline,
                    config.labelsEnabled(), rt.metrics(), rt.wallClock()).sampleShadow(config.shadowSampleRate())
                    .perImpressionScores(config.perImpressionScores()),
                Named.as("score"));
    // The scoring processor forwards each output to one of these children by name, so a Score
    // (one per candidate, the hot path) goes straight to its sink: no filter / mapValues hops.
    scored.to(config.dlqTopic(), Produced.with(Serdes.ByteArray(), Routed.DEAD_SERDE).withName(ScoringProcessor.DLQ_CHILD));
    scored.to(config.scoresTopic(), Produced.with(Serdes.ByteArray(), Routed.SCORE_SERDE).withName(ScoringProcessor.SCORES_CHILD));

    if (config.labelsEnabled()) {
      // the served impression goes to the join as bytes: written from the record's own bytes when
      // scoring read them directly (no Avro objects on this thread); the join stores a first-seen
      // one as it came and decodes only what a click or a closing window needs
      KStream<byte[], byte[]> served =
          scored.mapValues(v -> v.served().labelJoinEvent(impressionCodec), Named.as(ScoringProcessor.SERVED_CHILD));
      ClickCodec clickCodec = new ClickCodec(config.inputFormat());
      KStream<byte[], Routed> clicks =
          b.stream(config.clicksTopic(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("clicks"))
              .process(() -> new ClickDecodeProcessor(clickCodec, rt.metrics()), Named.as("decode-clicks"));
      clicks
          .filter((k, v) -> v.kind() == Routed.Kind.DEAD, Named.as("clicks-dead"))
          .mapValues(Routed::dead, Named.as("clicks-dead-value"))
          .to(config.dlqTopic(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("clicks-dlq"));
      KStream<byte[], byte[]> clickEvents =
          clicks
              .filter((k, v) -> v.kind() == Routed.Kind.CLICK, Named.as("clicks-only"))
              .mapValues(v -> Schemas.LABEL_JOIN_EVENT.encode(new LabelJoinEvent(null, v.click())), Named.as("click-event"));
      for (StoreBuilder<?> sb : LabelJoinProcessor.storeBuilders()) {
        b.addStateStore(sb);
      }
      long window = config.attributionWindowMs();
      long interval = config.labelsPunctuateMs();
      served
          .merge(clickEvents, Named.as("label-join-input"))
          .repartition(Repartitioned.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(LABEL_JOIN_REPARTITION))
          .process(
              () -> new LabelJoinProcessor(window, interval, rt.metrics(), rt.labels()),
              Named.as("label-join"),
              LabelJoinProcessor.STATE_STORE,
              LabelJoinProcessor.EXPIRY_STORE)
          .to(config.labeledTopic(), Produced.with(Serdes.ByteArray(), new AvroSerde<>(Schemas.LABELED_EXAMPLE)).withName("labeled"));
    }
    return b.build();
  }
}
