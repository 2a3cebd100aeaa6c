package io.ctrstreams.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ClickCodecTest {
  @Test
  void shouldRoundTripClicksInBothFormats() {
    Click c = new Click("e-1", "ad-7", 1_700_000_000_123L);
    ClickCodec avro = new ClickCodec(WireFormat.AVRO);
    assertThat(avro.decode(avro.encodeAvro(c), 0)).isEqualTo(c);
    assertThat(new ClickCodec(WireFormat.JSON).decode(ClickCodec.encodeJson(c), 0)).isEqualTo(c);
    assertThat(new ClickCodec(WireFormat.AUTO).decode(avro.encodeAvro(c), 0)).isEqualTo(c);
  }

  @Test
  void shouldRejectClicksWithoutIds() {
    ClickCodec json = new ClickCodec(WireFormat.JSON);
    assertThatThrownBy(() -> json.decode("{\"adId\":\"a\"}".getBytes(StandardCharsets.UTF_8), 1))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("no impressionId");
    assertThatThrownBy(() -> json.decode("{\"impressionId\":\"e\"}".getBytes(StandardCharsets.UTF_8), 1))
        .hasMessageContaining("click on impression e has no adId");
  }

  @Test
  void shouldRejectDuplicateFieldsAsBadJson() {
    ClickCodec json = new ClickCodec(WireFormat.JSON);
    for (String dup : new String[] {
        "{\"impressionId\":\"e\",\"impressionId\":\"f\",\"adId\":\"a\"}",
        "{\"impressionId\":\"e\",\"adId\":\"a\",\"adId\":\"a\"}",
        "{\"impressionId\":\"e\",\"adId\":\"a\",\"timestampMs\":1,\"timestampMs\":2}",
        "{\"impressionId\":\"e\",\"x\":1,\"adId\":\"a\",\"x\":null}"}) {
      assertThatThrownBy(() -> json.decode(dup.getBytes(StandardCharsets.UTF_8), 1))
          .isInstanceOf(CodecException.class)
          .hasMessageContaining("click is not valid JSON: Duplicate field '")
          .extracting(e -> ((CodecException) e).reason()).isEqualTo(DecodeFailure.BAD_JSON);
    }
  }

  @Test
  void shouldDefaultClickTimestampToRecordTimestamp() {
    Click c =
        new ClickCodec(WireFormat.JSON)
            .decode("{\"impressionId\":\"e\",\"adId\":\"a\"}".getBytes(StandardCharsets.UTF_8), 99L);
    assertThat(c.getTimestampMs()).isEqualTo(99L);
  }

  @Test
  void shouldRoundTripOutputRecordsThroughSerdes() {
    Score s = new Score("e", "a", 0.25, "m", 3L, "live", 10L, 11L, 0L);
    var serde = new AvroSerde<>(Schemas.SCORE);
    assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t", s))).isEqualTo(s);
    assertThat(serde.serializer().serialize("t", null)).isNull();
  }
}
