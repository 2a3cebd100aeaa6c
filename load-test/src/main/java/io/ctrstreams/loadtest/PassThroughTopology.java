package io.ctrstreams.loadtest;

import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.CodecException;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.ImpressionVisitor;
import io.ctrstreams.schemas.ImpressionScoresBatch;
import io.ctrstreams.schemas.ScoreBatch;
import io.ctrstreams.topology.TopologyConfig;
import io.ctrstreams.topology.internal.ScoringProcessor;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The throughput baseline: the scoring topology's impression path without the model. Same
 * input topic and serdes, same {@link ImpressionCodec} validation (the direct visit, as the
 * scoring topology without label join reads records; decode for other records), one Avro
 * Score per candidate (encoded by {@link ScoreBatch}, as the topology does; with
 * {@code scores.format=per-impression} one ImpressionScores per impression, encoded by
 * {@link ImpressionScoresBatch}) to the scores topic
 * under the same processing guarantee, but a constant pctr instead of encoding and scoring. What the real topology costs on top of this is
 * the model (encoder + scorer) and nothing else.
 */
public final class PassThroughTopology {
  /** Model name stamped on pass-through scores. */
  public static final String MODEL_NAME = "pass-through";

  private PassThroughTopology() {}

  /** Impressions topic -> decode -> one constant Score per candidate -> scores topic. */
  public static Topology build(TopologyConfig config) {
    StreamsBuilder b = new StreamsBuilder();
    ImpressionCodec codec = config.impressionCodec();
    b.stream(config.impressionsTopic(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("impressions"))
        .process(() -> new PassThroughProcessor(codec, config.perImpressionScores()), Named.as("pass-through"))
        .to(config.scoresTopic(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("scores"));
    return b.build();
  }

  /** Decodes and forwards one constant score per candidate; undecodable records are skipped. */
  private static final class PassThroughProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    private final ImpressionCodec codec;
    private final AdIds ids;
    private final ScoreBatch scores = new ScoreBatch();
    private final ImpressionScoresBatch impressionScores = new ImpressionScoresBatch();
    private final boolean perImpression;
    private final String[] adIds;
    private ProcessorContext<byte[], byte[]> context;

    PassThroughProcessor(ImpressionCodec codec, boolean perImpression) {
      this.codec = codec;
      this.ids = new AdIds(codec.maxCandidates());
      this.perImpression = perImpression;
      this.adIds = new String[codec.maxCandidates()];
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
      this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      // the scoring topology's direct path without the model: validate, read the ad ids
      ImpressionCodec.Visited v;
      try {
        v = codec.visit(record.value(), ids);
      } catch (CodecException e) {
        return;
      }
      if (v != null) {
        forward(record, v.eventId(), v.timestampMs(), ids.adIds, v.candidates());
        return;
      }
      Impression imp;
      try {
        imp = codec.decode(record.value(), record.timestamp());
      } catch (CodecException e) {
        return; // the harness produces only valid records; the real topology's DLQ is not the baseline's concern
      }
      List<Candidate> cs = imp.getCandidates();
      for (int i = 0; i < cs.size(); i++) {
        adIds[i] = cs.get(i).getAdId();
      }
      forward(record, imp.getEventId(), imp.getTimestampMs(), adIds, cs.size());
    }

    /** One constant score per candidate, or one record with all of them, as the scoring processor forwards. */
    private void forward(Record<byte[], byte[]> record, String eventId, long timestampMs, String[] ads, int n) {
      long now = System.currentTimeMillis();
      byte[] key = eventId.getBytes(StandardCharsets.UTF_8);
      Headers headers = ScoringProcessor.copyableHeaders(record);
      if (perImpression) {
        impressionScores.start(eventId, MODEL_NAME, 0L, 0L, "live", timestampMs, now);
        for (int i = 0; i < n; i++) {
          impressionScores.add(ads[i], 0.5);
        }
        context.forward(new Record<>(key, impressionScores.finish(), record.timestamp(), headers));
        return;
      }
      scores.start(eventId, MODEL_NAME, 0L, "live", timestampMs, now);
      for (int i = 0; i < n; i++) {
        context.forward(new Record<>(key, scores.encode(ads[i], 0.5), record.timestamp(), headers));
      }
    }
  }

  /** Keeps the ad ids of a visited impression; features are not encoded (there is no model). */
  private static final class AdIds implements ImpressionVisitor {
    final String[] adIds;

    AdIds(int maxCandidates) {
      adIds = new String[maxCandidates];
    }

    @Override
    public void contextString(String name, byte[] utf8, int off, int len) {}

    @Override
    public void contextNumber(String name, double value) {}

    @Override
    public void candidate(int index, String adId) {
      adIds[index] = adId;
    }

    @Override
    public void candidateString(int index, String name, byte[] utf8, int off, int len) {}

    @Override
    public void candidateNumber(int index, String name, double value) {}
  }
}
