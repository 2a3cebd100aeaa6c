package io.ctrstreams.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ctrstreams.trainer.SharedData;
import io.ctrstreams.trainer.TrainerException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ReadersTest {

  private static BufferedReader text(String s) {
    return new BufferedReader(new StringReader(s));
  }

  @Test
  void shouldReadCriteoLineWithMissingValuesAndShortRows() throws IOException {
    StringBuilder full = new StringBuilder("1");
    for (int i = 1; i <= 13; i++) {
      full.append('\t').append(i == 3 ? "" : Integer.toString(i * 10 - 30));
    }
    for (int i = 1; i <= 26; i++) {
      full.append('\t').append(i == 5 ? "" : "c" + i);
    }
    String shortLine = "0\t5\t\t7";
    try (CriteoReader r = new CriteoReader(text(full + "\n" + shortLine + "\n"))) {
      RawRecord rec = r.schema().newRecord();
      assertThat(r.next(rec)).isTrue();
      assertThat(rec.label).isEqualTo(1f);
      assertThat(rec.number[0]).isEqualTo(-20.0);
      assertThat(rec.number[2]).isNaN();
      assertThat(rec.category[13]).isEqualTo("c1");
      assertThat(rec.category[13 + 4]).isNull();
      assertThat(rec.category[38]).isEqualTo("c26");
      assertThat(r.next(rec)).isTrue();
      assertThat(rec.label).isZero();
      assertThat(rec.number[0]).isEqualTo(5.0);
      assertThat(rec.number[1]).isNaN();
      assertThat(rec.number[2]).isEqualTo(7.0);
      assertThat(rec.category[20]).isNull();
      assertThat(r.next(rec)).isFalse();
    }
  }

  @Test
  void shouldRejectMalformedCriteoLinesNamingTheLine() throws IOException {
    try (CriteoReader r = new CriteoReader(text("0\t1\n2\t3\n"))) {
      RawRecord rec = r.schema().newRecord();
      assertThat(r.next(rec)).isTrue();
      assertThatThrownBy(() -> r.next(rec)).isInstanceOf(TrainerException.class)
          .hasMessageContaining("line 2").hasMessageContaining("\"2\"");
    }
    try (CriteoReader r = new CriteoReader(text("0\tx\n"))) {
      assertThatThrownBy(() -> r.next(r.schema().newRecord())).hasMessageContaining("field I1").hasMessageContaining("\"x\"");
    }
    try (CriteoReader r = new CriteoReader(text("0" + "\t1".repeat(40) + "\n"))) {
      assertThatThrownBy(() -> r.next(r.schema().newRecord())).hasMessageContaining("more than 40 columns");
    }
  }

  @Test
  void shouldDeriveAvazuTimeFieldsAndDropId() throws IOException {
    String header = "id,click,hour,C1,banner_pos,site_id,site_domain,site_category,app_id,app_domain,app_category,"
        + "device_id,device_ip,device_model,device_type,device_conn_type,C14,C15,C16,C17,C18,C19,C20,C21";
    // 2014-10-25 was a Saturday.
    String row = "123,1,14102517,1005,0,s1,sd,sc,a1,ad,ac,d1,ip,dm,1,0,15706,320,50,1722,0,35,-1,79";
    try (AvazuReader r = new AvazuReader(text(header + "\n" + row + "\n"))) {
      RawRecord rec = r.schema().newRecord();
      assertThat(r.next(rec)).isTrue();
      assertThat(rec.label).isEqualTo(1f);
      Map<String, Object> m = rec.toMap();
      assertThat(m).containsEntry("hour_of_day", "17").containsEntry("weekday", "6").containsEntry("weekend", "1")
          .containsEntry("site_id", "s1").containsEntry("C21", "79").doesNotContainKey("id");
      assertThat(m).hasSize(24);
      assertThat(rec.timestampMs).isEqualTo(1414256400000L);
      assertThat(r.next(rec)).isFalse();
    }
  }

  @Test
  void shouldRejectBadAvazuHeaderAndHour() throws IOException {
    assertThatThrownBy(() -> new AvazuReader(text("id,click\n"))).isInstanceOf(TrainerException.class)
        .hasMessageContaining("'hour'");
    String header = "click,hour," + String.join(",", RawSchema.AVAZU_COLUMNS);
    String bad = "0,141325xx" + ",x".repeat(RawSchema.AVAZU_COLUMNS.length);
    try (AvazuReader r = new AvazuReader(text(header + "\n" + bad + "\n"))) {
      assertThatThrownBy(() -> r.next(r.schema().newRecord())).hasMessageContaining("line 2")
          .hasMessageContaining("YYMMDDHH");
    }
  }

  @Test
  void shouldReadTheRealCriteoSampleWhenPresent() throws IOException {
    Optional<Path> p = SharedData.file("criteo-sample-1k.tsv");
    assumeTrue(p.isPresent(), SharedData.missingMessage("criteo-sample-1k.tsv"));
    int rows = 0;
    int pos = 0;
    VocabularyBuilder vb = new VocabularyBuilder(RawSchema.criteo(), 10);
    try (CriteoReader r = new CriteoReader(Files.newBufferedReader(p.get(), StandardCharsets.UTF_8))) {
      RawRecord rec = r.schema().newRecord();
      while (r.next(rec)) {
        rows++;
        pos += (int) rec.label;
        vb.add(rec);
      }
    }
    assertThat(rows).isEqualTo(1000);
    assertThat(pos).isBetween(150, 300);
    Map<String, List<String>> vocab = vb.build();
    assertThat(vocab).hasSize(26);
    assertThat(vocab.get("C9")).isNotEmpty().hasSizeLessThanOrEqualTo(vb.distinct("C9"));
  }

  @Test
  void shouldReadTheRealAvazuSampleWhenPresent() throws IOException {
    Optional<Path> p = SharedData.file("avazu-sample-479.csv");
    assumeTrue(p.isPresent(), SharedData.missingMessage("avazu-sample-479.csv"));
    int rows = 0;
    try (AvazuReader r = new AvazuReader(Files.newBufferedReader(p.get(), StandardCharsets.UTF_8))) {
      RawRecord rec = r.schema().newRecord();
      while (r.next(rec)) {
        rows++;
        assertThat(rec.category[0]).isEqualTo("0");
      }
    }
    // The README says 479 rows; count the file's own non-empty lines instead of trusting it.
    long expected;
    try (var lines = Files.lines(p.get())) {
      expected = lines.filter(l -> !l.isEmpty()).count() - 1;
    }
    assertThat(rows).isEqualTo(expected).isGreaterThanOrEqualTo(479);
  }

  @Test
  void shouldKeepValuesAtMinCountOrderedByFrequency() {
    RawSchema schema = new RawSchema(List.of(new RawField("a", false, true), new RawField("n", true, true)));
    VocabularyBuilder vb = new VocabularyBuilder(schema, 2);
    RawRecord r = schema.newRecord();
    for (String v : new String[] {"x", "y", "y", "z", "z", "z", "w", "w"}) {
      r.category[0] = v;
      vb.add(r);
    }
    r.category[0] = null;
    vb.add(r);
    assertThat(vb.build()).containsOnlyKeys("a");
    assertThat(vb.build().get("a")).containsExactly("z", "w", "y");
    assertThatThrownBy(() -> new VocabularyBuilder(schema, 0)).hasMessageContaining("found 0");
  }
}
