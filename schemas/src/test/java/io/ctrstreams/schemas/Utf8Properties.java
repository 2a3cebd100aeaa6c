package io.ctrstreams.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;

/** {@link Utf8#firstMalformed} agrees with the JDK's strict decoder (REPORT on malformed input). */
class Utf8Properties {
  private static boolean jdkValid(byte[] b) {
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  @Property(tries = 3000)
  void shouldAgreeWithTheJdksStrictDecoderOnArbitraryBytes(@ForAll @Size(max = 12) byte[] b) {
    assertThat(Utf8.firstMalformed(b, 0, b.length) < 0).as("%s", java.util.HexFormat.of().formatHex(b))
        .isEqualTo(jdkValid(b));
  }

  @Property(tries = 1000)
  void shouldAcceptEveryWellFormedString(@ForAll String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    assertThat(Utf8.firstMalformed(b, 0, b.length) < 0).isEqualTo(jdkValid(b));
  }
}
