package io.ctrstreams.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.trainer.TrainerException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** libfm / libsvm lines: what valid lines mean, and that every bad line fails naming its line. */
class LibfmReaderProperties {

  private static List<RawRecord> read(String text, int fields, boolean aware) throws IOException {
    List<RawRecord> out = new ArrayList<>();
    RawSchema schema = LibfmReader.schema(fields);
    try (LibfmReader r = new LibfmReader(new BufferedReader(new StringReader(text)), schema, aware)) {
      RawRecord rec = schema.newRecord();
      while (r.next(rec)) {
        RawRecord copy = schema.newRecord();
        copy.copyFrom(rec);
        out.add(copy);
      }
    }
    return out;
  }

  @Property(tries = 200)
  void shouldReadValidLinesInBothForms(@ForAll long seed, @ForAll @IntRange(min = 1, max = 12) int fields,
      @ForAll boolean aware) throws IOException {
    Random r = new Random(seed);
    StringBuilder sb = new StringBuilder();
    int lines = 1 + r.nextInt(20);
    String[][] want = new String[lines][fields];
    float[] labels = new float[lines];
    String[] pos = {"1", "+1", "1.0"};
    String[] neg = {"0", "-1", "-1.0", "0.0"};
    for (int i = 0; i < lines; i++) {
      boolean click = r.nextBoolean();
      labels[i] = click ? 1f : 0f;
      sb.append(click ? pos[r.nextInt(pos.length)] : neg[r.nextInt(neg.length)]);
      // the first line lists every field (it fixes the schema); later ones may leave fields out
      List<Integer> order = new ArrayList<>();
      for (int f = 0; f < fields; f++) {
        if (i == 0 || r.nextInt(4) > 0 || !aware) {
          order.add(f);
        }
      }
      if (aware) {
        java.util.Collections.shuffle(order, r);
      }
      for (int f : order) {
        String idx = Integer.toString(r.nextInt(100_000));
        want[i][f] = idx;
        sb.append(r.nextBoolean() ? " " : "\t");
        sb.append(aware ? f + ":" + idx + ":1" : idx + ":" + (r.nextBoolean() ? "1" : "1.0"));
      }
      sb.append(r.nextInt(5) == 0 ? "\n\n" : "\n");
    }
    assertThat(LibfmReader.shapeOf(sb.toString().lines().findFirst().orElseThrow()))
        .isEqualTo(new LibfmReader.Shape(fields, aware));
    List<RawRecord> got = read(sb.toString(), fields, aware);
    assertThat(got).hasSize(lines);
    for (int i = 0; i < lines; i++) {
      assertThat(got.get(i).label).isEqualTo(labels[i]);
      for (int f = 0; f < fields; f++) {
        assertThat(got.get(i).category[f]).isEqualTo(want[i][f]);
      }
    }
  }

  @Provide
  Arbitrary<String> badLines() {
    return Arbitraries.of(
        "2 1:1 2:1",            // label
        "yes 1:1 2:1",          // label
        "1 1:0.5 2:1",          // not one-hot
        "1 1:1 2:1 3:1",        // more features than the first line
        "1 1 2:1",              // no colon
        "1 -1:1 2:1",           // negative index
        "1 x:1 2:1",            // not an integer
        "1 0:1:1 2:1",          // mixed forms
        "1 :1 2:1",             // empty index
        "1 1:1:1:1 2:1");       // too many colons
  }

  @Property(tries = 50)
  void shouldRejectBadLinesNamingTheLine(@ForAll("badLines") String bad, @ForAll @IntRange(min = 0, max = 3) int before) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < before; i++) {
      sb.append("1 5:1 6:1\n");
    }
    sb.append(bad).append('\n');
    assertThatThrownBy(() -> read(sb.toString(), 2, false)).isInstanceOf(TrainerException.class)
        .hasMessageContaining("line " + (before + 1));
  }

  @Property(tries = 30)
  void shouldRejectBadFieldAwareLines(@ForAll("awareBad") String bad) {
    String text = "1 0:3:1 1:4:1\n" + bad + "\n";
    assertThatThrownBy(() -> read(text, 2, true)).isInstanceOf(TrainerException.class).hasMessageContaining("line 2");
  }

  @Provide
  Arbitrary<String> awareBad() {
    return Arbitraries.of("1 0:3:1 0:4:1", "1 2:3:1", "1 0:3:2", "1 3:1", "0 a:3:1", "-2 0:1:1");
  }

  @Property(tries = 300)
  void shouldFailOnlyWithTrainerExceptionsOnArbitraryText(@ForAll("noise") String text) {
    try {
      read("1 1:1 2:1\n" + text, 2, false);
    } catch (TrainerException expected) {
      assertThat(expected.getMessage()).contains("libfm line");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Provide
  Arbitrary<String> noise() {
    return Arbitraries.strings().withChars("01+-.: \t\nx9").ofMaxLength(40);
  }
}
