package io.ctrstreams.bench;

import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.topology.ImpressionFeatures;
import java.util.Random;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * From impression record bytes to the model's feature vectors, per record, through the scoring
 * topology's {@link ImpressionFeatures}: {@code visit} is its direct path (every Avro record of
 * the current schema, labels and shadow included: no maps, categorical values hashed from the
 * bytes); {@code decode} is the baseline it replaced and the path of JSON and older writer schemas
 * ({@code ImpressionCodec#decode}, then {@code FeatureEncoder#encode} on the maps). Records as
 * {@link RecordBenchmark}'s (Criteo shape, the compressed benchmark model's fields), 256 cycled.
 */
public class FeatureVisitBenchmark extends RecordBenchmark {
  /** {@code visit} (the topology's direct path) or {@code decode} (decode, then encode the maps). */
  @Param({"visit", "decode"})
  public String path;

  private ImpressionFeatures features;

  /** Builds the records and the compressed benchmark model's features. */
  @Setup
  public void setup() {
    features = new ImpressionFeatures(BenchModels.model("DNN", true).encoder(), 1000);
    for (Impression imp : impressions(candidates, 256, new Random(7))) {
      records.add(codec.encodeAvro(imp));
    }
  }

  /** Encodes one record's context and candidates; returns the last candidate's vector. */
  @Benchmark
  public FeatureVector encodeImpression() {
    byte[] b = records.get(next());
    int n = path.equals("visit") ? features.visit(codec, b).candidates() : features.encode(codec.decode(b, 0L));
    return features.candidates()[n - 1];
  }
}
