package io.ctrstreams.bench;

import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.schemas.Score;
import io.ctrstreams.schemas.WireFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * The topology's per-record codecs: decoding one Criteo-shaped impression (13 numeric + 13
 * categorical context fields, {@link #candidates} candidates with 13 categorical fields each, as
 * the load test produces them) and encoding one Score, each by the direct path the topology uses
 * ({@code ImpressionCodec}: direct decoder + validation; {@code Schemas.SCORE}: direct encoder)
 * and by Avro's generated encoder / decoder (the baseline). 256 distinct records are cycled so
 * the values are not all cache-hot.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CodecBenchmark {
  /** Candidates per impression. */
  @Param({"16"})
  public int candidates;

  /** {@code direct} (what the topology runs) or {@code avro} (Avro's generated codecs). */
  @Param({"direct", "avro"})
  public String path;

  private final List<byte[]> impressions = new ArrayList<>();
  private final List<Score> scores = new ArrayList<>();
  private final ImpressionCodec codec = new ImpressionCodec(WireFormat.AVRO, 1000);
  private int next;

  /** Builds and encodes the records. */
  @Setup
  public void setup() {
    Random r = new Random(7);
    for (Impression imp : impressions(candidates, 256, r)) {
      impressions.add(codec.encodeAvro(imp));
      long n = imp.getTimestampMs() - 1_700_000_000_000L;
      scores.add(new Score(imp.getEventId(), imp.getEventId() + "#0", r.nextDouble(), "criteo-dnn", 42L, "live",
          1_700_000_000_000L + n, 1_700_000_000_123L + n));
    }
  }

  /**
   * {@code count} Criteo-shaped impressions for {@link BenchModels}' fields: I1..I13 numeric and
   * C1..C13 categorical in the context, C14..C26 categorical in each of {@code candidates}
   * candidates (values {@code C<i>-<hex>}, as the load test produces them).
   */
  public static List<Impression> impressions(int candidates, int count, Random r) {
    List<Impression> out = new ArrayList<>(count);
    for (int n = 0; n < count; n++) {
      Map<String, Object> ctx = new HashMap<>();
      for (int i = 1; i <= 13; i++) {
        ctx.put("I" + i, Math.floor(Math.exp(r.nextDouble() * 8)) - 1);
        ctx.put("C" + i, "C" + i + "-" + Integer.toHexString(r.nextInt(10_000)));
      }
      List<Candidate> cs = new ArrayList<>();
      for (int c = 0; c < candidates; c++) {
        Map<String, Object> f = new HashMap<>();
        for (int i = 14; i <= 26; i++) {
          f.put("C" + i, "C" + i + "-" + Integer.toHexString(r.nextInt(10_000)));
        }
        cs.add(new Candidate("e" + n + "#" + c, f));
      }
      out.add(new Impression("e" + n, 1_700_000_000_000L + n, ctx, cs));
    }
    return out;
  }

  /** Decodes (and for {@code direct} also validates) one impression. */
  @Benchmark
  public Impression decodeImpression() {
    byte[] b = impressions.get(next++ & 255);
    if (path.equals("direct")) {
      return codec.decode(b, 0L);
    }
    try {
      return Impression.getDecoder().decode(b);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Encodes one score. */
  @Benchmark
  public byte[] encodeScore() {
    Score s = scores.get(next++ & 255);
    if (path.equals("direct")) {
      return Schemas.SCORE.encode(s);
    }
    try {
      return Score.getEncoder().encode(s).array();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
