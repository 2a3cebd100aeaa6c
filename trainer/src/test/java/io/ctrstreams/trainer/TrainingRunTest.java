package io.ctrstreams.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ctrstreams.model.Architecture;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TrainingRunTest {

  private static TrainingRun.Options small(String format, Path data, long rows, Architecture arch, int hash) {
    return new TrainingRun.Options(format, data, rows, arch, 0.2, 1, 8, new int[] {32, 16}, 2, 5, hash,
        TrainerConfig.defaults().withBatchSize(256), 5000, true, "t");
  }

  @Test
  void shouldLearnTheSyntheticTeacherWellAboveChance() throws IOException {
    TrainingRun.Result r = TrainingRun.run(small("synthetic", null, 30_000, Architecture.DNN, 0), null);
    assertThat(r.trainRows()).isEqualTo(24_000);
    assertThat(r.validRows()).isEqualTo(6_000);
    assertThat(r.teacherAuc()).isGreaterThan(0.8);
    assertThat(r.validAuc()).isGreaterThan(0.68).isLessThan(r.teacherAuc());
    assertThat(r.validCalibration()).isBetween(0.7, 1.3);
    assertThat(r.model().vocabulary("C1")).isNotEmpty();
  }

  @Test
  void shouldTrainEveryArchitectureOnTheRealCriteoSampleWhenPresent() throws IOException {
    Optional<Path> p = SharedData.file("criteo-sample-1k.tsv");
    assumeTrue(p.isPresent(), SharedData.missingMessage("criteo-sample-1k.tsv"));
    for (Architecture a : Architecture.values()) {
      TrainingRun.Result r = TrainingRun.run(small("criteo", p.get(), 0, a, 1 << 10), null);
      assertThat(r.validRows()).isEqualTo(200);
      assertThat(r.validAuc()).as(a.name()).isBetween(0.5, 1.0);
      assertThat(r.baselineAuc()).isBetween(0.4, 1.0);
    }
  }

  @Test
  void shouldTrainOnTheRealAvazuSampleWhenPresent() throws IOException {
    Optional<Path> p = SharedData.file("avazu-sample-479.csv");
    assumeTrue(p.isPresent(), SharedData.missingMessage("avazu-sample-479.csv"));
    TrainingRun.Result r = TrainingRun.run(small("avazu", p.get(), 0, Architecture.DNN, 0), null);
    assertThat(r.validRows()).isEqualTo(96);
    assertThat(r.model().spec().field(0).name()).isEqualTo("hour_of_day");
  }

  @Test
  void shouldTrainOnALibfmFile(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
    // field-aware libfm lines with a planted rule: clicks iff field 0 id is even xor field 1 id < 5
    java.util.Random r = new java.util.Random(4);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 3000; i++) {
      int a = r.nextInt(20);
      int b = r.nextInt(10);
      int c = r.nextInt(50);
      boolean click = (a % 2 == 0) ^ (b < 5) ^ (r.nextDouble() < 0.05);
      sb.append(click ? "1" : "-1").append(" 0:").append(a).append(":1 1:").append(b).append(":1 2:").append(c)
          .append(":1\n");
    }
    Path f = dir.resolve("toy.libfm");
    java.nio.file.Files.writeString(f, sb);
    TrainingRun.Result res = TrainingRun.run(new TrainingRun.Options("libfm", f, 0, Architecture.DNN, 0.2, 3, 8,
        new int[] {32, 16}, 2, 1, 0, TrainerConfig.defaults().withBatchSize(64).withLearningRates(0.01, 0.1), 5000,
        false, "t"), null);
    assertThat(res.model().spec().fieldCount()).isEqualTo(3);
    assertThat(res.model().spec().field(0).name()).isEqualTo("F0");
    assertThat(res.validAuc()).isGreaterThan(0.85);
  }
}
