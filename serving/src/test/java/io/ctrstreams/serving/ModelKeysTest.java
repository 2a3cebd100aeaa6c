package io.ctrstreams.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class ModelKeysTest {

  @Property(tries = 200)
  void shouldParseEveryKeyItWrites(
      @ForAll @AlphaChars @StringLength(min = 1, max = 30) String model,
      @ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long version,
      @ForAll @IntRange(min = 0, max = 1 << 16) int index) {
    assertThat(ModelKeys.parse(ModelKeys.chunk(model, version, index)))
        .isEqualTo(new ModelKeys.Parsed(model, ModelKeys.Kind.CHUNK, version, index));
    assertThat(ModelKeys.parse(ModelKeys.versionManifest(model, version)))
        .isEqualTo(new ModelKeys.Parsed(model, ModelKeys.Kind.MANIFEST, version, -1));
    assertThat(ModelKeys.parse(ModelKeys.latestManifest(model)))
        .isEqualTo(new ModelKeys.Parsed(model, ModelKeys.Kind.MANIFEST, -1, -1));
    assertThat(ModelKeys.parse(ModelKeys.pin(model)))
        .isEqualTo(new ModelKeys.Parsed(model, ModelKeys.Kind.PIN, -1, -1));
  }

  @Test
  void shouldRejectKeysOutsideTheScheme() {
    for (String bad : new String[] {"", "ctr", "ctr/x/0", "ctr/-1/0", "ctr/1/2/3", "c r/pin", "/pin"}) {
      assertThatThrownBy(() -> ModelKeys.parse(bad))
          .isInstanceOf(ServingException.class)
          .hasMessageContaining("'" + bad + "'");
    }
  }

  @Test
  void shouldRejectModelNamesThatWouldBreakKeys() {
    assertThatThrownBy(() -> ModelKeys.checkModelName("a/b"))
        .hasMessage("model name must match [A-Za-z0-9._-]{1,200}, found 'a/b'");
  }
}
