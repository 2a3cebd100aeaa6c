package io.ctrstreams.topology.internal;

import io.ctrstreams.bench.BenchModels;
import io.ctrstreams.bench.CodecBenchmark;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureEncoder;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.WireFormat;
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
 * From impression record bytes to the model's feature vectors, per record: {@code visit} is the
 * scoring topology's direct path ({@code ImpressionCodec#visit} into a {@link FeatureVisitor}: no
 * maps, categorical values hashed from the bytes); {@code decode} is the baseline it replaced and
 * the path with labels or a shadow model ({@code ImpressionCodec#decode}, then {@code
 * FeatureEncoder#encode} on the maps). Records as {@link CodecBenchmark}'s (Criteo shape, the
 * compressed benchmark model's fields), 256 cycled. In this package because the visitor is
 * internal to the topology.
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
  private FeatureEncoder encoder;
  private FeatureVisitor visitor;
  private int next;

  /** Builds the records and the compressed benchmark model's encoder. */
  @Setup
  public void setup() {
    CtrModel model = BenchModels.model("DNN", true);
    encoder = model.encoder();
    visitor = new FeatureVisitor(encoder, 1000);
    for (Impression imp : CodecBenchmark.impressions(candidates, 256, new Random(7))) {
      records.add(codec.encodeAvro(imp));
    }
  }

  /** Encodes one record's context and candidates; returns the last candidate's vector. */
  @Benchmark
  public FeatureVector encodeImpression() {
    byte[] b = records.get(next++ & 255);
    if (path.equals("visit")) {
      visitor.reset();
      ImpressionCodec.Visited v = codec.visit(b, visitor);
      return visitor.candidates[v.candidates() - 1];
    }
    Impression imp = codec.decode(b, 0L);
    encoder.encode(imp.getContext(), FieldSpec.Role.CONTEXT, visitor.contextVector);
    List<Candidate> cs = imp.getCandidates();
    FeatureVector v = null;
    for (int i = 0; i < cs.size(); i++) {
      v = visitor.candidates[i];
      if (v == null) {
        v = encoder.newFeatureVector();
        visitor.candidates[i] = v;
      }
      encoder.encode(cs.get(i).getFeatures(), FieldSpec.Role.CANDIDATE, v);
    }
    return v;
  }
}
