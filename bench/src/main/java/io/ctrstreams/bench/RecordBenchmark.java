package io.ctrstreams.bench;

import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.WireFormat;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-record benchmarks' records and settings (one fork with a 1 GB heap, 3 x 1 s warmup,
 * 5 x 1 s measurement): Criteo-shaped impressions with {@link #candidates} candidates each, 256
 * of them Avro-encoded in {@link #records} by the subclass's setup and cycled by {@link #next()}
 * so the values are not all cache-hot.
 */
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public abstract class RecordBenchmark extends NsBenchmark {
  /** Candidates per impression. */
  @Param({"16"})
  public int candidates;

  final List<byte[]> records = new ArrayList<>();
  final ImpressionCodec codec = new ImpressionCodec(WireFormat.AVRO, 1000);
  private int next;

  /** The index of the next record (of 256, cycled). */
  final int next() {
    return next++ & 255;
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
}
