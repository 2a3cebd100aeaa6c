package io.ctrstreams.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.loadtest.LoadTestResult.SwapResult;
import io.ctrstreams.loadtest.LoadTestResult.ThroughputRow;
import io.ctrstreams.loadtest.LoadTestResult.Variant;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness end to end in quick mode with tiny sizes on its own embedded broker: structural
 * facts only (every event scored exactly once, every swap observed, figures positive), never
 * timings.
 */
@Tag("integration")
@Timeout(120)
class LoadTestIT {

  @Test
  void shouldScoreEveryEventOnceInEveryVariantAndObserveEverySwap(@TempDir Path tmp) throws Exception {
    LoadTestSettings s = new LoadTestSettings(300, List.of(1, 4), 1, 2, 4, 100, 500, 1_000, 200, 300, 2, 1, 11L,
        Map.of(), null, List.of(LoadTestSettings.defaultScoresFormat()), List.of());
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    LoadTestResult r;
    try (PrintStream progress = new PrintStream(log, true, StandardCharsets.UTF_8)) {
      r = LoadTest.run(s, progress, tmp.resolve("trace.csv"));
    }
    System.out.print(log.toString(StandardCharsets.UTF_8));
    System.out.print(r.format());

    assertThat(r.throughput()).hasSize(6);
    for (int c : List.of(1, 4)) {
      for (Variant v : List.of(Variant.PASS_THROUGH, Variant.DENSE, Variant.COMPRESSED)) {
        ThroughputRow row = r.row(v, c);
        assertThat(row).as(v + " at " + c).isNotNull();
        assertThat(row.exactlyOnce()).as(v + " at " + c + " exactly once").isTrue();
        assertThat(row.scores()).isEqualTo(300L * c);
        assertThat(row.impressionsPerSecond()).as(v + " at " + c + " rate").isPositive().isFinite();
        assertThat(row.candidatesPerSecond()).isEqualTo(row.impressionsPerSecond() * c, org.assertj.core.data.Offset.offset(1e-6 * row.candidatesPerSecond()));
      }
      assertThat(r.compressedOverDense(c)).isPositive();
    }
    SwapResult w = r.swap();
    assertThat(w).isNotNull();
    assertThat(w.swapsPublished()).isEqualTo(2);
    assertThat(w.swapsObserved()).as("every swap observed on a committed score").isEqualTo(2);
    assertThat(w.versionsSeen()).as("v1 plus both new versions on scores").isEqualTo(3);
    assertThat(w.manifestToFirstScore().count()).isEqualTo(2);
    assertThat(w.manifestToFirstScore().p99()).isGreaterThanOrEqualTo(0);
    assertThat(w.eventsProduced()).isPositive();
    assertThat(w.exactlyOnce()).as("swap phase: every produced event scored exactly once").isTrue();
    assertThat(w.steadyLatency().count()).isPositive();
    assertThat(r.format()).contains("compressed/dense", "manifest written -> first score", "stream CPU us/i", "labels on");
    for (ThroughputRow row : r.throughput()) {
      assertThat(row.streamCpuMicros()).as(row.variant() + " stream-thread CPU per impression").isPositive().isFinite();
      assertThat(row.processCpuMicros()).as(row.variant() + " process CPU").isGreaterThanOrEqualTo(row.streamCpuMicros());
    }
    // the latency trace: 10 ms buckets, every measured score in a steady or swap bucket
    List<String> trace = Files.readAllLines(tmp.resolve("trace.csv"));
    assertThat(trace.get(0))
        .isEqualTo("bucket_start_ms,scores,max_latency_ms,mean_latency_ms,phase,max_append_to_score_ms");
    List<String[]> rows = trace.subList(1, trace.size()).stream().map(l -> l.split(",")).toList();
    assertThat(rows).allSatisfy(f -> {
      assertThat(Long.parseLong(f[0]) % 10).isZero();
      assertThat(Long.parseLong(f[1])).isPositive();
      assertThat(Double.parseDouble(f[3])).isLessThanOrEqualTo(Long.parseLong(f[2]));
      assertThat(f[4]).isIn("steady", "swap", "unmeasured");
      // after the broker's append is part of the whole (event time -> score)
      assertThat(Long.parseLong(f[5])).isBetween(0L, Long.parseLong(f[2]) + 1);
    });
    assertThat(rows).anySatisfy(f -> assertThat(f[4]).isEqualTo("swap"));
    assertThat(rows.stream().mapToLong(f -> Long.parseLong(f[1])).sum())
        .as("every score read in the swap phase is in the trace").isGreaterThanOrEqualTo(w.eventsProduced() * 4);
  }

  @Test
  void shouldCountBothScoresFormatsAndTheSampledShadowExactly() throws Exception {
    List<String> formats = List.of(LoadTestSettings.PER_IMPRESSION, LoadTestSettings.PER_CANDIDATE);
    LoadTestSettings s = new LoadTestSettings(300, List.of(4), 1, 0, 4, 100, 500, 1_000, 200, 300, 2, 1, 13L,
        Map.of(), null, formats, List.of(0.5, 1.0));
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    LoadTestResult r;
    try (PrintStream progress = new PrintStream(log, true, StandardCharsets.UTF_8)) {
      r = LoadTest.run(s, progress);
    }
    System.out.print(log.toString(StandardCharsets.UTF_8));
    System.out.print(r.format());

    assertThat(r.throughput()).as("3 variants x 2 formats + 2 shadow runs").hasSize(8);
    for (ThroughputRow row : r.throughput()) {
      assertThat(row.exactlyOnce()).as(row.label() + " " + row.format() + " exactly once").isTrue();
      assertThat(row.impressionsPerSecond()).isPositive().isFinite();
    }
    for (Variant v : List.of(Variant.PASS_THROUGH, Variant.DENSE, Variant.COMPRESSED)) {
      assertThat(r.row(v, 4, LoadTestSettings.PER_IMPRESSION, 0).scores()).as("one record per impression").isEqualTo(300);
      assertThat(r.row(v, 4, LoadTestSettings.PER_CANDIDATE, 0).scores()).as("one record per candidate").isEqualTo(1200);
    }
    // the shadow runs use the first format: one live record per impression plus one per sampled impression
    ImpressionFactory ids = new ImpressionFactory(LoadModels.spec(false), 4, "t", 13L + 4);
    long sampled = 0;
    for (int i = 0; i < 300; i++) {
      sampled += io.ctrstreams.serving.ShadowSampling.sampled(ids.eventId(i).getBytes(StandardCharsets.UTF_8), 0.5) ? 1 : 0;
    }
    assertThat(sampled).as("a real sample").isBetween(1L, 299L);
    assertThat(r.row(Variant.SHADOW, 4, LoadTestSettings.PER_IMPRESSION, 0.5).scores()).isEqualTo(300 + sampled);
    assertThat(r.row(Variant.SHADOW, 4, LoadTestSettings.PER_IMPRESSION, 1.0).scores()).isEqualTo(600);
    assertThat(r.compressedOverDense(4, LoadTestSettings.PER_CANDIDATE)).isPositive();
    assertThat(r.shadowCost(4, 0.5)).isFinite();
    assertThat(r.format()).contains("per-impression", "per-candidate", "dense shadow at 0.5 costs", "compr+shadow 1");
  }
}
