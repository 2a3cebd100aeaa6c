package io.ctrstreams.bench;

import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.WireFormat;
import io.ctrstreams.topology.ImpressionFeatures;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * From impression record bytes to the model's feature vectors, per record, through the scoring
 * topology's {@link ImpressionFeatures}: {@code visit} is its direct path (every Avro record of
 * the current schema, labels and shadow included: no maps, categorical values hashed from the
 * bytes); {@code decode} is the baseline it replaced and the path of JSON and older writer schemas
 * ({@code ImpressionCodec#decode}, then {@code FeatureEncoder#encode} on the maps). Records as
 * {@link CodecBenchmark}'s (Criteo shape, the compressed benchmark model's fields), 256 cycled.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class FeatureVisitBenchmark {
  /** Candidates per impression. */
  @Param({"16"})
  public int candidates;

  /** {@code visit} (the topology's direct path) or {@code decode} (decode, then encode the maps). */
  @Param({"visit", "decode"})
  public String path;

  private final List<byte[]> records = new ArrayList<>();
  private final ImpressionCodec codec = new ImpressionCodec(WireFormat.AVRO, 1000);
  private ImpressionFeatures features;
  private int next;

  /** Builds the records and the compressed benchmark model's features. */
  @Setup
  public void setup() {
    features = new ImpressionFeatures(BenchModels.model("DNN", true).encoder(), 1000);
    for (Impression imp : CodecBenchmark.impressions(candidates, 256, new Random(7))) {
      records.add(codec.encodeAvro(imp));
    }
  }

  /** Encodes one record's context and candidates; returns the last candidate's vector. */
  @Benchmark
  public FeatureVector encodeImpression() {
    byte[] b = records.get(next++ & 255);
    int n = path.equals("visit") ? features.visit(codec, b).candidates() : features.encode(codec.decode(b, 0L));
    return features.candidates()[n - 1];
  }
}
