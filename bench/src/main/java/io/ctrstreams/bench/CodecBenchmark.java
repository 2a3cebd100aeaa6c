package io.ctrstreams.bench;

import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.schemas.Score;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * The topology's per-record codecs: decoding one Criteo-shaped impression (13 numeric + 13
 * categorical context fields, {@link #candidates} candidates with 13 categorical fields each, as
 * the load test produces them) and encoding one Score, each by the direct path the topology uses
 * ({@code ImpressionCodec}: direct decoder + validation; {@code Schemas.SCORE}: direct encoder)
 * and by Avro's generated encoder / decoder (the baseline). 256 distinct records are cycled so
 * the values are not all cache-hot.
 */
public class CodecBenchmark extends RecordBenchmark {
  /** {@code direct} (what the topology runs) or {@code avro} (Avro's generated codecs). */
  @Param({"direct", "avro"})
  public String path;

  private final List<Score> scores = new ArrayList<>();

  /** Builds and encodes the records. */
  @Setup
  public void setup() {
    Random r = new Random(7);
    for (Impression imp : impressions(candidates, 256, r)) {
      records.add(codec.encodeAvro(imp));
      long n = imp.getTimestampMs() - 1_700_000_000_000L;
      scores.add(new Score(imp.getEventId(), imp.getEventId() + "#0", r.nextDouble(), "criteo-dnn", 42L, "live",
          1_700_000_000_000L + n, 1_700_000_000_123L + n, 0L));
    }
  }

  /** Decodes (and for {@code direct} also validates) one impression. */
  @Benchmark
  public Impression decodeImpression() {
    byte[] b = records.get(next());
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
    Score s = scores.get(next());
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
